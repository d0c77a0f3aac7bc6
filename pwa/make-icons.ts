/**
 * Renders pwa/icon.svg into the PNG icons of the web app manifest (pwa/icons/), with the Chromium the browser tests
 * use. A one-off: run it after changing the drawing, and commit the PNGs.
 *
 *   npx tsx pwa/make-icons.ts
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../playwright.config'

const svg = readFileSync(path.join(__dirname, 'icon.svg'), 'utf8')

/** `maskable`: full bleed (no rounded corners), as Android crops it into its own shape. */
const ICONS = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
]

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
  try {
    for (const icon of ICONS) {
      const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size }, deviceScaleFactor: 1 })
      const drawing = icon.maskable ? svg.replace('rx="96"', 'rx="0"') : svg
      await page.setContent(`<html><body style="margin:0;background:transparent">${drawing.replace('<svg ', `<svg width="${icon.size}" height="${icon.size}" `)}</body></html>`)
      await page.screenshot({ path: path.join(__dirname, 'icons', icon.file), omitBackground: true, clip: { x: 0, y: 0, width: icon.size, height: icon.size } })
      await page.close()
      console.log(`pwa/icons/${icon.file}: ${icon.size}×${icon.size}`)
    }
  }
  finally {
    await browser.close()
  }
}

void main()
