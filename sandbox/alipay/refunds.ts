/**
 * Simulated `alipay.trade.refund` and `alipay.trade.fastpay.refund.query`. Refunds of a trade add up to its amount
 * at most (ACQ.REFUND_AMT_NOT_EQUAL_TOTAL beyond); the same out_request_no asked again moves no money
 * (`fund_change: N`). A refund succeeds at once, or — `refundPendingMs` — the call answers "system busy" (the outcome
 * unknown, as Alipay does) and the refund succeeds after the delay; `refundFailRate` refuses it for the seller's
 * balance. A success is announced on the trade's notification (`out_biz_no`, `refund_fee`, `gmt_refund`; TRADE_CLOSED
 * once all is refunded).
 */
import type { SandboxContext } from '../context'
import type { AliError } from './gateway-http'
import type { AlipayNotifier } from './notifier'
import type { AliRefund, AliTrade } from './store'
import { fenToYuanString, yuanStringToFen } from '../../contract/money'
import { chance } from '../core/faults'
import { aliError } from './gateway-http'
import { beijingDateTime, maskedLogonId } from './ids'
import { notifyParams, refreshStatus } from './trades'

const BUSY = aliError('20000', 'isp.unknow-error', '系统繁忙，请稍后重试 (the refund outcome is not known yet)')

function refundedFen(trade: AliTrade): number {
  return (trade.refunds ?? []).filter(r => r.status === 'REFUND_SUCCESS').reduce((n, r) => n + r.amountFen, 0)
}

function succeed(ctx: SandboxContext, notifier: AlipayNotifier, trade: AliTrade, refund: AliRefund): void {
  refund.status = 'REFUND_SUCCESS'
  refund.succeededAt = Date.now()
  ctx.store.alipay.trades.count(trade.outTradeNo, 'refunds_succeeded')
  ctx.store.alipay.trades.count(trade.outTradeNo, 'refunded_fen', refund.amountFen)
  const all = refundedFen(trade) >= trade.amountFen
  if (all) {
    trade.status = 'TRADE_CLOSED'
    trade.closedAt = refund.succeededAt
  }
  trade.events.push({ at: refund.succeededAt, what: `refund ${refund.outRequestNo} succeeded` })
  ctx.log({ out_trade_no: trade.outTradeNo, out_request_no: refund.outRequestNo }, 'alipay: refund succeeded')
  if (trade.notifyUrl) {
    notifier.notifyPaid({
      outTradeNo: trade.outTradeNo,
      notifyUrl: trade.notifyUrl,
      tradeStatus: trade.status,
      outBizNo: refund.outRequestNo,
      params: { ...notifyParams(ctx, trade), trade_status: trade.status, out_biz_no: refund.outRequestNo, refund_fee: fenToYuanString(refundedFen(trade)), gmt_refund: beijingDateTime(refund.succeededAt) },
    })
  }
}

function answer(trade: AliTrade, fundChange: boolean): Record<string, unknown> {
  return {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: maskedLogonId(trade.buyerId ?? ''),
    fund_change: fundChange ? 'Y' : 'N',
    refund_fee: fenToYuanString(refundedFen(trade)),
    gmt_refund_pay: beijingDateTime(),
    buyer_user_id: trade.buyerId,
  }
}

/** alipay.trade.refund on `trade` with the parsed biz_content. */
export function refundTrade(ctx: SandboxContext, notifier: AlipayNotifier, trade: AliTrade, biz: Record<string, unknown>): Record<string, unknown> | AliError {
  const amountFen = typeof biz.refund_amount === 'string' ? yuanStringToFen(biz.refund_amount) : null
  if (amountFen === null || amountFen <= 0)
    return aliError('40004', 'ACQ.INVALID_PARAMETER', '参数无效: refund_amount 必须是大于 0 的金额 (yuan, two decimals)')
  const outRequestNo = typeof biz.out_request_no === 'string' && biz.out_request_no !== '' ? biz.out_request_no : trade.tradeNo
  if (outRequestNo.length > 64)
    return aliError('40004', 'ACQ.INVALID_PARAMETER', '参数无效: out_request_no 最长 64 位')
  const status = refreshStatus(trade)
  const refunds = trade.refunds ?? []
  const existing = refunds.find(r => r.outRequestNo === outRequestNo)
  if (existing) {
    if (existing.amountFen !== amountFen)
      return aliError('40004', 'ACQ.REFUND_AMT_RESTRICTION', '同一退款请求号的退款金额不一致 (another amount under this out_request_no)')
    return existing.status === 'REFUND_SUCCESS' ? answer(trade, false) : BUSY
  }
  if (status !== 'TRADE_SUCCESS' && status !== 'TRADE_FINISHED')
    return aliError('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法 (the trade is not paid, or already refunded in full)')
  const pendingFen = refunds.filter(r => r.status === 'PROCESSING').reduce((n, r) => n + r.amountFen, 0)
  if (refundedFen(trade) + pendingFen + amountFen > trade.amountFen)
    return aliError('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', `退款金额超限 (only ${fenToYuanString(trade.amountFen - refundedFen(trade) - pendingFen)} remain)`)
  if (chance(ctx.faults.refundFailRate, ctx.random))
    return aliError('40004', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足 (simulated)')
  const refund: AliRefund = { outRequestNo, amountFen, reason: typeof biz.refund_reason === 'string' ? biz.refund_reason : undefined, status: 'PROCESSING', createdAt: Date.now() }
  trade.refunds = [...refunds, refund]
  if (ctx.faults.refundPendingMs > 0) {
    setTimeout(succeed, ctx.faults.refundPendingMs, ctx, notifier, trade, refund).unref()
    return BUSY
  }
  succeed(ctx, notifier, trade, refund)
  return answer(trade, true)
}

/** alipay.trade.fastpay.refund.query: the refund's fields, or none when it did not (yet) happen. */
export function queryRefund(trade: AliTrade, biz: Record<string, unknown>): Record<string, unknown> | AliError {
  const outRequestNo = typeof biz.out_request_no === 'string' && biz.out_request_no !== '' ? biz.out_request_no : undefined
  if (!outRequestNo)
    return aliError('40004', 'ACQ.INVALID_PARAMETER', '参数无效: out_request_no 不能为空')
  const refund = trade.refunds?.find(r => r.outRequestNo === outRequestNo && r.status === 'REFUND_SUCCESS')
  if (!refund)
    return { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo, out_request_no: outRequestNo }
  return {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    out_request_no: outRequestNo,
    total_amount: fenToYuanString(trade.amountFen),
    refund_amount: fenToYuanString(refund.amountFen),
    refund_status: 'REFUND_SUCCESS',
    gmt_refund_pay: beijingDateTime(refund.succeededAt),
  }
}
