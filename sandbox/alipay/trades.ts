/**
 * The Alipay trade state machine WAIT_BUYER_PAY → TRADE_SUCCESS | TRADE_CLOSED: opening a trade (the same
 * out_trade_no with the same amount is the same trade; another amount is ACQ.CONTEXT_INCONSISTENT), expiry,
 * payment with notification, close, and the fields of query responses, notifications and signed returns.
 */
import type { SandboxContext } from '../context'
import type { AliError } from './gateway-http'
import type { AlipayNotifier } from './notifier'
import type { AliTrade, AliTradeKind, AliTradeStatus } from './store'
import type { ValidTradeBiz } from './validate'
import { fenToYuanString } from '../../contract/money'
import { aliError } from './gateway-http'
import { beijingDateTime, maskedLogonId, newAlipayTradeNo, newAlipayUserId, newQrCode } from './ids'
import { signNotify } from './sign'
import { withQuery } from './urls'

/** precreate QR codes stay valid 2 h; other unpaid trades close after 15 days (the longest timeout_express). */
export const QR_TTL_MS = 2 * 3600_000
export const MAX_TRADE_TTL_MS = 15 * 24 * 3600_000

/** Applies the expiry and returns the current status. */
export function refreshStatus(trade: AliTrade, now = Date.now()): AliTradeStatus {
  if (trade.status === 'WAIT_BUYER_PAY' && now > trade.timeExpireMs) {
    trade.status = 'TRADE_CLOSED'
    trade.closedAt = trade.timeExpireMs
    trade.events.push({ at: now, what: 'expired' })
  }
  return trade.status
}

/** The callback URLs of the request (common parameters). */
export interface TradeUrls {
  notifyUrl?: string
  returnUrl?: string
}

/**
 * Opens (or re-opens) the trade of `out_trade_no`. A new trade starts WAIT_BUYER_PAY with a trade_no; a known one
 * must carry the same amount (and buyer), must still be unpaid and open, and takes the latest URLs.
 */
