import type { Db } from '../db'
import type { AlipayTradeStatus } from '../providers/alipay/client'
import type { OrderTransitions, PaidOutcome } from './transitions'
import { sql } from 'kysely'
import { amountMatches } from '../providers/alipay/notify'

export interface AlipayTradeFacts {
  outTradeNo: string
  tradeNo?: string
  tradeStatus: AlipayTradeStatus
  totalAmount: string
  paidAt?: Date
}

export type AlipayApplyVerdict
  = | { ok: true, outcome: PaidOutcome | 'closed' | 'ignored' }
    | { ok: false, reason: string }

/**
 * Applies what Alipay says about a trade (notification or query) after checking it is ours:
 * a known out_trade_no of an Alipay attempt, and total_amount (yuan string) exactly the order's fen.
 */
export async function applyAlipayTrade(deps: { db: Db, transitions: OrderTransitions }, facts: AlipayTradeFacts, dryRun = false): Promise<AlipayApplyVerdict> {
  const row = await deps.db.selectFrom('payment_attempts')
    .innerJoin('orders', 'orders.order_no', 'payment_attempts.order_no')
    .select(['payment_attempts.provider', 'orders.amount_fen'])
    .where('payment_attempts.out_trade_no', '=', facts.outTradeNo)
    .executeTakeFirst()
  if (!row || row.provider !== 'alipay')
    return { ok: false, reason: `unknown out_trade_no ${facts.outTradeNo}` }
  if (!amountMatches(facts.totalAmount, row.amount_fen))
    return { ok: false, reason: `total_amount ${facts.totalAmount} does not match the order's ${row.amount_fen} fen` }
  if (dryRun)
    return { ok: true, outcome: 'ignored' }
  if (facts.tradeStatus === 'TRADE_SUCCESS' || facts.tradeStatus === 'TRADE_FINISHED')
    return { ok: true, outcome: await deps.transitions.markPaid(facts.outTradeNo, facts.tradeNo ?? null, facts.paidAt ?? new Date()) }
  if (facts.tradeStatus === 'TRADE_CLOSED') {
    await deps.db.updateTable('payment_attempts').set({ status: 'closed', updated_at: sql`now()` }).where('out_trade_no', '=', facts.outTradeNo).where('status', '=', 'open').execute()
    return { ok: true, outcome: 'closed' }
  }
  return { ok: true, outcome: 'ignored' }
}

/** "2026-11-23 08:00:05" (Beijing time) → Date; undefined when absent or malformed. */
export function fromAlipayTime(s: string | undefined): Date | undefined {
  const m = s && /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s)
  if (!m)
    return undefined
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`)
}
