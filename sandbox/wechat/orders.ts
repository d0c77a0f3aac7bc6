/**
 * The WeChat Pay order state machine NOTPAY → SUCCESS | CLOSED: creation (idempotent for identical bodies),
 * expiry (time_expire, 7-day auto close, prepay 2 h, h5_url 5 min), payment with notification, close, and the
 * transaction object returned by query and carried by notifications.
 */
import type { SandboxContext } from '../context'
import type { WechatNotifier } from './notifier'
import type { WxApiError } from './pay-http'
import type { ValidOrderBody, WxOrder, WxTradeKind, WxTradeState } from './types'
import { publicSandboxUrl } from '../context'
import { newPrepayId, newTransactionId, randomDigits, randomString, rfc3339Beijing } from '../core/ids'

export const PREPAY_TTL_MS = 2 * 3600_000
export const H5_URL_TTL_MS = 5 * 60_000
export const AUTO_CLOSE_MS = 7 * 24 * 3600_000

const TRADE_TYPE: Record<WxTradeKind, string> = { jsapi: 'JSAPI', native: 'NATIVE', h5: 'MWEB' }
const STATE_DESC: Record<WxTradeState, string> = { NOTPAY: '订单未支付', SUCCESS: '支付成功', CLOSED: '订单已关闭' }

/** JSON with object keys sorted at every level: equal for semantically identical bodies. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Applies time-based transitions (time_expire, 7-day auto close) and returns the current state. */
export function refreshState(order: WxOrder, now = Date.now()): WxTradeState {
  if (order.state === 'NOTPAY') {
    const deadline = Math.min(order.timeExpireMs ?? Number.POSITIVE_INFINITY, order.createdAt + AUTO_CLOSE_MS)
    if (now > deadline) {
      order.state = 'CLOSED'
      order.closedAt = deadline
      order.events.push({ at: now, what: 'expired' })
    }
  }
  return order.state
}

/** The transaction object of query / notification; conditional fields only once SUCCESS. */
export function transactionView(order: WxOrder): Record<string, unknown> {
  const paid = order.state === 'SUCCESS'
  const view: Record<string, unknown> = {
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.outTradeNo,
  }
  if (paid) {
    view.transaction_id = order.transactionId
    view.trade_type = TRADE_TYPE[order.kind]
  }
  // A paid order with a refund reads REFUND (转入退款); it stays paid.
  const refunded = paid && order.refunds?.some(r => r.status === 'SUCCESS')
  view.trade_state = refunded ? 'REFUND' : order.state
  view.trade_state_desc = refunded ? '转入退款' : STATE_DESC[order.state]
  if (paid)
    view.bank_type = 'OTHERS'
  view.attach = order.attach ?? ''
  if (paid) {
    view.success_time = rfc3339Beijing(order.successAt)
    view.payer = { openid: order.payerOpenid }
    view.amount = { total: order.amountTotal, payer_total: order.amountTotal, currency: order.currency, payer_currency: order.currency }
    if (order.deviceId)
      view.scene_info = { device_id: order.deviceId }
    view.promotion_detail = []
  }
  else {
    view.amount = { total: order.amountTotal, currency: order.currency }
  }
  return view
}

function h5Url(ctx: SandboxContext, order: WxOrder): string {
  return publicSandboxUrl(ctx, `/wechatpay/h5/checkmweb?prepay_id=${order.prepayId}&package=${order.h5Package}`)
}

/** Gives the order fresh customer-facing handles once the old ones expired. */
function renewHandles(ctx: SandboxContext, order: WxOrder, now: number): void {
  if (now > order.prepayExpiresAt) {
    order.prepayId = newPrepayId()
    order.prepayExpiresAt = now + PREPAY_TTL_MS
    if (order.kind === 'native')
      order.codeUrl = `weixin://wxpay/bizpayurl?pr=${randomString(9)}`
  }
  if (order.kind === 'h5' && (order.h5ExpiresAt === undefined || now > order.h5ExpiresAt || !order.h5Url?.includes(order.prepayId))) {
    order.h5Package = randomDigits(10)
    order.h5ExpiresAt = now + H5_URL_TTL_MS
    order.h5Url = h5Url(ctx, order)
  }
  ctx.store.wxOrders.put(order)
}

function createAnswer(order: WxOrder): Record<string, string> {
  if (order.kind === 'jsapi')
    return { prepay_id: order.prepayId }
  if (order.kind === 'native')
    return { code_url: order.codeUrl! }
  return { h5_url: order.h5Url! }
}

/**
 * Creates an order, or answers an identical re-create with the same prepay_id / code_url / h5_url
 * (renewed only when expired). A different body for a known out_trade_no is 403 OUT_TRADE_NO_USED.
 */
