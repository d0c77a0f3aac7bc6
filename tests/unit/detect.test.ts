import type { EnvironmentKind, EnvironmentProbe, OsName, OtherApp } from '@/src/env'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import process from 'node:process'
import { describe, expect, it } from 'vitest'
import { detectEnvironment } from '@/src/env'
import uaFixture from '../fixtures/user-agents.json'

interface UaCase {
  ua: string
  source: string
  probe?: Omit<EnvironmentProbe, 'userAgent'>
  expect: { kind: EnvironmentKind, os: OsName, app?: OtherApp, appVersion?: string }
}

const fixture = uaFixture as { cases: UaCase[] }

describe('detectEnvironment over real user agents', () => {
  it('has at least 120 sourced cases covering every kind', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(120)
    for (const c of fixture.cases)
      expect(c.source, c.ua).toMatch(/\S/)
    const kinds = new Set(fixture.cases.map(c => c.expect.kind))
    expect([...kinds].sort()).toEqual(['alipay', 'alipay-hk', 'desktop-browser', 'mobile-browser', 'other-app', 'wechat', 'wechat-desktop', 'wechat-miniprogram', 'wecom'])
    const oses = new Set(fixture.cases.map(c => c.expect.os))
    for (const os of ['ios', 'android', 'harmony', 'windows', 'macos', 'linux'])
      expect(oses.has(os as OsName), os).toBe(true)
  })

  it.each(fixture.cases.map(c => [`${c.expect.kind}/${c.expect.os}${c.expect.app ? `/${c.expect.app}` : ''}: ${c.ua.slice(0, 90)}`, c] as const))('%s', (_, c) => {
    const env = detectEnvironment({ userAgent: c.ua, ...c.probe })
    expect(env.kind).toBe(c.expect.kind)
    expect(env.os).toBe(c.expect.os)
    if (c.expect.app)
      expect(env.app).toBe(c.expect.app)
    if (c.expect.appVersion)
      expect(env.appVersion).toBe(c.expect.appVersion)
    expect(env.reasons.length).toBeGreaterThan(1)
  })

  it.each(['toLowerCase', 'toUpperCase'] as const)('gives every case the same result after %s (proxies and SDKs change the case)', (change) => {
    for (const c of fixture.cases) {
      const result = (userAgent: string) => {
        const { kind, os, app, appVersion, mobile } = detectEnvironment({ userAgent, ...c.probe })
        return { kind, os, app, appVersion, mobile }
      }
      expect(result(c.ua[change]()), c.ua).toEqual(result(c.ua))
    }
  })

  it('has unnamed app WebViews of both families: Android `; wv)` from several vendors, iOS without Safari/ from iOS 12 to 18', () => {
    const webviews = fixture.cases.filter(c => c.expect.app === 'webview')
    const android = webviews.filter(c => /; wv\)/.test(c.ua))
    expect(android.length).toBeGreaterThanOrEqual(20)
    for (const vendor of [/SM-|SAMSUNG/, /Redmi|\bMI |MIX/, /CPH|A37f|PADT00/, /vivo|V1816T/, /HUAWEI/i, /HONOR/i, /Pixel/])
      expect(android.some(c => vendor.test(c.ua)), String(vendor)).toBe(true)
    const iosMajors = new Set(webviews.filter(c => c.expect.os === 'ios').map(c => /OS (\d+)_/.exec(c.ua)?.[1]))
    for (const major of ['12', '13', '14', '15', '16', '17', '18'])
      expect(iosMajors.has(major), `iOS ${major}`).toBe(true)
  })
})

describe('detectEnvironment from runtime probes', () => {
  const iphoneWechat = 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003135) NetType/4G Language/zh_CN'
  const iphoneSafari = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'
  const macSafari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15'

  it('treats __wxjs_environment=miniprogram as a mini-program web-view even without the UA token', () => {
    const env = detectEnvironment({ userAgent: iphoneWechat, wxjsEnvironment: 'miniprogram' })
    expect(env.kind).toBe('wechat-miniprogram')
    expect(env.native).toBe(false)
  })

  it('treats the mp-weixin build as the mini program itself', () => {
    const env = detectEnvironment({ userAgent: '', uniPlatform: 'mp-weixin' })
    expect(env).toMatchObject({ kind: 'wechat-miniprogram', native: true })
  })

  it('believes a WeixinJSBridge or AlipayJSBridge when the UA was rewritten', () => {
    expect(detectEnvironment({ userAgent: iphoneSafari, hasWeixinBridge: true }).kind).toBe('wechat')
    expect(detectEnvironment({ userAgent: iphoneSafari, hasAlipayBridge: true }).kind).toBe('alipay')
  })

  it('tells an iPad that claims to be a Mac by its touch points', () => {
    expect(detectEnvironment({ userAgent: macSafari, maxTouchPoints: 5 })).toMatchObject({ kind: 'mobile-browser', os: 'ios', mobile: true })
    expect(detectEnvironment({ userAgent: macSafari, maxTouchPoints: 0 })).toMatchObject({ kind: 'desktop-browser', os: 'macos', mobile: false })
  })

  it('treats a home-screen web app as a browser, although iOS leaves Safari/ out of its UA', () => {
    const wkwebview = 'Mozilla/5.0 (iPhone; CPU iPhone OS 14_8_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
    expect(detectEnvironment({ userAgent: wkwebview })).toMatchObject({ kind: 'other-app', app: 'webview', os: 'ios' })
    expect(detectEnvironment({ userAgent: wkwebview, standalone: true })).toMatchObject({ kind: 'mobile-browser', os: 'ios' })
  })

  it('tells an iPad app\'s WebView that claims to be a Mac by its touch points, and leaves macOS apps alone', () => {
    // matomo-org/device-detector Tests/Parser/Client/fixtures/browser.yml
    const macWebView = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'
    expect(detectEnvironment({ userAgent: macWebView, maxTouchPoints: 5 })).toMatchObject({ kind: 'other-app', app: 'webview', os: 'ios' })
    expect(detectEnvironment({ userAgent: macWebView, maxTouchPoints: 0 })).toMatchObject({ kind: 'desktop-browser', os: 'macos' })
  })

  it('lets a UA naming the app, or a wallet\'s bridge, win over the WebView signature', () => {
    const androidWebView = 'Mozilla/5.0 (Linux; Android 9; MI 6 Build/PKQ1.190118.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/93.0.4577.62 Mobile Safari/537.36'
    expect(detectEnvironment({ userAgent: androidWebView, hasWeixinBridge: true }).kind).toBe('wechat')
    expect(detectEnvironment({ userAgent: androidWebView, hasAlipayBridge: true }).kind).toBe('alipay')
    expect(detectEnvironment({ userAgent: androidWebView }).reasons.join(' ')).toMatch(/; wv\)/)
  })

  it('uses no regex lookbehind, which iOS WebKit before 16.4 cannot parse', () => {
    const source = readFileSync(resolve(process.cwd(), 'src/env/detect.ts'), 'utf8')
    expect(source).not.toMatch(/\(\?<[=!]/)
  })

  it('copes with lowercase and oddly spaced user agents', () => {
    expect(detectEnvironment({ userAgent: iphoneWechat.toLowerCase() }).kind).toBe('wechat')
    expect(detectEnvironment({ userAgent: iphoneWechat.replace(/ /g, '  ') })).toMatchObject({ kind: 'wechat', appVersion: '8.0.49' })
    expect(detectEnvironment({ userAgent: '' }).kind).toBe('desktop-browser')
  })
})
