/**
 * What an Alipay user does with a trade: find it by a customer-facing handle, pay, abandon, or pay through
 * AlipayJSBridge `tradePay` (the resultCode chosen by the test decides the outcome).
 */
import type { SandboxContext } from '../context'
import type { AlipayNotifier } from './notifier'
import type { AliTrade } from './store'
import { payTrade, queryFields, refreshStatus, signedReturnUrl } from './trades'

/** Exactly one of these picks the trade. */
export interface AliSelector {
  out_trade_no?: unknown
  qr_code?: unknown
  trade_no?: unknown
}

type Resolved = { ok: true, trade: AliTrade } | { ok: false, status: 400 | 404 | 409, error: string }

/** Finds the trade a selector names; a superseded or expired qr_code is 409. */
export function resolveTrade(ctx: SandboxContext, sel: AliSelector): Resolved {
  const given = (['out_trade_no', 'qr_code', 'trade_no'] as const).filter(k => typeof sel[k] === 'string' && sel[k] !== '')
  if (given.length !== 1)
    return { ok: false, status: 400, error: 'give exactly one of out_trade_no, qr_code, trade_no' }
  const key = given[0]
  const handle = sel[key] as string
  const store = ctx.store.alipay
  const trade = key === 'out_trade_no' ? store.trades.get(handle) : key === 'qr_code' ? store.trades.by('qrCode', handle) : store.trades.by('tradeNo', handle)
  if (!trade)
    return { ok: false, status: 404, error: `no trade for ${key} ${handle}` }
  return { ok: true, trade }
}

export type AliPayResult
  = | { ok: true, already_paid: boolean, trade: Record<string, unknown>, return_url?: string }
    | { ok: false, status: 400 | 404 | 409, error: string }

/** The customer pays (TRADE_SUCCESS + notification); wap trades answer with the signed return_url. */
export function customerPay(ctx: SandboxContext, notifier: AlipayNotifier, sel: AliSelector, payerUserId?: (appId: string) => string): AliPayResult {
  const found = resolveTrade(ctx, sel)
  if (!found.ok)
    return found
  const { trade } = found
  const outcome = payTrade(ctx, notifier, trade, trade.buyerId ?? payerUserId?.(trade.appId))
  if (!outcome.ok)
    return { ok: false, status: 409, error: outcome.reason }
  const result: AliPayResult = { ok: true, already_paid: outcome.alreadyPaid, trade: queryFields(trade) }
  const returnUrl = trade.kind === 'wap' ? signedReturnUrl(ctx, trade) : undefined
  if (returnUrl)
    result.return_url = returnUrl
  return result
}

/** The customer abandons the cashier: the trade stays WAIT_BUYER_PAY; wap trades answer with quit_url (or return_url). */
export function customerCancel(ctx: SandboxContext, sel: AliSelector): { ok: true, trade_status: string, quit_url?: string } | { ok: false, status: 400 | 404 | 409, error: string } {
  const found = resolveTrade(ctx, sel)
  if (!found.ok)
    return found
  const { trade } = found
  trade.events.push({ at: Date.now(), what: 'customer cancelled' })
  ctx.log({ out_trade_no: trade.outTradeNo }, 'alipay: customer cancelled')
  const quit = trade.kind === 'wap' ? trade.quitUrl ?? trade.returnUrl : undefined
  return quit ? { ok: true, trade_status: refreshStatus(trade), quit_url: quit } : { ok: true, trade_status: refreshStatus(trade) }
}

/** `tradePay` result codes the bridge can simulate. */
export const TRADE_PAY_CODES = ['9000', '8000', '4000', '6001', '6002', '6004'] as const

/** The callback argument of `AlipayJSBridge.call('tradePay', …)`. */
export interface TradePayResult {
  resultCode: string
  memo: string
  result: string
  callbackUrl: string
}

const MEMO: Record<typeof TRADE_PAY_CODES[number], string> = {
  9000: '支付成功',
  8000: '正在处理中，支付结果未知',
  4000: '支付失败',
  6001: '用户中途取消',
  6002: '网络连接出错',
  6004: '支付结果未知',
}

/**
 * The Alipay app's side of `tradePay({tradeNO})`: the trade must be an alipay.trade.create trade that can still be
 * paid. 9000 pays it; 8000 and 6004 ALSO pay it (the money moved, the app just does not know: the page must query);
 * 4000, 6001 and 6002 leave it unpaid.
 */
export function bridgeTradePay(ctx: SandboxContext, notifier: AlipayNotifier, req: { tradeNO?: unknown, resultCode?: unknown }): TradePayResult {
  const answer = (resultCode: string, memo: string): TradePayResult => ({ resultCode, memo, result: '', callbackUrl: '' })
  const requested = req.resultCode ?? '9000'
  if (typeof requested !== 'string' || !(TRADE_PAY_CODES as readonly string[]).includes(requested))
    return answer('4000', `unknown resultCode ${String(requested)} (one of ${TRADE_PAY_CODES.join(', ')})`)
  const code = requested as typeof TRADE_PAY_CODES[number]
  const trade = typeof req.tradeNO === 'string' ? ctx.store.alipay.trades.by('tradeNo', req.tradeNO) : undefined
  if (!trade || trade.kind !== 'create')
    return answer('4000', '订单不存在 (tradeNO is not a trade_no from alipay.trade.create)')
  const status = refreshStatus(trade)
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
    return answer('4000', '该订单已支付 (trade already paid)')
  if (status === 'TRADE_CLOSED')
    return answer('4000', '交易已关闭 (trade closed)')
  if (code === '9000' || code === '8000' || code === '6004') {
    const paid = payTrade(ctx, notifier, trade)
    if (!paid.ok)
      return answer('4000', paid.reason)
    if (code === '9000')
      return { ...answer(code, MEMO[code]), result: JSON.stringify({ trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo, total_amount: queryFields(trade).total_amount }) }
    return answer(code, MEMO[code])
  }
  trade.events.push({ at: Date.now(), what: `tradePay ${code} ${MEMO[code]}` })
  return answer(code, MEMO[code])
}
