import type { PayMethod } from '@/contract/methods'
import type { Environment, EnvironmentKind } from '@/src/env'
import { describe, expect, it } from 'vitest'
import { PAY_METHODS } from '@/contract/methods'
import { choosePayMethods } from '@/src/pay/choose'

function env(kind: EnvironmentKind, extra: Partial<Environment> = {}): Environment {
  return { kind, os: 'ios', mobile: true, native: false, reasons: [], ...extra }
}

const ALL = PAY_METHODS

describe('choosePayMethods', () => {
  it.each<[string, Environment, PayMethod[], string | undefined]>([
    ['WeChat', env('wechat'), ['wechat_jsapi', 'alipay_wap'], undefined],
    ['Alipay', env('alipay'), ['alipay_app'], undefined],
    ['AlipayHK', env('alipay-hk'), ['alipay_app'], undefined],
    ['a mobile browser', env('mobile-browser'), ['wechat_h5', 'alipay_wap'], undefined],
    ['a desktop browser', env('desktop-browser', { os: 'windows', mobile: false }), ['wechat_native', 'alipay_qr'], undefined],
    ['a mini-program web-view', env('wechat-miniprogram'), ['wechat_mp'], 'miniprogram-handoff'],
    ['the mini program itself', env('wechat-miniprogram', { native: true }), ['wechat_mp'], undefined],
    ['WeCom', env('wecom'), ['wechat_native', 'alipay_qr'], 'qr-in-wecom'],
    ['desktop WeChat', env('wechat-desktop', { os: 'windows', mobile: false }), ['wechat_native', 'alipay_qr'], 'qr-in-desktop-wechat'],
    ['DingTalk', env('other-app', { app: 'dingtalk', os: 'android' }), ['wechat_h5', 'alipay_wap', 'wechat_native', 'alipay_qr'], 'open-in-browser'],
    ['an Android app\'s WebView', env('other-app', { app: 'webview', os: 'android' }), ['wechat_h5', 'alipay_wap', 'wechat_native', 'alipay_qr'], 'open-in-browser'],
    ['an iOS app\'s WKWebView', env('other-app', { app: 'webview', os: 'ios' }), ['wechat_h5', 'alipay_wap', 'wechat_native', 'alipay_qr'], 'open-in-browser'],
  ])('in %s offers %j, default first, with hint %s', (_, e, methods, hint) => {
    const choice = choosePayMethods(e, ALL)
    expect(choice.options.map(o => o.method)).toEqual(methods)
    expect(choice.hint).toBe(hint)
    expect(choice.reasons.length).toBeGreaterThan(0)
  })

  it('inside WeChat, Alipay opens the browser guide instead of navigating', () => {
    const choice = choosePayMethods(env('wechat'), ALL)
    expect(choice.options).toEqual([
      { method: 'wechat_jsapi', action: 'pay' },
      { method: 'alipay_wap', action: 'open-in-browser' },
    ])
  })

  it('in an unnamed app\'s WebView, every option pays here, says so, and keeps the hint when only a QR code is allowed', () => {
    const choice = choosePayMethods(env('other-app', { app: 'webview', os: 'android' }), ALL)
    expect(choice.options.every(o => o.action === 'pay')).toBe(true)
    expect(choice.reasons[0]).toMatch(/an app's WebView/)
    expect(choosePayMethods(env('other-app', { app: 'webview' }), ['alipay_qr'])).toMatchObject({ options: [{ method: 'alipay_qr', action: 'pay' }], hint: 'open-in-browser' })
  })

  it('a mini-program web-view hands off instead of paying', () => {
    expect(choosePayMethods(env('wechat-miniprogram'), ALL).options).toEqual([{ method: 'wechat_mp', action: 'handoff' }])
  })

  it('keeps only the methods the order allows, in the environment\'s order', () => {
    const choice = choosePayMethods(env('desktop-browser'), ['alipay_qr', 'wechat_h5'])
    expect(choice.options.map(o => o.method)).toEqual(['alipay_qr'])
    expect(choice.reasons.join(' ')).toContain('wechat_native')
  })

  it('says so, and drops the hint, when nothing the order allows works here', () => {
    const choice = choosePayMethods(env('wecom'), ['wechat_jsapi'])
    expect(choice.options).toEqual([])
    expect(choice.hint).toBeUndefined()
    expect(choice.reasons.at(-1)).toMatch(/no method/)
  })

  it('covers every environment kind', () => {
    const kinds: EnvironmentKind[] = ['wechat', 'wechat-miniprogram', 'wechat-desktop', 'wecom', 'alipay', 'alipay-hk', 'other-app', 'mobile-browser', 'desktop-browser']
    for (const kind of kinds)
      expect(choosePayMethods(env(kind), ALL).options.length, kind).toBeGreaterThan(0)
  })
})
