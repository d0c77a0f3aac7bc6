import type { AlipayJSBridge } from '../pay/drivers/alipay-app'
import type { WeixinJSBridge } from '../pay/drivers/wechat-jsapi'

/**
 * The globals the cashier reads, declared optional: they exist only inside the wallet (or browser) that provides
 * them, so every call site has to check first.
 */
declare global {
  interface Window {
    /** Injected by WeChat's in-app browser (announced by `WeixinJSBridgeReady`). */
    WeixinJSBridge?: WeixinJSBridge
    /** Injected by the Alipay app (announced by `AlipayJSBridgeReady`). */
    AlipayJSBridge?: AlipayJSBridge
    /** `'miniprogram'` inside a mini program's `<web-view>`. */
    __wxjs_environment?: string
  }

  interface Navigator {
    /** Safari on iOS only: `true` in a web app opened from the home screen. */
    readonly standalone?: boolean
  }

  interface ImportMetaEnv {
    /** The merchant server's origin when the cashier is served from elsewhere (a CDN); unset = the page's origin. */
    readonly VITE_API_BASE?: string
  }
}

/**
 * Components that pages use without importing them (pages.json `easycom`), so that a component used only inside a
 * template's `#ifdef H5` never reaches the mini program's bundle.
 */
declare module 'vue' {
  interface GlobalComponents {
    QrPanel: typeof import('../../components/QrPanel.vue')['default']
    OpenInBrowserGuide: typeof import('../../components/OpenInBrowserGuide.vue')['default']
  }
}

export {}
