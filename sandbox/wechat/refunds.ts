/**
 * Simulated WeChat Pay v3 domestic refunds (relative to the sandbox mount):
 *   POST /wechatpay/v3/refund/domestic/refunds                  {out_trade_no | transaction_id, out_refund_no, reason?,
 *                                                                notify_url?, amount: {refund, total, currency}}
 *   GET  /wechatpay/v3/refund/domestic/refunds/{out_refund_no}
 * Refunds of one order add up to its amount at most; the same out_refund_no asked again answers the same refund (a
 * different amount under it is refused). A refund ends SUCCESS (at once, or after `refundPendingMs` in PROCESSING) or
 * ABNORMAL (`refundFailRate`), and its REFUND.* notification is sent to notify_url (or the order's).
 */
import type { SandboxContext } from '../context'
import type { WechatNotifier } from './notifier'
import type { MerchantCall, WxApiError } from './pay-http'
import type { WxOrder, WxRefund } from './types'
import { chance } from '../core/faults'
import { randomDigits, rfc3339Beijing } from '../core/ids'
import { refreshState } from './orders'

const OUT_REFUND_NO = /^[\w\-|*@]{1,64}$/

function invalid(message: string, field?: string): WxApiError {
  return { status: 400, code: field ? 'PARAM_ERROR' : 'INVALID_REQUEST', message, ...(field ? { detail: { field, location: 'body' } } : {}) }
}

/** The refund object of the API answers (and, with mchid and refund_status, of notifications). */
export function refundView(order: WxOrder, r: WxRefund): Record<string, unknown> {
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.successAt ? { success_time: rfc3339Beijing(r.successAt) } : {}),
    create_time: rfc3339Beijing(r.createdAt),
    status: r.status,
    funds_account: 'AVAILABLE',
    amount: { total: order.amountTotal, refund: r.amount, payer_total: order.amountTotal, payer_refund: r.amount, settlement_refund: r.amount, settlement_total: order.amountTotal, discount_refund: 0, currency: 'CNY' },
    promotion_detail: [],
  }
}

function notificationResource(ctx: SandboxContext, order: WxOrder, r: WxRefund): string {
  return JSON.stringify({
    mchid: ctx.keys.wechat.mchId,
    out_trade_no: order.outTradeNo,
    transaction_id: order.transactionId,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_status: r.status,
    ...(r.successAt ? { success_time: rfc3339Beijing(r.successAt) } : {}),
    user_received_account: '支付用户零钱',
    amount: { total: order.amountTotal, refund: r.amount, payer_total: order.amountTotal, payer_refund: r.amount },
  })
}

/** Refunds by out_refund_no across all orders. */
export function findRefund(ctx: SandboxContext, outRefundNo: string): { order: WxOrder, refund: WxRefund } | undefined {
  for (const order of ctx.store.wxOrders.list()) {
    const refund = order.refunds?.find(r => r.outRefundNo === outRefundNo)
    if (refund)
      return { order, refund }
  }
  return undefined
}

function settle(ctx: SandboxContext, notifier: WechatNotifier, order: WxOrder, r: WxRefund, to: 'SUCCESS' | 'ABNORMAL'): void {
  r.status = to
  if (to === 'SUCCESS') {
    r.successAt = Date.now()
    ctx.store.wxOrders.count(order.outTradeNo, 'refunds_succeeded')
    ctx.store.wxOrders.count(order.outTradeNo, 'refunded_fen', r.amount)
  }
  order.events.push({ at: Date.now(), what: `refund ${r.outRefundNo} ${to}` })
  ctx.log({ out_trade_no: order.outTradeNo, out_refund_no: r.outRefundNo, status: to }, 'wechatpay: refund settled')
  notifier.notifyRefund({ outTradeNo: order.outTradeNo, outRefundNo: r.outRefundNo, notifyUrl: r.notifyUrl, eventType: to === 'SUCCESS' ? 'REFUND.SUCCESS' : 'REFUND.ABNORMAL', refundJson: notificationResource(ctx, order, r) })
}

