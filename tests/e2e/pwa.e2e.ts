import type { BrowserContext, Page } from '@playwright/test'
import type { Buffer } from 'node:buffer'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { createOrder, newContext, orderStatus, origin, sandbox, UA } from './support'

/**
 * The PWA shell (pwa/, src/pwa/app-shell.ts): installable in a phone's or a PC's browser, the cashier opens offline
 * from the service worker's precache and says the order is safe, the result page picks the order up again when
 * the connection is back — and none of it happens inside WeChat or Alipay.
 */

const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36'
const ALIPAY_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/16E227 ChannelId(21) NebulaSDK/1.8.100112 Nebula WK PSDType(1) AlipayDefined(nt:WIFI,ws:375|603|2.0) AliApp(AP/10.1.60.6001) AlipayClient/10.1.60.6001 Alipay Language/zh-Hans'
const ANDROID_WEBVIEW = 'Mozilla/5.0 (Linux; Android 13; SM-S9180 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36'

interface WebAppManifest {
  id: string
  name: string
  short_name: string
  start_url: string
  scope: string
  display: string
  background_color: string
  theme_color: string
  lang: string
  icons: Array<{ src: string, sizes: string, type: string, purpose?: string }>
}

async function screen(page: Page, name: string): Promise<void> {
  const dir = path.resolve('tests/artifacts/screens')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true })
}

/** Opens the landing page and waits until the service worker is active and controls the page. */
async function installed(context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  await page.goto('/')
  await expect(page.getByTestId('start-demo')).toBeVisible()
  const worker = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready
    if (!navigator.serviceWorker.controller)
      await new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
    return { script: reg.active?.scriptURL, scope: reg.scope }
  })
  expect(worker).toEqual({ script: `${origin}/sw.js`, scope: `${origin}/` })
  return page
}

/** Waits as long as the shell waits before registering (load, then idle) and then some, and lists registrations. */
async function registrationsAfterSettling(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    if (document.readyState !== 'complete')
      await new Promise(resolve => window.addEventListener('load', resolve, { once: true }))
    await new Promise(resolve => setTimeout(resolve, 4000))
    return ('serviceWorker' in navigator ? await navigator.serviceWorker.getRegistrations() : []).map(r => r.scope)
  })
}

/** Every URL in every Cache Storage cache of the page's origin. */
async function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = []
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys())
        urls.push(req.url)
    }
    return urls
  })
}

function pngSize(body: Buffer): { width: number, height: number } {
  expect(body.subarray(1, 4).toString('ascii')).toBe('PNG')
  return { width: body.readUInt32BE(16), height: body.readUInt32BE(20) }
}

