import type { Db } from '../db'
import type { ProviderName, TradeFacts } from '../providers/types'
import type { OrderTransitions, PaidOutcome } from './transitions'
import { sql } from 'kysely'

export type ApplyVerdict
  = | { ok: true, outcome: PaidOutcome | 'closed' | 'ignored' }
    | { ok: false, reason: string }

interface ApplyDeps { db: Db, transitions: OrderTransitions }

/**
 * Checks what a provider says about a trade (from a notification or a query) against our records: a known
 * out_trade_no of an attempt with this provider and, for a payment, exactly the order's amount in CNY.
 */
export async function checkTradeFacts(deps: Pick<ApplyDeps, 'db'>, provider: ProviderName, facts: TradeFacts): Promise<{ ok: true } | { ok: false, reason: string }> {
  const row = await deps.db.selectFrom('payment_attempts')
    .innerJoin('orders', 'orders.order_no', 'payment_attempts.order_no')
    .select(['payment_attempts.provider', 'orders.amount_fen', 'orders.currency'])
    .where('payment_attempts.out_trade_no', '=', facts.outTradeNo)
    .executeTakeFirst()
  if (!row || row.provider !== provider)
    return { ok: false, reason: `unknown out_trade_no ${facts.outTradeNo}` }
  if ((facts.state === 'paid' || facts.state === 'paid_refunded') && (facts.amountFen !== row.amount_fen || (facts.currency ?? 'CNY') !== row.currency))
    return { ok: false, reason: `amount ${facts.amountFen ?? '(missing or malformed)'} ${facts.currency ?? ''} does not match the order's ${row.amount_fen} ${row.currency}` }
  return { ok: true }
}

/** Checks, then applies: a payment marks the order paid (once); a closed trade closes its attempt. */
export async function applyTradeFacts(deps: ApplyDeps, provider: ProviderName, facts: TradeFacts): Promise<ApplyVerdict> {
  const check = await checkTradeFacts(deps, provider, facts)
  if (!check.ok)
    return check
  if (facts.state === 'paid' || facts.state === 'paid_refunded')
    return { ok: true, outcome: await deps.transitions.markPaid(facts.outTradeNo, facts.providerTxnId ?? null, facts.paidAt ?? new Date()) }
  if (facts.state === 'closed') {
    await deps.db.updateTable('payment_attempts').set({ status: 'closed', updated_at: sql`now()` }).where('out_trade_no', '=', facts.outTradeNo).where('status', '=', 'open').execute()
    return { ok: true, outcome: 'closed' }
  }
  return { ok: true, outcome: 'ignored' }
}
