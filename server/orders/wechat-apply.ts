import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { WechatTransaction } from '../providers/wechat/pay-client'
import type { OrderTransitions, PaidOutcome } from './transitions'

export type ApplyVerdict
  = | { ok: true, outcome: PaidOutcome | 'ignored' }
    | { ok: false, reason: string }

/**
 * Applies what WeChat says about a transaction (from a notification or a query) after checking it
 * belongs to us: mchid, appid, a known out_trade_no, and exactly the order's amount in CNY.
 */
export async function applyWechatTransaction(
  deps: { db: Db, config: ServerConfig, transitions: OrderTransitions, appIds: string[] },
  txn: WechatTransaction,
  dryRun = false,
): Promise<ApplyVerdict> {
  if (txn.mchid !== deps.config.wechat?.mchId)
    return { ok: false, reason: `mchid ${txn.mchid} is not ours` }
  if (!deps.appIds.includes(txn.appid))
    return { ok: false, reason: `appid ${txn.appid} is not ours` }
  const row = await deps.db.selectFrom('payment_attempts')
    .innerJoin('orders', 'orders.order_no', 'payment_attempts.order_no')
    .select(['payment_attempts.id', 'payment_attempts.provider', 'orders.amount_fen', 'orders.currency'])
    .where('payment_attempts.out_trade_no', '=', txn.out_trade_no)
    .executeTakeFirst()
  if (!row || row.provider !== 'wechat')
    return { ok: false, reason: `unknown out_trade_no ${txn.out_trade_no}` }
  if (txn.trade_state === 'SUCCESS' || txn.trade_state === 'REFUND') {
    if (txn.amount?.total !== row.amount_fen || (txn.amount.currency ?? 'CNY') !== row.currency)
      return { ok: false, reason: `amount ${txn.amount?.total} ${txn.amount?.currency} does not match the order's ${row.amount_fen} ${row.currency}` }
  }
  if (dryRun)
    return { ok: true, outcome: 'ignored' }
  if (txn.trade_state === 'SUCCESS')
    return { ok: true, outcome: await deps.transitions.markPaid(txn.out_trade_no, txn.transaction_id ?? null, txn.success_time ? new Date(txn.success_time) : new Date()) }
  return { ok: true, outcome: 'ignored' }
}