test.describe('PWA shell: installable in browsers', () => {
  test('the web app manifest is served, complete, and its icons are PNGs of the sizes it names', async ({ request }) => {
    const res = await request.get('/manifest.webmanifest')
    expect(res.status()).toBe(200)
    expect(res.headers()['content-type']).toContain('application/manifest+json')
    expect(res.headers()['cache-control']).toBe('no-cache')
    const m = await res.json() as WebAppManifest
    expect(m).toMatchObject({ start_url: './', scope: './', display: 'standalone', lang: 'zh-CN' })
    expect(m.name.length).toBeGreaterThan(0)
    expect(m.short_name.length).toBeGreaterThan(0)
    expect(m.short_name.length).toBeLessThanOrEqual(12)
    expect(m.background_color).toMatch(/^#[0-9a-f]{6}$/i)
    expect(m.theme_color).toMatch(/^#[0-9a-f]{6}$/i)
    const sizes = new Set<string>()
    for (const icon of m.icons) {
      const img = await request.get(new URL(icon.src, `${origin}/manifest.webmanifest`).href)
      expect(img.status(), icon.src).toBe(200)
      expect(img.headers()['content-type']).toBe('image/png')
      const { width, height } = pngSize(await img.body())
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes)
      sizes.add(`${icon.sizes} ${icon.purpose ?? 'any'}`)
    }
    expect([...sizes]).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']))

    const sw = await request.get('/sw.js')
    expect(sw.status()).toBe(200)
    expect(sw.headers()['content-type']).toContain('javascript')
    expect(sw.headers()['cache-control']).toBe('no-cache')
  })

  for (const [name, ua] of [['Android Chrome', ANDROID_CHROME], ['desktop Chrome', UA.desktopChrome]] as const) {
    test(`${name}: the service worker registers after load and Chromium finds the page installable`, async ({ browser }) => {
      const context = await newContext(browser, ua)
      const page = await installed(context)
      await expect(page.locator('link[rel=manifest]')).toHaveAttribute('href', 'manifest.webmanifest')
      // Not on the critical path: the shell's own code and the worker are fetched only after the load event.
      const timing = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
        const shell = performance.getEntriesByType('resource').filter(r => /app-shell|sw\.js/.test(r.name))
        return { loadEnd: nav.loadEventEnd, shellStarts: shell.map(r => r.startTime) }
      })
      expect(timing.shellStarts.length).toBeGreaterThan(0)
      for (const start of timing.shellStarts)
        expect(start).toBeGreaterThanOrEqual(timing.loadEnd)
      // What Lighthouse asks Chromium: the manifest parses, and nothing stops installation.
      const cdp = await context.newCDPSession(page)
      const manifest = await cdp.send('Page.getAppManifest') as { url: string, errors: unknown[] }
      expect(manifest.url).toBe(`${origin}/manifest.webmanifest`)
      expect(manifest.errors).toEqual([])
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
      // Playwright's contexts are incognito profiles, where Chromium never installs; that is the only objection.
      expect(installabilityErrors.map(e => e.errorId)).toEqual(['in-incognito'])
      await context.close()
    })
  }

  test('offline, the start URL and the checkout open from the precache and say the order is safe; nothing of /api is cached', async ({ browser }) => {
    const context = await newContext(browser, ANDROID_CHROME)
    const page = await installed(context)
    const { orderNo } = await createOrder({ amountFen: 1200 })

    await context.setOffline(true)
    const start = await page.goto('/')
    expect(start?.status()).toBe(200)
    expect(start?.fromServiceWorker()).toBe(true)
    await expect(page.getByTestId('start-demo')).toBeVisible()
    await expect(page.getByTestId('offline-notice')).toBeVisible()
    await screen(page, 'pwa-offline-landing-phone-zh')

    const checkout = await page.goto(`/?lang=en#/pages/checkout/checkout?orderNo=${orderNo}&lang=en`)
    expect(checkout?.fromServiceWorker()).toBe(true)
    await expect(page.getByTestId('offline-notice')).toContainText('You are offline')
    await expect(page.getByTestId('offline-notice')).toContainText('Your order is safe')
    // The order could not load; the offline notice says why, so no "network failed" notice or retry button repeats it.
    await expect(page.locator('.checkout[data-phase=error]')).toBeAttached()
    await expect(page.getByTestId('notice')).toBeHidden()
    await expect(page.getByRole('button', { name: 'Try again' })).toBeHidden()
    await screen(page, 'pwa-offline-checkout-phone-en')

    // The API is never answered from a cache: offline, it fails.
    const api = await page.evaluate(async (no) => {
      try {
        const res = await fetch(`/api/orders/${no}/status`)
        return `answered ${res.status}`
      }
      catch {
        return 'failed'
      }
    }, orderNo)
    expect(api).toBe('failed')
    const cached = await cachedUrls(page)
    expect(cached.length).toBeGreaterThan(5)
    expect(cached.filter(u => /\/(?:api|sandbox|console)(?:\/|$)/.test(new URL(u).pathname))).toEqual([])
    expect(cached.every(u => u.startsWith(`${origin}/`))).toBe(true)
    // Back online, the checkout loads the order by itself.
    await context.setOffline(false)
    await expect(page.locator('.checkout[data-phase=ready]')).toBeVisible()
    await expect(page.getByTestId('offline-notice')).toBeHidden()
    await expect(page.getByTestId('pay')).toBeEnabled()

    // A navigation elsewhere on the server is not the cashier: offline, there is no fallback for it.
    await context.setOffline(true)
    await expect(page.goto('/console')).rejects.toThrow(/ERR_INTERNET_DISCONNECTED|ERR_FAILED/)
    await context.close()
  })

  test('online, the cashier\'s page comes from the server, not from the precache', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await installed(context)
    let seenByServer = 0
    await context.route(`${origin}/`, (route) => {
      seenByServer++
      return route.continue()
    })
    await page.goto('/')
    await expect(page.getByTestId('start-demo')).toBeVisible()
    expect(seenByServer).toBe(1)
    await context.close()
  })

  test('the result page: offline notice while offline, and paid as soon as the connection is back', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await installed(context)
    const { orderNo } = await createOrder({ amountFen: 4200 })
    const created = page.waitForResponse(r => r.url().endsWith('/api/payments'))
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    const action = await (await created).json() as { kind: string, codeUrl: string }
    expect(action.kind).toBe('qrcode')
    // The order itself loaded before going offline (the pending card can show before it has).
    const loaded = page.waitForResponse(r => new URL(r.url()).pathname === `/api/orders/${orderNo}` && r.ok())
    await page.goto(`/#/pages/result/result?orderNo=${orderNo}`)
    await loaded
    await expect(page.getByTestId('result-pending')).toBeVisible()

    await context.setOffline(true)
    await expect(page.getByTestId('offline-notice')).toBeVisible()
    await screen(page, 'pwa-offline-result-desktop-zh')
    // Paid on the phone while this page is offline: it cannot know yet.
    await sandbox('/api/wechat/pay', { body: { code_url: action.codeUrl } })
    await expect.poll(() => orderStatus(orderNo)).toBe('paid')
    await page.waitForTimeout(1500)
    await expect(page.getByTestId('result-pending')).toBeVisible()

    await context.setOffline(false)
    await expect(page.getByTestId('result-paid')).toBeVisible({ timeout: 5000 })
    await expect(page.getByTestId('offline-notice')).toBeHidden()
    await screen(page, 'pwa-back-online-result-paid-desktop-zh')
    // After a whole online payment (order, payment, status reads, an event stream), still nothing of /api cached.
    const cached = await cachedUrls(page)
    expect(cached.filter(u => new URL(u).pathname.startsWith('/api/'))).toEqual([])
    await context.close()
  })
})

test.describe('PWA shell: never inside apps', () => {
  for (const [name, ua] of [['WeChat', UA.wechatIphone], ['Alipay', ALIPAY_IPHONE], ['an Android app\'s WebView', ANDROID_WEBVIEW]] as const) {
    test(`${name}: no service worker, no manifest, and none of the shell's files requested`, async ({ browser }) => {
      const context = await newContext(browser, ua)
      const page = await context.newPage()
      const shellRequests: string[] = []
      context.on('request', (r) => {
        if (/\/(?:sw\.js|manifest\.webmanifest)$|\/icons\/|app-shell/.test(r.url()))
          shellRequests.push(r.url())
      })
      await page.goto('/')
      await expect(page.getByTestId('start-demo')).toBeVisible()
      expect(await registrationsAfterSettling(page)).toEqual([])
      await expect(page.locator('link[rel=manifest]')).toHaveCount(0)
      expect(shellRequests).toEqual([])
      await context.close()
    })
  }
})
