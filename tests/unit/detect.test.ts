import type { EnvironmentKind, EnvironmentProbe, OsName, OtherApp } from '@/src/env'
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

  it('copes with lowercase and oddly spaced user agents', () => {
    expect(detectEnvironment({ userAgent: iphoneWechat.toLowerCase() }).kind).toBe('wechat')
    expect(detectEnvironment({ userAgent: iphoneWechat.replace(/ /g, '  ') })).toMatchObject({ kind: 'wechat', appVersion: '8.0.49' })
    expect(detectEnvironment({ userAgent: '' }).kind).toBe('desktop-browser')
  })
})
