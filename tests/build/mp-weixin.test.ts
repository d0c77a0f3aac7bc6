import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const out = path.resolve('dist/build/mp-weixin')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    return statSync(p).isDirectory() ? files(p) : [p]
  })
}

/** Markers of code that must never reach the mini program. */
const FORBIDDEN: Array<[string, RegExp]> = [
  ['weixin-js-sdk', /invokeMiniProgramAPI|jweixin/],
  ['qrcode', /No input text|Encoder not initialized|toCanvas\(/],
  ['EventSource', /new EventSource|\bEventSource\(/],
  ['the sandbox bridge', /__sandboxBridge/],
]

describe('the mp-weixin build (npm run build:mp-weixin)', () => {
  it('exists with the checkout and result pages registered', () => {
    expect(existsSync(out), 'run npm run build:mp-weixin first').toBe(true)
    const app = JSON.parse(readFileSync(path.join(out, 'app.json'), 'utf8')) as { pages: string[] }
    expect(app.pages).toEqual(expect.arrayContaining(['pages/checkout/checkout', 'pages/result/result']))
    for (const page of ['checkout', 'result']) {
      for (const ext of ['js', 'wxml', 'json'])
        expect(existsSync(path.join(out, 'pages', page, `${page}.${ext}`)), `${page}.${ext}`).toBe(true)
    }
  })

  it('pays with uni.requestPayment and logs in with uni.login', () => {
    const all = files(out).filter(f => f.endsWith('.js')).map(f => readFileSync(f, 'utf8')).join('\n')
    expect(all).toMatch(/requestPayment/)
    expect(all).toMatch(/\.login\(/)
  })

  it.each(FORBIDDEN)('contains no %s', (_, marker) => {
    for (const file of files(out).filter(f => /\.(?:js|wxml)$/.test(f)))
      expect(readFileSync(file, 'utf8'), path.relative(out, file)).not.toMatch(marker)
  })
})
