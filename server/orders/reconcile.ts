/**
 * Keeping our orders true to what the providers say: queries that heal lost notifications (asked for by reads, run
 * in the background, bounded and claimed so that one process asks), and closing — which always asks first, closes only what the provider confirms
 * closed, and turns a payment found on the way into a paid order (or, for an order no longer pending, a duplicate
 * payment that is recorded, refunded and announced).
 */
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { Providers } from '../providers/registry'
import type { OrderStatusCache } from './status-cache'
import type { OrderTransitions } from './transitions'
import type { OrderRow } from './views'
import { sql } from 'kysely'
import { ProviderError } from '../providers/errors'
import { applyTradeFacts } from './apply'

export interface ReconcileDeps {
  db: Db
  config: ServerConfig
  log: Logger
  transitions: OrderTransitions
  providers: Providers
}

interface AttemptRef { out_trade_no: string, provider: string }

/** At most this many provider queries per reconcile of one order, newest attempts first. */
export const MAX_QUERIES_PER_RECONCILE = 3

/** Asks the provider about one attempt and applies the answer; the provider's state, or null if it has no such order. */
async function queryAttempt(deps: ReconcileDeps, attempt: AttemptRef): Promise<'paid' | 'pending' | 'closed' | null> {
  const adapter = deps.providers.byName(attempt.provider)
  if (!adapter)
    return null
  const facts = await adapter.query(attempt.out_trade_no)
  if (!facts)
    return null
  // Still waiting to be paid (the most frequent answer, as customers look at their QR codes): nothing to apply.
  if (facts.state === 'pending')
    return 'pending'
  const verdict = await applyTradeFacts(deps, adapter.name, facts)
  if (!verdict.ok) {
    deps.log.error({ outTradeNo: attempt.out_trade_no, reason: verdict.reason }, 'provider query does not match the order')
    return null
  }
  return facts.state === 'paid' || facts.state === 'paid_refunded' ? 'paid' : facts.state
}

async function markAttemptClosed(db: Db, outTradeNo: string): Promise<void> {
  await db.updateTable('payment_attempts').set({ status: 'closed', updated_at: sql`now()` }).where('out_trade_no', '=', outTradeNo).where('status', '=', 'open').execute()
}

/**
 * Makes sure nobody can pay `attempt` any more: ask, close, ask again. `paid` when a payment was found (and applied:
 * the order is paid, or the payment is a duplicate); `closed` when the provider confirms it cannot be paid;
 * `unknown` when the provider could not be reached (the attempt stays open and is tried again later).
 */
export async function closeAttempt(deps: ReconcileDeps, attempt: AttemptRef): Promise<'paid' | 'closed' | 'unknown'> {
  const adapter = deps.providers.byName(attempt.provider)
  if (!adapter)
    return 'unknown'
  try {
    const before = await queryAttempt(deps, attempt)
    if (before === 'paid')
      return 'paid'
    if (before !== 'closed' && await adapter.close(attempt.out_trade_no) === 'paid')
      return await queryAttempt(deps, attempt) === 'paid' ? 'paid' : 'unknown'
    // The final query: a payment that raced the close wins.
    const after = await queryAttempt(deps, attempt)
    if (after === 'paid')
      return 'paid'
    if (after === 'pending')
      return 'unknown'
    await markAttemptClosed(deps.db, attempt.out_trade_no)
    return 'closed'
  }
  catch (e) {
    if (!(e instanceof ProviderError))
      throw e
    deps.log.warn({ outTradeNo: attempt.out_trade_no, kind: e.kind, code: e.providerCode }, 'closing an attempt failed; it stays open and is tried again later')
    return 'unknown'
  }
}

function openAttempts(db: Db, orderNo: string) {
  return db.selectFrom('payment_attempts').select(['out_trade_no', 'provider', 'method', 'payer_id', 'expires_at', 'created_at', 'action', 'id']).where('order_no', '=', orderNo).where('status', '=', 'open').orderBy('created_at', 'desc').execute()
}

/**
 * Closes an order (it expired, or the merchant asks) after closing every open attempt at its provider. `paid` when a
 * payment was found on the way (the order is paid, not closed); `unconfirmed` when a provider could not confirm a
 * close (the order stays pending and the sweeper tries again); `closed` otherwise, or when the order was not pending.
 */
export async function closeOrder(deps: ReconcileDeps, orderNo: string, reason: 'expired' | 'merchant'): Promise<'closed' | 'paid' | 'unconfirmed'> {
  let unconfirmed = 0
  for (const attempt of await openAttempts(deps.db, orderNo)) {
    const outcome = await closeAttempt(deps, attempt)
    const order = await deps.db.selectFrom('orders').select('status').where('order_no', '=', orderNo).executeTakeFirst()
    if (outcome === 'paid' && order?.status !== 'pending')
      return 'paid'
    if (outcome === 'unknown')
      unconfirmed++
  }
  if (unconfirmed > 0)
    return 'unconfirmed'
  await deps.transitions.close(orderNo, reason)
  return 'closed'
}

