import type { AlipayTradeStatus } from './client'
import { yuanStringToFen } from '../../../contract/money'

export type AlipayNotifyVerdict
  = | { ok: true, outTradeNo: string, tradeNo: string, tradeStatus: AlipayTradeStatus, totalAmount: string, notifyId: string }
    | { ok: false, status: 400 | 401, reason: string }

const TRADE_STATUSES: readonly string[] = ['WAIT_BUYER_PAY', 'TRADE_CLOSED', 'TRADE_SUCCESS', 'TRADE_FINISHED']

/**
 * Checks an Alipay async notification (the parsed form body): the RSA2 signature first (401, nothing else is
 * trusted before it), then that it is meant for this app and seller and that its fields are well-formed (400).
 * The amount and out_trade_no are left to the caller, which knows the order (see amountMatches).
 */
export function checkAlipayNotification(
  params: Record<string, string>,
  opts: { appId: string, sellerId?: string, verify: (params: Record<string, string>) => boolean },
): AlipayNotifyVerdict {
  if (!params.sign)
    return { ok: false, status: 401, reason: 'missing sign' }
  if (params.sign_type !== undefined && params.sign_type !== 'RSA2')
    return { ok: false, status: 401, reason: `unsupported sign_type ${params.sign_type}` }
  if (!opts.verify(params))
    return { ok: false, status: 401, reason: 'signature does not verify with the Alipay public key' }
  if (params.app_id !== opts.appId)
    return { ok: false, status: 400, reason: `app_id ${params.app_id ?? '(missing)'} is not ours` }
  if (opts.sellerId && params.seller_id !== opts.sellerId)
    return { ok: false, status: 400, reason: `seller_id ${params.seller_id ?? '(missing)'} is not ours` }
  const { out_trade_no: outTradeNo, trade_no: tradeNo, trade_status: tradeStatus, total_amount: totalAmount, notify_id: notifyId } = params
  if (!outTradeNo || outTradeNo.length > 64)
    return { ok: false, status: 400, reason: 'out_trade_no missing or malformed' }
  if (!tradeNo)
    return { ok: false, status: 400, reason: 'trade_no missing' }
  if (!TRADE_STATUSES.includes(tradeStatus ?? ''))
    return { ok: false, status: 400, reason: `unknown trade_status ${tradeStatus ?? '(missing)'}` }
  if (!totalAmount || yuanStringToFen(totalAmount) === null)
    return { ok: false, status: 400, reason: `total_amount ${totalAmount ?? '(missing)'} is not a yuan amount` }
  if (!notifyId)
    return { ok: false, status: 400, reason: 'notify_id missing' }
  return { ok: true, outTradeNo, tradeNo, tradeStatus: tradeStatus as AlipayTradeStatus, totalAmount, notifyId }
}

/** True when a yuan string ("0.10", "0.1") is exactly `amountFen`; malformed strings ("1.001", "01.00") never match. */
export function amountMatches(totalAmountYuan: string, amountFen: number): boolean {
  const fen = yuanStringToFen(totalAmountYuan)
  return fen !== null && Number.isSafeInteger(amountFen) && fen === amountFen
}
