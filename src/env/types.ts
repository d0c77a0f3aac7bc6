/** Where the cashier page is running. */
export type EnvironmentKind
  /** WeChat's in-app browser on a phone or tablet: OAuth + JSAPI work. */
  = | 'wechat'
  /** A WeChat mini program: its `<web-view>` (H5 build) or the mini program itself (mp-weixin build). */
    | 'wechat-miniprogram'
  /** WeChat for Windows or macOS: JSAPI is not dependable, a QR code is. */
    | 'wechat-desktop'
  /** WeCom (企业微信): its UA also says MicroMessenger, but JSAPI is not dependable. */
    | 'wecom'
  /** The Alipay app (mainland). */
    | 'alipay'
  /** AlipayHK. */
    | 'alipay-hk'
  /** Another app's in-app browser (QQ, DingTalk, Weibo … or an unnamed app's WebView): see `Environment.app`. */
    | 'other-app'
  /** A phone or tablet browser. */
    | 'mobile-browser'
  /** A desktop browser. */
    | 'desktop-browser'

export type OsName = 'ios' | 'android' | 'harmony' | 'windows' | 'macos' | 'linux' | 'other'

/** Apps whose in-app browser is neither WeChat's nor Alipay's. */
export type OtherApp
  = | 'qq'
    | 'dingtalk'
    | 'weibo'
    | 'douyin'
    | 'unionpay'
    | 'taobao'
    | 'toutiao'
    | 'feishu'
    | 'baidu'
    | 'kuaishou'
    | 'xiaohongshu'
  /**
   * An app that does not name itself: Android's System WebView (`; wv)` in the UA) or an iOS WKWebView (no
   * `Safari/`), with no browser product's token. Like a named app, it may block the redirect to a wallet.
   */
    | 'webview'

/** Everything the runtime can tell, gathered by a thin wrapper so detection stays a pure function. */
export interface EnvironmentProbe {
  userAgent: string
  /** `window.__wxjs_environment`: 'miniprogram' inside a mini program's web-view. */
  wxjsEnvironment?: string
  /** `navigator.maxTouchPoints`: iPadOS 13+ Safari claims to be a Mac, but has touch points. */
  maxTouchPoints?: number
  /** `typeof WeixinJSBridge !== 'undefined'`. */
  hasWeixinBridge?: boolean
  /** `typeof AlipayJSBridge !== 'undefined'`. */
  hasAlipayBridge?: boolean
  /**
   * A home-screen web app (`navigator.standalone` on iOS, or `display-mode: standalone`): a browser, although iOS
   * leaves `Safari/` out of its UA.
   */
  standalone?: boolean
  /** The uni build platform (`process.env.UNI_PLATFORM`): 'h5', 'mp-weixin' … */
  uniPlatform?: string
}

export interface Environment {
  kind: EnvironmentKind
  os: OsName
  /** Only for kind 'other-app'. */
  app?: OtherApp
  /** The host app's version where the UA has it (WeChat, WeCom, Alipay, QQ …). */
  appVersion?: string
  /** A phone or a tablet (touch first), as opposed to a desktop. */
  mobile: boolean
  /** True in the mini program itself (mp-weixin build), false in every web page. */
  native: boolean
  /** Human-readable evidence for each decision, shown in the debug panel. */
  reasons: string[]
}
