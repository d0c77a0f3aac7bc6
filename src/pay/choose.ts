import type { PayMethod } from '../../contract/methods'
import type { Environment } from '../env/types'

/**
 * What tapping an option does:
 * - `pay`: run the method's driver here;
 * - `handoff`: hand the order to the mini program (a mini-program web-view may not run JSAPI);
 * - `open-in-browser`: show the "open in your browser" guide (Alipay is blocked inside WeChat).
 */
export type PayAction = 'pay' | 'handoff' | 'open-in-browser'

export interface PayOption {
  method: PayMethod
  action: PayAction
}

/** A notice the checkout shows above the methods, explaining why they are what they are. */
export type PayHint
  = | 'open-in-browser'
    | 'qr-in-desktop-wechat'
    | 'qr-in-wecom'
    | 'miniprogram-handoff'

export interface PayChoice {
  /** Ordered, default first. Empty when the order allows nothing that works here. */
  options: PayOption[]
  hint?: PayHint
  reasons: string[]
}

const pay = (method: PayMethod): PayOption => ({ method, action: 'pay' })

function candidates(env: Environment): { options: PayOption[], hint?: PayHint, reason: string } {
  switch (env.kind) {
    case 'wechat':
      return {
        options: [pay('wechat_jsapi'), { method: 'alipay_wap', action: 'open-in-browser' }],
        reason: 'inside WeChat: JSAPI pay; Alipay only after opening a browser',
      }
    case 'wechat-miniprogram':
      return env.native
        ? { options: [pay('wechat_mp')], reason: 'the mini program itself: uni.requestPayment' }
        : {
            options: [{ method: 'wechat_mp', action: 'handoff' }],
            hint: 'miniprogram-handoff',
            reason: 'a mini-program web-view may not run JSAPI: hand off to the mini program',
          }
    case 'wechat-desktop':
      return {
        options: [pay('wechat_native'), pay('alipay_qr')],
        hint: 'qr-in-desktop-wechat',
        reason: 'desktop WeChat: JSAPI is not dependable, a QR code is',
      }
    case 'wecom':
      return {
        options: [pay('wechat_native'), pay('alipay_qr')],
        hint: 'qr-in-wecom',
        reason: 'WeCom: JSAPI is not dependable, a QR code is',
      }
    case 'alipay':
    case 'alipay-hk':
      return { options: [pay('alipay_app')], reason: 'inside Alipay: tradePay' }
    case 'other-app':
      // Named or not (app 'webview': an app's Android WebView or iOS WKWebView), the app may refuse to follow the
      // redirect to a wallet's scheme; the QR codes work anyway (saved, or shown to another phone), so all four stay,
      // with the hint to open a real browser.
      return {
        options: [pay('wechat_h5'), pay('alipay_wap'), pay('wechat_native'), pay('alipay_qr')],
        hint: 'open-in-browser',
        reason: `inside ${env.app === 'webview' ? 'an app\'s WebView' : env.app ?? 'another app'}: browser methods, QR codes, and a hint to open a real browser`,
      }
    case 'mobile-browser':
      return { options: [pay('wechat_h5'), pay('alipay_wap')], reason: 'a mobile browser: WeChat H5 pay or Alipay WAP pay' }
    case 'desktop-browser':
      return { options: [pay('wechat_native'), pay('alipay_qr')], reason: 'a desktop browser: scan a QR code' }
  }
}

/**
 * The methods to offer in `env`, default first, limited to those the order allows.
 * Pure: no globals, so it is unit-tested for every environment kind.
 */
export function choosePayMethods(env: Environment, allowedByOrder: readonly PayMethod[]): PayChoice {
  const { options, hint, reason } = candidates(env)
  const allowed = new Set(allowedByOrder)
  const kept = options.filter(o => allowed.has(o.method))
  const reasons = [reason]
  const dropped = options.filter(o => !allowed.has(o.method)).map(o => o.method)
  if (dropped.length > 0)
    reasons.push(`not allowed by the order: ${dropped.join(', ')}`)
  if (kept.length === 0)
    reasons.push('no method usable here is allowed by the order')
  return { options: kept, hint: kept.length > 0 ? hint : undefined, reasons }
}