export async function expireOrder(deps: ReconcileDeps, orderNo: string): Promise<void> {
  await closeOrder(deps, orderNo, 'expired')
}

/** After an order is paid (or closed), close its other open attempts so none of them is paid too. */
export async function closeAbandonedAttempts(deps: ReconcileDeps, orderNo: string): Promise<void> {
  for (const attempt of await openAttempts(deps.db, orderNo))
    await closeAttempt(deps, attempt)
}

/** True when a pending order is due for a provider query (or has expired): reads can skip the claim otherwise. */
export function isReconcileDue(row: OrderRow, reconcileAfterSeconds: number, now = Date.now()): boolean {
  if (row.status !== 'pending')
    return false
  if (new Date(row.expires_at).getTime() <= now)
    return true
  return !row.reconciled_at || new Date(row.reconciled_at).getTime() <= now - reconcileAfterSeconds * 1000
}

/**
 * Heals lost notifications on read: when an order is pending and nobody asked the provider about it for
 * `reconcileAfterSeconds`, claim it (one process wins the claim) and query its newest open attempts (at most
 * MAX_QUERIES_PER_RECONCILE). Also closes an order whose time is up. Returns the order row as it is afterwards.
 */
export async function reconcileOrder(deps: ReconcileDeps, orderNo: string): Promise<OrderRow | undefined> {
  const claimed = await deps.db.updateTable('orders')
    .set({ reconciled_at: sql`now()` })
    .where('order_no', '=', orderNo)
    .where('status', '=', 'pending')
    .where(eb => eb.or([
      eb('reconciled_at', 'is', null),
      eb('reconciled_at', '<', sql<Date>`now() - make_interval(secs => ${deps.config.reconcileAfterSeconds})`),
    ]))
    .returningAll()
    .executeTakeFirst()
  if (claimed) {
    const attempts = (await openAttempts(deps.db, orderNo)).slice(0, MAX_QUERIES_PER_RECONCILE)
    for (const attempt of attempts) {
      try {
        if (await queryAttempt(deps, attempt) === 'paid') {
          await closeAbandonedAttempts(deps, orderNo)
          break
        }
      }
      catch (e) {
        if (!(e instanceof ProviderError))
          throw e
        deps.log.warn({ orderNo, outTradeNo: attempt.out_trade_no, kind: e.kind }, 'provider query failed; will try on a later read')
      }
    }
    const after = await deps.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
    if (after?.status !== 'pending' || new Date(after.expires_at).getTime() > Date.now())
      return after
    await expireOrder(deps, orderNo)
  }
  return deps.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
}

/**
 * The background query of a status read or a held stream (server/orders/provider-queries.ts): skipped when the order
 * kept in `cache` is not due (a notification or another query got there first); otherwise reconcileOrder, and the row
 * it ends with is kept, so that reads answer from it (with the new `reconciled_at`, when another process claimed).
 */
export async function reconcileKept(deps: ReconcileDeps, cache: OrderStatusCache, orderNo: string): Promise<void> {
  const kept = cache.get(orderNo)
  if (kept && Date.now() < kept.dueAt)
    return
  const token = cache.begin()
  const row = await reconcileOrder(deps, orderNo)
  if (row)
    cache.put(row, token)
}

/**
 * One pass of the sweeper (every process runs it; the claims on `reconciled_at` keep each order to one process):
 * expired pending orders are closed at their providers and then here, and orders that are no longer pending but
 * still have open attempts get those closed (a payment found there is a duplicate, refunded and announced).
 * Returns how many orders it worked on.
 */
export async function sweep(deps: ReconcileDeps, limit = 20): Promise<number> {
  const stale = sql<Date>`now() - make_interval(secs => ${Math.max(deps.config.reconcileAfterSeconds, 1)})`
  const claimed = await deps.db.updateTable('orders')
    .set({ reconciled_at: sql`now()` })
    .where('order_no', 'in', eb => eb.selectFrom('orders as o')
      .select('o.order_no')
      .where(w => w.or([
        w.and([w('o.status', '=', 'pending'), w('o.expires_at', '<=', sql<Date>`now()`)]),
        w.and([w('o.status', '<>', 'pending'), w.exists(w.selectFrom('payment_attempts as p').select('p.id').whereRef('p.order_no', '=', 'o.order_no').where('p.status', '=', 'open'))]),
      ]))
      .where(w => w.or([w('o.reconciled_at', 'is', null), w('o.reconciled_at', '<', stale)]))
      .orderBy('o.expires_at')
      .limit(limit))
    .returning(['order_no', 'status'])
    .execute()
  for (const order of claimed) {
    try {
      if (order.status === 'pending')
        await expireOrder(deps, order.order_no)
      else
        await closeAbandonedAttempts(deps, order.order_no)
    }
    catch (e) {
      deps.log.warn({ orderNo: order.order_no, err: (e as Error).message }, 'sweeping an order failed; it is tried again later')
    }
  }
  return claimed.length
}
