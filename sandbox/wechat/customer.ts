/**
 * What a WeChat user does with an order: find it by a customer-facing handle, pay, abandon, or pay through
 * WeixinJSBridge `getBrandWCPayRequest` (paySign and prepay_id checked like the WeChat client does).
 */
import type { SandboxContext } from '../context'
import type { WechatNotifier } from './notifier'
import type { WxOrder } from './types'
import { verifyJsapiPaySign } from './crypto'
import { handleExpired, payOrder, refreshState, transactionView } from './orders'

/** Exactly one of these picks the order. */
export interface WxSelector {
  out_trade_no?: unknown
  prepay_id?: unknown
  code_url?: unknown
  h5_prepay_id?: unknown
  /** With h5_prepay_id: the `package` of the h5_url (an older h5_url's package is refused). */
  package?: unknown
}

export type Resolved = { ok: true, order: WxOrder, expired: string | null } | { ok: false, status: 400 | 404, error: string }

/** Finds the order a selector names and says whether that handle can still be paid. */
export function resolveOrder(ctx: SandboxContext, sel: WxSelector): Resolved {
  const given = (['out_trade_no', 'prepay_id', 'code_url', 'h5_prepay_id'] as const).filter(k => typeof sel[k] === 'string' && sel[k] !== '')
  if (given.length !== 1)
    return { ok: false, status: 400, error: 'give exactly one of out_trade_no, prepay_id, code_url, h5_prepay_id' }
  const key = given[0]
  const handle = sel[key] as string
  const { store } = ctx
  const order = key === 'out_trade_no'
    ? store.wxOrders.get(handle)
    : key === 'code_url'
      ? store.wxOrders.by('codeUrl', handle)
      : store.wxOrders.by('prepayId', handle)
  if (!order || (key === 'h5_prepay_id' && order.kind !== 'h5') || (key === 'code_url' && order.kind !== 'native'))
    return { ok: false, status: 404, error: `no order for ${key} ${handle}` }
  let expired: string | null
  if (key === 'h5_prepay_id') {
    expired = handle !== order.prepayId || (typeof sel.package === 'string' && sel.package !== order.h5Package)
      ? 'h5_url 已失效 (superseded h5_url)'
      : handleExpired(order, 'h5', handle)
  }
  else {
    expired = handleExpired(order, key, handle)
  }
  return { ok: true, order, expired }
}

export type PayResult = { ok: true, already_paid: boolean, transaction: Record<string, unknown> } | { ok: false, status: 404 | 409 | 400, error: string }

/** The customer pays: SUCCESS + notification (`openid` = the paying browser's user for H5/Native). */
export function customerPay(ctx: SandboxContext, notifier: WechatNotifier, sel: WxSelector, openidFor?: (appid: string) => string): PayResult {
  const found = resolveOrder(ctx, sel)
  if (!found.ok)
    return found
  const { order, expired } = found
  if (expired && refreshState(order) === 'NOTPAY')
    return { ok: false, status: 409, error: expired }
  const outcome = payOrder(ctx, notifier, order, order.payerOpenid ?? openidFor?.(order.appid))
  if (!outcome.ok)
    return { ok: false, status: 409, error: outcome.reason }
  return { ok: true, already_paid: outcome.alreadyPaid, transaction: transactionView(order) }
}

/** The customer abandons the cashier: the order stays NOTPAY, the event is recorded. */
export function customerCancel(ctx: SandboxContext, sel: WxSelector): { ok: true, trade_state: string } | { ok: false, status: 400 | 404, error: string } {
  const found = resolveOrder(ctx, sel)
  if (!found.ok)
    return found
  found.order.events.push({ at: Date.now(), what: 'customer cancelled' })
  ctx.log({ out_trade_no: found.order.outTradeNo }, 'wechatpay: customer cancelled')
  return { ok: true, trade_state: refreshState(found.order) }
}

/** Parameters of `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` plus the simulated outcome. */
export interface BridgeRequest {
  appId?: unknown
  timeStamp?: unknown
  nonceStr?: unknown
  package?: unknown
  signType?: unknown
  paySign?: unknown
  outcome?: unknown
}

export interface BridgeResult {
  err_msg: string
  err_desc?: string
}

const OK = 'get_brand_wcpay_request:ok'
const CANCEL = 'get_brand_wcpay_request:cancel'
const FAIL = 'get_brand_wcpay_request:fail'

/**
 * The WeChat client's side of JSAPI payment: verifies paySign with the merchant public key and that package is
 * `prepay_id=<a live prepay_id of that appId>`, then pays ('ok'), leaves it unpaid ('cancel'), or fails ('fail').
 */
export function bridgePay(ctx: SandboxContext, notifier: WechatNotifier, req: BridgeRequest): BridgeResult {
  const wx = ctx.keys.wechat
  const fail = (desc: string): BridgeResult => ({ err_msg: FAIL, err_desc: desc })
  const { appId, timeStamp, nonceStr, package: pkg, signType, paySign } = req
  if (typeof appId !== 'string' || typeof timeStamp !== 'string' || typeof nonceStr !== 'string' || typeof pkg !== 'string' || typeof paySign !== 'string')
    return fail('调用支付JSAPI缺少参数 (appId, timeStamp, nonceStr, package and paySign must be strings)')
  if (appId !== wx.appId && appId !== wx.miniProgramAppId)
    return fail(`appId ${appId} 无效`)
  if (signType !== 'RSA')
    return fail('signType 必须为 RSA (v3)')
  if (!/^\d{1,12}$/.test(timeStamp))
    return fail('timeStamp 必须是以秒为单位的字符串')
  if (!verifyJsapiPaySign(appId, timeStamp, nonceStr, pkg, paySign, wx.merchantPublicKeyPem))
    return fail('支付验证签名失败 (paySign does not verify with the merchant public key)')
  const m = /^prepay_id=(\S+)$/.exec(pkg)
  const order = m ? ctx.store.wxOrders.by('prepayId', m[1]) : undefined
  if (!m || !order || order.kind !== 'jsapi' || order.appid !== appId)
    return fail('调用支付JSAPI缺少参数: total_fee (package is not prepay_id=<a prepay_id of this appId>)')
  const expired = handleExpired(order, 'prepay_id', m[1])
  const state = refreshState(order)
  if (state === 'SUCCESS')
    return fail('该订单已支付 (order already paid)')
  if (state === 'CLOSED')
    return fail('订单已关闭 (order closed)')
  if (expired)
    return fail(expired)
  const outcome = req.outcome ?? 'ok'
  if (outcome === 'cancel') {
    order.events.push({ at: Date.now(), what: 'customer cancelled (bridge)' })
    return { err_msg: CANCEL }
  }
  if (outcome === 'fail') {
    order.events.push({ at: Date.now(), what: 'payment failed (bridge)' })
    return fail('模拟支付失败 (simulated failure)')
  }
  if (outcome !== 'ok')
    return fail(`unknown outcome ${String(outcome)}`)
  const paid = payOrder(ctx, notifier, order)
  return paid.ok ? { err_msg: OK } : fail(paid.reason)
}
