import type { PayOutcome } from '../outcome'
import { waitForBridge } from './bridge-ready'

export interface AlipayJSBridge {
  call: (name: 'tradePay', params: { tradeNO: string }, callback: (res: { resultCode?: string, memo?: string }) => void) => void
}

/** The part of `window`/`document` the driver touches. */
export interface AlipayBridgeHost {
  AlipayJSBridge?: AlipayJSBridge
  document: Pick<Document, 'addEventListener' | 'removeEventListener'>
}

/** Resolves once AlipayJSBridge exists; memoised, and forgotten after a timeout so a later call tries again. */
export function waitForAlipayBridge(host: AlipayBridgeHost, timeoutMs = 5000): Promise<AlipayJSBridge> {
  return waitForBridge<'AlipayJSBridge', AlipayJSBridge>(host, 'AlipayJSBridge', 'AlipayJSBridgeReady', timeoutMs)
}

/**
 * tradePay's resultCode → outcome. 9000 is only a claim; 8000 (processing) and 6004 (unknown) may
 * well be paid, so they are `unknown` and the result page keeps asking the server.
 */
export function tradePayOutcome(res: { resultCode?: string, memo?: string }): PayOutcome {
  switch (res.resultCode) {
    case '9000':
      return { status: 'submitted' }
    case '8000':
    case '6004':
      return { status: 'unknown' }
    case '6001':
    case '99':
      return { status: 'cancelled' }
    case '6002':
      return { status: 'failed', error: { type: 'network', message: res.memo || 'network error', cause: res } }
    default:
      return { status: 'failed', error: { type: 'provider', message: res.memo || `Alipay answered ${res.resultCode ?? 'nothing'}`, cause: res } }
  }
}

/** Pays inside the Alipay app with `AlipayJSBridge.call('tradePay', { tradeNO })`. */
export async function payWithAlipayApp(tradeNo: string, host: AlipayBridgeHost, timeoutMs?: number): Promise<PayOutcome> {
  let bridge: AlipayJSBridge
  try {
    bridge = await waitForAlipayBridge(host, timeoutMs)
  }
  catch (e) {
    return { status: 'failed', error: { type: 'unsupported', message: (e as Error).message, cause: e } }
  }
  return new Promise((resolve) => {
    bridge.call('tradePay', { tradeNO: tradeNo }, res => resolve(tradePayOutcome(res)))
  })
}