export function createOrder(ctx: SandboxContext, kind: WxTradeKind, valid: ValidOrderBody, canonicalBody: string): { status: 200, body: Record<string, string> } | WxApiError {
  const now = Date.now()
  const existing = ctx.store.wxOrders.get(valid.outTradeNo)
  if (existing) {
    if (existing.kind !== kind || existing.canonicalBody !== canonicalBody)
      return { status: 403, code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' }
    const state = refreshState(existing, now)
    if (state === 'SUCCESS')
      return { status: 400, code: 'ORDERPAID', message: '该订单已支付' }
    if (state === 'CLOSED')
      return { status: 400, code: 'ORDER_CLOSED', message: '订单已关闭' }
    renewHandles(ctx, existing, now)
    return { status: 200, body: createAnswer(existing) }
  }
  if (valid.timeExpireMs !== undefined && valid.timeExpireMs <= now)
    return { status: 400, code: 'PARAM_ERROR', message: 'time_expire 已过期 (time_expire is in the past)', detail: { field: 'time_expire', location: 'body' } }
  const order: WxOrder = {
    kind,
    appid: valid.appid,
    mchid: valid.mchid,
    outTradeNo: valid.outTradeNo,
    description: valid.description,
    notifyUrl: valid.notifyUrl,
    attach: valid.attach,
    amountTotal: valid.amountTotal,
    currency: valid.currency,
    payerOpenid: valid.payerOpenid,
    deviceId: valid.deviceId,
    payerClientIp: valid.payerClientIp,
    timeExpireMs: valid.timeExpireMs,
    canonicalBody,
    createdAt: now,
    state: 'NOTPAY',
    prepayId: newPrepayId(),
    prepayExpiresAt: now + PREPAY_TTL_MS,
    events: [],
  }
  if (kind === 'native')
    order.codeUrl = `weixin://wxpay/bizpayurl?pr=${randomString(9)}`
  if (kind === 'h5') {
    order.h5Package = randomDigits(10)
    order.h5ExpiresAt = now + H5_URL_TTL_MS
    order.h5Url = h5Url(ctx, order)
  }
  ctx.store.wxOrders.put(order)
  ctx.log({ out_trade_no: order.outTradeNo, kind, total: order.amountTotal }, 'wechatpay: order created')
  return { status: 200, body: createAnswer(order) }
}

export type PayOutcome = { ok: true, alreadyPaid: boolean } | { ok: false, reason: string }

/**
 * Marks an order SUCCESS and starts its notification. `openid` is the payer for H5/Native orders
 * (JSAPI orders keep their payer.openid); a fresh sandbox user pays when none is given.
 */
export function payOrder(ctx: SandboxContext, notifier: WechatNotifier, order: WxOrder, openid?: string): PayOutcome {
  const state = refreshState(order)
  if (state === 'SUCCESS')
    return { ok: true, alreadyPaid: true }
  if (state === 'CLOSED')
    return { ok: false, reason: '订单已关闭 (order is closed)' }
  order.state = 'SUCCESS'
  order.successAt = Date.now()
  order.transactionId = newTransactionId()
  order.payerOpenid = order.payerOpenid ?? openid ?? ctx.store.openidFor(ctx.store.newUser(), order.appid)
  order.events.push({ at: order.successAt, what: 'paid' })
  ctx.store.wxOrders.put(order)
  ctx.log({ out_trade_no: order.outTradeNo, transaction_id: order.transactionId }, 'wechatpay: order paid')
  notifier.notifyPaid({ outTradeNo: order.outTradeNo, notifyUrl: order.notifyUrl, transactionJson: JSON.stringify(transactionView(order)) })
  return { ok: true, alreadyPaid: false }
}

/** Closes an unpaid order (idempotent); a paid one is 400 ORDERPAID. */
export function closeOrder(ctx: SandboxContext, order: WxOrder): WxApiError | null {
  const state = refreshState(order)
  if (state === 'SUCCESS')
    return { status: 400, code: 'ORDERPAID', message: '订单已支付，不能关闭' }
  if (state === 'NOTPAY') {
    order.state = 'CLOSED'
    order.closedAt = Date.now()
    order.events.push({ at: order.closedAt, what: 'closed by merchant' })
    ctx.log({ out_trade_no: order.outTradeNo }, 'wechatpay: order closed')
  }
  return null
}

/** Why a customer-facing handle can no longer be paid, or null when it can. */
export function handleExpired(order: WxOrder, via: 'prepay_id' | 'code_url' | 'h5' | 'out_trade_no', handle: string, now = Date.now()): string | null {
  if (via === 'out_trade_no')
    return null
  if (via === 'h5')
    return order.h5ExpiresAt !== undefined && now > order.h5ExpiresAt ? 'h5_url 已过期 (h5_url expired after 5 minutes)' : null
  if (via === 'code_url' && handle !== order.codeUrl)
    return 'code_url 已失效 (superseded code_url)'
  if (via === 'prepay_id' && handle !== order.prepayId)
    return 'prepay_id 已失效 (superseded prepay_id)'
  return now > order.prepayExpiresAt ? `${via} 已过期 (expired after 2 hours)` : null
}