/** POST /v3/refund/domestic/refunds: validates, then records (or answers again) a refund. */
export function createRefund(ctx: SandboxContext, notifier: WechatNotifier, call: MerchantCall, body: unknown): { status: 200, body: Record<string, unknown> } | WxApiError {
  if (typeof body !== 'object' || body === null)
    return invalid('请求体必须是 JSON 对象 (body must be a JSON object)', 'body')
  const b = body as Record<string, unknown>
  const outRefundNo = b.out_refund_no
  if (typeof outRefundNo !== 'string' || !OUT_REFUND_NO.test(outRefundNo))
    return invalid('out_refund_no 格式错误 (1–64 of letters, digits, _-|*@)', 'out_refund_no')
  const amount = b.amount as Record<string, unknown> | undefined
  if (typeof amount !== 'object' || amount === null || !Number.isInteger(amount.refund) || (amount.refund as number) <= 0)
    return invalid('amount.refund 必须是正整数 (fen)', 'amount.refund')
  if (!Number.isInteger(amount.total))
    return invalid('amount.total 必须是整数 (fen)', 'amount.total')
  if (amount.currency !== 'CNY')
    return invalid('amount.currency 必须是 CNY', 'amount.currency')
  if (b.reason !== undefined && (typeof b.reason !== 'string' || [...b.reason].length > 80))
    return invalid('reason 最长 80 个字符', 'reason')
  if (b.notify_url !== undefined && (typeof b.notify_url !== 'string' || !/^https?:\/\//.test(b.notify_url)))
    return invalid('notify_url 必须是 http(s) 地址', 'notify_url')
  const order = typeof b.out_trade_no === 'string'
    ? ctx.store.wxOrders.get(b.out_trade_no)
    : typeof b.transaction_id === 'string' ? ctx.store.wxOrders.by('transactionId', b.transaction_id) : undefined
  if (b.out_trade_no === undefined && b.transaction_id === undefined)
    return invalid('out_trade_no 和 transaction_id 不能同时为空', 'out_trade_no')
  if (!order || order.mchid !== call.mchid)
    return { status: 404, code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' }
  ctx.store.wxOrders.count(order.outTradeNo, 'refund')
  if (refreshState(order) !== 'SUCCESS')
    return invalid('订单未支付，不能退款 (the order is not paid)')
  if (amount.total !== order.amountTotal)
    return invalid('订单金额与 amount.total 不一致 (amount.total is not the order\'s total)')
  const refunds = order.refunds ?? []
  const existing = refunds.find(r => r.outRefundNo === outRefundNo)
  if (existing) {
    if (existing.amount !== amount.refund)
      return invalid('同一退款单号的退款金额不一致 (another amount under this out_refund_no)')
    return { status: 200, body: refundView(order, existing) }
  }
  if (findRefund(ctx, outRefundNo))
    return invalid('退款单号已被其他订单使用 (out_refund_no belongs to another order)')
  const refunded = refunds.filter(r => r.status !== 'ABNORMAL').reduce((n, r) => n + r.amount, 0)
  if (refunded + (amount.refund as number) > order.amountTotal)
    return invalid(`申请退款金额超过订单可退金额 (only ${order.amountTotal - refunded} fen remain)`)
  const refund: WxRefund = {
    outRefundNo,
    refundId: `50${randomDigits(27)}`,
    outTradeNo: order.outTradeNo,
    amount: amount.refund as number,
    reason: b.reason as string | undefined,
    notifyUrl: (b.notify_url as string | undefined) ?? order.notifyUrl,
    status: 'PROCESSING',
    createdAt: Date.now(),
  }
  order.refunds = [...refunds, refund]
  ctx.store.wxOrders.put(order)
  const outcome = chance(ctx.faults.refundFailRate, ctx.random) ? 'ABNORMAL' : 'SUCCESS'
  if (ctx.faults.refundPendingMs > 0) {
    setTimeout(settle, ctx.faults.refundPendingMs, ctx, notifier, order, refund, outcome).unref()
  }
  else if (outcome === 'SUCCESS') {
    settle(ctx, notifier, order, refund, outcome)
  }
  else {
    // Accepted, then found unpayable: the answer says PROCESSING, the notification ABNORMAL.
    setTimeout(settle, 10, ctx, notifier, order, refund, outcome).unref()
  }
  return { status: 200, body: refundView(order, refund) }
}
