import type { JsapiParams } from '../../api/contract'
import type { PayOutcome } from '../outcome'

export interface WeixinJSBridge {
  invoke: (name: 'getBrandWCPayRequest', params: JsapiParams, callback: (res: { err_msg?: string, errMsg?: string, err_desc?: string }) => void) => void
}

/** The part of `window`/`document` the driver touches, so tests can pass a fake. */
export interface WeixinBridgeHost {
  WeixinJSBridge?: WeixinJSBridge
  document: Pick<Document, 'addEventListener' | 'removeEventListener'>
}

/** One pending wait per host (there is one window in practice; tests pass their own hosts). */
const waits = new WeakMap<object, Promise<WeixinJSBridge>>()

/** Resolves once WeixinJSBridge exists; memoised, and forgotten after a timeout so a later call tries again. */
export function waitForWeixinBridge(host: WeixinBridgeHost, timeoutMs = 5000): Promise<WeixinJSBridge> {
  if (host.WeixinJSBridge)
    return Promise.resolve(host.WeixinJSBridge)
  const pending = waits.get(host)
  if (pending)
    return pending
  const ready = new Promise<WeixinJSBridge>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onReady = () => {
      clearTimeout(timer)
      host.document.removeEventListener('WeixinJSBridgeReady', onReady)
      if (host.WeixinJSBridge)
        resolve(host.WeixinJSBridge)
      else
        reject(new Error('WeixinJSBridgeReady fired without a bridge'))
    }
    timer = setTimeout(() => {
      host.document.removeEventListener('WeixinJSBridgeReady', onReady)
      reject(new Error(`WeixinJSBridge not ready after ${timeoutMs} ms`))
    }, timeoutMs)
    host.document.addEventListener('WeixinJSBridgeReady', onReady)
  }).catch((e: unknown) => {
    waits.delete(host)
    throw e
  })
  waits.set(host, ready)
  return ready
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