export function openTrade(ctx: SandboxContext, kind: AliTradeKind, valid: ValidTradeBiz, urls: TradeUrls, buyerId?: string): AliTrade | AliError {
  const now = Date.now()
  const store = ctx.store.alipay
  const existing = store.trades.get(valid.outTradeNo)
  if (existing) {
    const otherBuyer = buyerId !== undefined && existing.buyerId !== undefined && existing.buyerId !== buyerId
    if (existing.amountFen !== valid.amountFen || otherBuyer)
      return aliError('40004', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改 (same out_trade_no, different total_amount or buyer)')
    const status = refreshStatus(existing, now)
    if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
      return aliError('40004', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付')
    if (status === 'TRADE_CLOSED')
      return aliError('40004', 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭')
    existing.kind = kind
    existing.subject = valid.subject
    existing.notifyUrl = urls.notifyUrl ?? existing.notifyUrl
    existing.returnUrl = urls.returnUrl ?? existing.returnUrl
    existing.quitUrl = valid.quitUrl ?? existing.quitUrl
    if (valid.timeExpireMs !== undefined)
      existing.timeExpireMs = valid.timeExpireMs
    if (buyerId !== undefined) {
      existing.buyerId = buyerId
      existing.buyerOpenId = valid.buyerOpenId ?? existing.buyerOpenId
    }
    if (kind === 'precreate' && !existing.qrCode)
      existing.qrCode = newQrCode()
    store.trades.put(existing)
    return existing
  }
  const trade: AliTrade = {
    kind,
    appId: ctx.keys.alipay.appId,
    outTradeNo: valid.outTradeNo,
    tradeNo: newAlipayTradeNo(now),
    subject: valid.subject,
    body: valid.body,
    totalAmount: valid.totalAmount,
    amountFen: valid.amountFen,
    productCode: valid.productCode,
    notifyUrl: urls.notifyUrl,
    returnUrl: urls.returnUrl,
    quitUrl: valid.quitUrl,
    passbackParams: valid.passbackParams,
    timeExpireMs: valid.timeExpireMs ?? now + (kind === 'precreate' ? QR_TTL_MS : MAX_TRADE_TTL_MS),
    qrCode: kind === 'precreate' ? newQrCode() : undefined,
    buyerId,
    buyerOpenId: valid.buyerOpenId,
    createdAt: now,
    status: 'WAIT_BUYER_PAY',
    events: [],
  }
  store.trades.put(trade)
  ctx.log({ out_trade_no: trade.outTradeNo, trade_no: trade.tradeNo, kind, total_amount: trade.totalAmount }, 'alipay: trade created')
  return trade
}

export type AliPayOutcome = { ok: true, alreadyPaid: boolean } | { ok: false, reason: string }

/**
 * Marks a trade TRADE_SUCCESS and starts its notification. `payerUserId` pays wap/precreate trades (a fresh
 * user when absent); create trades keep their buyer.
 */
export function payTrade(ctx: SandboxContext, notifier: AlipayNotifier, trade: AliTrade, payerUserId?: string): AliPayOutcome {
  const status = refreshStatus(trade)
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
    return { ok: true, alreadyPaid: true }
  if (status === 'TRADE_CLOSED')
    return { ok: false, reason: '交易已关闭 (trade is closed)' }
  trade.status = 'TRADE_SUCCESS'
  trade.paidAt = Date.now()
  trade.buyerId = trade.buyerId ?? payerUserId ?? newAlipayUserId()
  trade.events.push({ at: trade.paidAt, what: 'paid' })
  ctx.log({ out_trade_no: trade.outTradeNo, trade_no: trade.tradeNo }, 'alipay: trade paid')
  if (trade.notifyUrl)
    notifier.notifyPaid({ outTradeNo: trade.outTradeNo, notifyUrl: trade.notifyUrl, tradeStatus: trade.status, params: notifyParams(ctx, trade) })
  return { ok: true, alreadyPaid: false }
}

/** Closes an unpaid trade (idempotent); a paid one is ACQ.TRADE_STATUS_ERROR. */
export function closeTrade(ctx: SandboxContext, trade: AliTrade): AliError | null {
  const status = refreshStatus(trade)
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
    return aliError('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法 (the trade is paid)')
  if (status === 'WAIT_BUYER_PAY') {
    trade.status = 'TRADE_CLOSED'
    trade.closedAt = Date.now()
    trade.events.push({ at: trade.closedAt, what: 'closed by merchant' })
    ctx.log({ out_trade_no: trade.outTradeNo }, 'alipay: trade closed')
  }
  return null
}

function paid(trade: AliTrade): boolean {
  return trade.status === 'TRADE_SUCCESS' || trade.status === 'TRADE_FINISHED'
}

function fundBillList(trade: AliTrade): Array<{ amount: string, fundChannel: string }> {
  return [{ amount: fenToYuanString(trade.amountFen), fundChannel: 'ALIPAYACCOUNT' }]
}

/** The fields of a successful alipay.trade.query (payment fields only once paid). */
export function queryFields(trade: AliTrade): Record<string, unknown> {
  const isPaid = paid(trade)
  const amount = fenToYuanString(trade.amountFen)
  const fields: Record<string, unknown> = {
    out_trade_no: trade.outTradeNo,
    trade_no: trade.tradeNo,
    trade_status: trade.status,
    total_amount: amount,
  }
  if (trade.buyerId) {
    fields.buyer_logon_id = maskedLogonId(trade.buyerId)
    fields.buyer_user_id = trade.buyerId
  }
  if (trade.buyerOpenId)
    fields.buyer_open_id = trade.buyerOpenId
  fields.buyer_pay_amount = isPaid ? amount : '0.00'
  fields.invoice_amount = isPaid ? amount : '0.00'
  fields.receipt_amount = isPaid ? amount : '0.00'
  fields.point_amount = '0.00'
  if (isPaid) {
    fields.send_pay_date = beijingDateTime(trade.paidAt)
    fields.fund_bill_list = fundBillList(trade).map(f => ({ fund_channel: f.fundChannel, amount: f.amount }))
  }
  return fields
}

/** A notification's parameters, unsigned and without notify_time (set per attempt); no empty values. */
export function notifyParams(ctx: SandboxContext, trade: AliTrade): Record<string, string> {
  const ali = ctx.keys.alipay
  const amount = fenToYuanString(trade.amountFen)
  const params: Record<string, string> = {
    notify_type: 'trade_status_sync',
    app_id: trade.appId,
    auth_app_id: trade.appId,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_id: trade.buyerId!,
    buyer_logon_id: maskedLogonId(trade.buyerId!),
    seller_id: ali.sellerId,
    trade_status: trade.status,
    total_amount: amount,
    receipt_amount: amount,
    invoice_amount: amount,
    buyer_pay_amount: amount,
    point_amount: '0.00',
    subject: trade.subject,
    gmt_create: beijingDateTime(trade.createdAt),
    gmt_payment: beijingDateTime(trade.paidAt),
    fund_bill_list: JSON.stringify(fundBillList(trade)),
  }
  if (trade.buyerOpenId)
    params.buyer_open_id = trade.buyerOpenId
  if (trade.body)
    params.body = trade.body
  if (trade.passbackParams)
    params.passback_params = trade.passbackParams
  return params
}

/** return_url with the signed `alipay.trade.wap.pay.return` parameters, or undefined without a return_url. */
export function signedReturnUrl(ctx: SandboxContext, trade: AliTrade): string | undefined {
  if (!trade.returnUrl)
    return undefined
  const params: Record<string, string> = {
    charset: 'utf-8',
    out_trade_no: trade.outTradeNo,
    method: 'alipay.trade.wap.pay.return',
    total_amount: fenToYuanString(trade.amountFen),
    trade_no: trade.tradeNo,
    auth_app_id: trade.appId,
    version: '1.0',
    app_id: trade.appId,
    sign_type: 'RSA2',
    seller_id: ctx.keys.alipay.sellerId,
    timestamp: beijingDateTime(),
  }
  params.sign = signNotify(params, ctx.keys.alipay.alipayPrivateKeyPem)
  return withQuery(trade.returnUrl, params)
}
