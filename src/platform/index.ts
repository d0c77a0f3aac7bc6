/**
 * The one platform seam: everything that differs between the H5 build and the mini program is chosen here, by
 * uni's `#ifdef`, and nowhere else in script. Pages and components import from this module only; stores and
 * drivers take what it builds as arguments, so vitest (which runs both `#ifdef` branches) never needs it.
 */
import type { FlagStorage } from '../env/debug-flag'
import type { Connectivity, WatcherHost } from '../result/watcher'
import type { CheckoutDeps } from '../stores/checkout'
import type { ResultDeps } from '../stores/result'
import { newIdempotencyKey } from '../api/idempotency-key'
import { currentEnvironment } from '../env'
import { debugPanelWanted } from '../env/debug-flag'
import { pageUrl } from '../routes'
import { api } from './api'
// #ifdef H5
import { copyPageLink as copyH5PageLink, h5AlipayBridgeHost, h5BridgeHost, h5Connectivity, h5OAuthHost, h5RedirectHost, h5WatcherHost } from './h5'
import { handOffToMiniProgram } from './miniprogram-webview'
// #endif
// #ifdef MP-WEIXIN
import { ensureMiniProgramSession } from '../auth/mp-session'
import { payInMiniProgram } from '../pay/drivers/wechat-mp'
import { mpUni, mpWatcherHost } from './mp'
// #endif

export { api, apiBase } from './api'

/** Watches `orderNo` on the server: server-sent events and page visibility on H5, polling in the mini program. */
export function watcherHost(orderNo: string): WatcherHost {
  return {
    // #ifdef H5
    ...h5WatcherHost(api, orderNo),
    // #endif
    // #ifdef MP-WEIXIN
    ...mpWatcherHost(api, orderNo),
    // #endif
  }
}

/** The checkout's dependencies on this platform. */
export function checkoutDeps(): CheckoutDeps {
  return {
    api,
    env: currentEnvironment(),
    newKey: newIdempotencyKey,
    watcherHost,
    goToResult: (orderNo, from) => uni.redirectTo({ url: pageUrl('result', { orderNo, from }) }),
    // #ifdef H5
    oauth: h5OAuthHost(),
    bridge: h5BridgeHost(),
    alipayBridge: h5AlipayBridgeHost(),
    redirect: h5RedirectHost(),
    handoff: handOffToMiniProgram,
    // #endif
    // #ifdef MP-WEIXIN
    miniProgram: {
      ensureSession: opts => ensureMiniProgramSession(mpUni(), code => api.createMiniProgramSession(code), opts),
      pay: params => payInMiniProgram(params, mpUni()),
    },
    // #endif
  }
}

/** The result page's dependencies on this platform. */
export function resultDeps(): ResultDeps {
  return {
    api,
    newKey: newIdempotencyKey,
    watcherHost,
    goToCheckout: orderNo => uni.redirectTo({ url: pageUrl('checkout', { orderNo }) }),
    // #ifdef H5
    pendingAttempts: window.sessionStorage,
    redirect: h5RedirectHost(),
    // #endif
  }
}

/** Whether the checkout shows its debug panel (`debug=1`; kept for the tab on H5, see src/env/debug-flag.ts). */
export function showDebugPanel(query: Record<string, unknown> | undefined): boolean {
  let storage: FlagStorage | undefined
  try {
    // #ifdef H5
    storage = window.sessionStorage // a getter that throws where storage is refused
    // #endif
  }
  catch {}
  return debugPanelWanted(query, storage)
}

/** The browser's online state for the offline notice (H5); undefined in the mini program. */
export function connectivity(): Connectivity | undefined {
  const make: Array<() => Connectivity> = [
    // #ifdef H5
    h5Connectivity,
    // #endif
  ]
  return make[0]?.()
}

/** Copies this page's link for "open in your browser"; false where the browser refuses (or there is no link). */
export async function copyPageLink(): Promise<boolean> {
  const copy: Array<() => Promise<boolean>> = [
    // #ifdef H5
    copyH5PageLink,
    // #endif
  ]
  return (await copy[0]?.()) ?? false
}
