import type { Environment, EnvironmentKind, EnvironmentProbe, OsName, OtherApp } from './types'

/** The first capture group of `re` that matched in `ua`, trimmed to at most three dotted parts. */
function version(ua: string, re: RegExp): string | undefined {
  const found = re.exec(ua)?.slice(1).find(Boolean)
  return found?.split('.').slice(0, 3).join('.')
}

interface AppRule { app: OtherApp, test: RegExp, version?: RegExp }

/** In-app browsers other than WeChat's and Alipay's, most specific first. */
const OTHER_APPS: AppRule[] = [
  { app: 'dingtalk', test: /dingtalk|com\.alibaba\.android\.rimet|com\.laiwang\.dingtalk/i, version: /DingTalk\/([\d.]+)/i },
  { app: 'taobao', test: /AliApp\s*\(\s*TB\b|\bTaobao\//i, version: /AliApp\s*\(\s*TB\/([\d.]+)/i },
  { app: 'feishu', test: /\bLark\/|\bFeishu\b/i, version: /(?:Lark|Feishu)\/([\d.]+)/i },
  { app: 'unionpay', test: /com\.unionpay|UnionPay\//i, version: /UnionPay\/([\d.]+)/i },
  { app: 'weibo', test: /__weibo__|\bWeibo\b/i, version: /__weibo__([\d.]+)/i },
  { app: 'toutiao', test: /NewsArticle\//i, version: /NewsArticle\/([\d.]+)/i },
  { app: 'douyin', test: /aweme/i, version: /(?:app_version|aweme)\/([\d.]+)|aweme_(\d+\.[\d.]+)/i },
  { app: 'kuaishou', test: /\bKwai(?:_Lite|_Pro)?\//i, version: /\bKwai(?:_Lite|_Pro)?\/([\d.]+)/i },
  { app: 'xiaohongshu', test: /xhsdiscover/i, version: /xhsdiscover\/([\d.]+)/i },
  { app: 'baidu', test: /baiduboxapp/i, version: /baiduboxapp\/([\d.]+)/i },
  // Mobile QQ (not QQ Browser): `QQ/<digits>`; plain `MQQBrowser` is the browser app.
  { app: 'qq', test: /(?:^|[\s;(])QQ\/\d/i, version: /(?:^|[\s;(])QQ\/([\d.]+)/i },
]

/**
 * The token of a browser product (brands, never device models). A page in a real browser must stay a browser even
 * where its UA looks like a WebView: Baidu (`bdbrowser`), Maxthon, Samsung Internet, Huawei and vivo browsers carry
 * Android's `; wv)`; UC, Quark, Firefox Focus and the old DuckDuckGo send no `Safari/` on iOS.
 * - `…Browser/<version>` covers most vendors (UCBrowser, HuaweiBrowser, MiuiBrowser, VivoBrowser, HeyTapBrowser,
 *   SamsungBrowser, MQQBrowser, bdbrowser, MxBrowser …), except
 *   - `EmbeddedBrowser/`, which some apps put in their own WebView's UA, and
 *   - a `…Browser/<version>` followed by `TBS/`: Tencent's X5 engine inside an app (`MQQBrowser/6.2 TBS/045738`,
 *     `99Browser/6.2 TBS/…`) is a WebView, not QQ Browser (whose UA never has `TBS/`).
 *   `\S*(?!\S)` takes the whole version token, so the `TBS/` lookahead cannot be dodged by backtracking.
 * - The rest name the product without "Browser": Edge (`EdgA/`, `EdgiOS/`; `EdgW/` is Edge's WebView and is not
 *   here), Chrome and Firefox on iOS, Opera, Firefox, Focus, Quark, DuckDuckGo.
 * No lookbehind anywhere: iOS WebKit before 16.4 cannot even parse it, which would break the whole page.
 */
const BROWSER_PRODUCT = /\b(?!embedded)\w*browser\/\S*(?!\S)(?!\s+tbs\/)|\b(?:edga|edgios|crios|fxios|opr|opt|opios|firefox|focus|quark|duckduckgo)\/\S+|\bddg-ios-\d+/i

/** Android's System WebView adds `; wv` to the platform part of the UA (`… Build/XYZ; wv)`); Chrome never does. */
const ANDROID_WEBVIEW = /[(;]\s*wv\s*[;)]/i

function detectOs(ua: string, maxTouchPoints: number): { os: OsName, reason: string } {
  if (/OpenHarmony|HarmonyOS|ArkWeb/i.test(ua))
    return { os: 'harmony', reason: 'UA names HarmonyOS' }
  if (/iPhone|iPad|iPod|\biOS\b|CPU OS \d/i.test(ua))
    return { os: 'ios', reason: 'UA names iPhone/iPad' }
  if (/Android|Adr\b/i.test(ua))
    return { os: 'android', reason: 'UA names Android' }
  if (/Windows|Win64|WOW64/i.test(ua))
    return { os: 'windows', reason: 'UA names Windows' }
  if (/Macintosh|Mac OS X|MacWechat/i.test(ua)) {
    if (maxTouchPoints > 1)
      return { os: 'ios', reason: 'Mac UA with touch points: iPadOS 13+' }
    return { os: 'macos', reason: 'UA names macOS' }
  }
  if (/CrOS|Linux|X11/i.test(ua))
    return { os: 'linux', reason: 'UA names Linux/ChromeOS' }
  return { os: 'other', reason: 'no known OS in UA' }
}

function isMobileUa(ua: string, os: OsName, maxTouchPoints: number): boolean {
  if (os === 'ios' || os === 'android')
    return true
  if (os === 'harmony')
    return !/\b(?:PC|Tablet\s*PC)\b/i.test(ua) || /Mobile|Phone/i.test(ua)
  if (os === 'macos' && maxTouchPoints > 1)
    return true
  return /Mobile|Phone/i.test(ua) && !/Windows NT|Macintosh/i.test(ua)
}

/**
 * Whether a page no earlier rule placed runs in some app's WebView rather than in a browser. Two signatures, both
 * general (no list of apps or models): Android's `; wv)` marker, and an iOS WebKit UA without `Safari/` (WKWebView
 * and UIWebView leave it out unless the app adds it; Safari, Chrome, Firefox and Edge on iOS all send it).
 * A browser product's token overrules both; so does a home-screen web app (`standalone`), which is Safari without
 * `Safari/` in its UA.
 */
function appWebView(ua: string, os: OsName, standalone: boolean): { app: boolean, reason: string } {
  const android = ANDROID_WEBVIEW.test(ua)
  const ios = os === 'ios' && /AppleWebKit/i.test(ua) && !/\bSafari\//i.test(ua)
  if (!android && !ios)
    return { app: false, reason: 'no WebView signature (Android `; wv)`, iOS without Safari/)' }
  const signature = android ? 'UA has Android\'s `; wv)` WebView marker' : 'iOS UA without Safari/'
  const product = BROWSER_PRODUCT.exec(ua)?.[0]
  if (product !== undefined)
    return { app: false, reason: `${signature}, but names the browser product ${product}` }
  if (standalone)
    return { app: false, reason: `${signature}, but runs as a home-screen web app (standalone)` }
  return { app: true, reason: `${signature} and names no browser product: an app's WebView` }
}

/**
 * Decides where the cashier is running, from the probe alone (no globals are read here).
 * Order matters: WeCom UAs also contain MicroMessenger, AlipayHK contains AlipayClient,
 * DingTalk and Taobao contain AliApp. An unnamed app's WebView is the last guess before "a browser": a UA naming
 * the app, or a wallet's bridge, says more (WeChat, QQ, Douyin … are WebViews too).
 * Every rule is case-insensitive: some proxies and SDKs lower-case the UA.
 */
export function detectEnvironment(probe: EnvironmentProbe): Environment {
  // Collapse odd spacing so `Micro Messenger`-style noise does not defeat the rules below.
  const ua = (probe.userAgent ?? '').replace(/\s+/g, ' ').trim()
  const touch = probe.maxTouchPoints ?? 0
  const { os, reason: osReason } = detectOs(ua, touch)
  const mobile = isMobileUa(ua, os, touch)
  const reasons: string[] = [osReason]
  const result = (kind: EnvironmentKind, extra: Partial<Environment> = {}): Environment =>
    ({ kind, os, mobile, native: false, reasons, ...extra })

  if (probe.uniPlatform === 'mp-weixin') {
    reasons.push('built for mp-weixin: running inside the mini program itself')
    return result('wechat-miniprogram', { native: true, mobile: true })
  }

  const wechatVersion = version(ua, /MicroMessenger\/([\d.]+)/i)
  if (/wxwork\//i.test(ua)) {
    reasons.push('UA contains wxwork/: WeCom')
    return result('wecom', { appVersion: version(ua, /wxwork\/([\d.]+)/i) })
  }
  if (probe.wxjsEnvironment === 'miniprogram' || /miniProgram/i.test(ua)) {
    reasons.push(probe.wxjsEnvironment === 'miniprogram'
      ? 'window.__wxjs_environment is miniprogram: mini-program web-view'
      : 'UA contains miniProgram: mini-program web-view')
    return result('wechat-miniprogram', { appVersion: wechatVersion })
  }
  if (wechatVersion !== undefined || /MicroMessenger/i.test(ua)) {
    if (/WindowsWechat|MacWechat/i.test(ua)) {
      reasons.push('UA contains MicroMessenger with WindowsWechat/MacWechat: desktop WeChat')
      return result('wechat-desktop', { appVersion: wechatVersion, mobile: false })
    }
    reasons.push('UA contains MicroMessenger: WeChat in-app browser')
    return result('wechat', { appVersion: wechatVersion })
  }
  if (/AlipayClientHK/i.test(ua)) {
    reasons.push('UA contains AlipayClientHK: AlipayHK')
    return result('alipay-hk', { appVersion: version(ua, /AlipayClientHK\/([\d.]+)/i) })
  }
  if (/AlipayClient/i.test(ua)) {
    reasons.push('UA contains AlipayClient: Alipay app')
    return result('alipay', { appVersion: version(ua, /AlipayClient\/([\d.]+)/i) })
  }
  for (const rule of OTHER_APPS) {
    if (rule.test.test(ua)) {
      reasons.push(`UA matches ${rule.app}: another app's in-app browser`)
      return result('other-app', { app: rule.app, appVersion: rule.version ? version(ua, rule.version) : undefined })
    }
  }
  if (probe.hasWeixinBridge) {
    reasons.push('WeixinJSBridge is present although the UA does not say WeChat')
    return result('wechat', { appVersion: wechatVersion })
  }
  if (probe.hasAlipayBridge) {
    reasons.push('AlipayJSBridge is present although the UA does not say Alipay')
    return result('alipay')
  }
  const webview = appWebView(ua, os, probe.standalone === true)
  reasons.push(webview.reason)
  if (webview.app) {
    // An app that does not say which it is: a redirect to a wallet's scheme may be blocked here, like in a named one.
    return result('other-app', { app: 'webview' })
  }
  if (mobile) {
    reasons.push('a mobile browser')
    return result('mobile-browser')
  }
  reasons.push('a desktop browser')
  return result('desktop-browser')
}
