import type { JsapiParams } from '../../../contract/api'
import type { PayOutcome } from '../outcome'
import { waitForBridge } from './bridge-ready'

export interface WeixinJSBridge {
  invoke: (name: 'getBrandWCPayRequest', params: JsapiParams, callback: (res: { err_msg?: string, errMsg?: string, err_desc?: string }) => void) => void
}

/** The part of `window`/`document` the driver touches, so tests can pass a fake. */
export interface WeixinBridgeHost {
  WeixinJSBridge?: WeixinJSBridge
  document: Pick<Document, 'addEventListener' | 'removeEventListener'>
}

/** Resolves once WeixinJSBridge exists; memoised, and forgotten after a timeout so a later call tries again. */
export function waitForWeixinBridge(host: WeixinBridgeHost, timeoutMs = 5000): Promise<WeixinJSBridge> {
  return waitForBridge<'WeixinJSBridge', WeixinJSBridge>(host, 'WeixinJSBridge', 'WeixinJSBridgeReady', timeoutMs)
}

/** Maps the bridge's `err_msg` to an outcome; "ok" is only a claim the server must confirm. */
export function jsapiOutcome(res: { err_msg?: string, errMsg?: string, err_desc?: string }): PayOutcome {
  const msg = res.err_msg ?? res.errMsg ?? ''
  if (/:ok$/i.test(msg))
    return { status: 'submitted' }
  if (/cancel/i.test(msg))
    return { status: 'cancelled' }
  return { status: 'failed', error: { type: 'provider', message: res.err_desc || msg || 'WeChat Pay failed', cause: res } }
}

/** JSAPI pay inside WeChat: wait for the bridge, then `getBrandWCPayRequest`. */
export async function payWithWechatJsapi(params: JsapiParams, host: WeixinBridgeHost, timeoutMs?: number): Promise<PayOutcome> {
  let bridge: WeixinJSBridge
  try {
    bridge = await waitForWeixinBridge(host, timeoutMs)
  }
  catch (e) {
    return { status: 'failed', error: { type: 'unsupported', message: (e as Error).message, cause: e } }
  }
  return new Promise((resolve) => {
    bridge.invoke('getBrandWCPayRequest', params, res => resolve(jsapiOutcome(res)))
  })
}
