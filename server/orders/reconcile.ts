import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { Providers } from '../providers/registry'
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

/** Asks the provider about one attempt and applies the answer; true when it made the order paid. */
async function queryAttempt(deps: ReconcileDeps, orderNo: string, attempt: AttemptRef): Promise<boolean> {
  const adapter = deps.providers.byName(attempt.provider)
  if (!adapter)
    return false
  const facts = await adapter.query(attempt.out_trade_no)
  if (!facts)
    return false
  const verdict = await applyTradeFacts(deps, adapter.name, facts)
  if (!verdict.ok) {
    deps.log.error({ orderNo, outTradeNo: attempt.out_trade_no, reason: verdict.reason }, 'provider query does not match the order')
    return false
  }
  return verdict.outcome === 'applied'
}

/** Closes one attempt at its provider; `paid` when the provider refuses because it was paid. */
async function closeAtProvider(deps: ReconcileDeps, attempt: AttemptRef): Promise<'closed' | 'paid'> {
  return (await deps.providers.byName(attempt.provider)?.close(attempt.out_trade_no)) ?? 'closed'
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
 * Heals lost notifications on read: when an order is pending and nobody asked the provider about it
 * for `reconcileAfterSeconds`, claim it (one process wins the claim) and query its open attempts.
 * Also closes an order whose time is up. Returns the order row as it is afterwards.
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
    const attempts = await deps.db.selectFrom('payment_attempts').select(['out_trade_no', 'provider']).where('order_no', '=', orderNo).where('status', '=', 'open').execute()
    for (const attempt of attempts) {
      try {
        if (await queryAttempt(deps, orderNo, attempt)) {
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
    if (after?.status === 'pending' && new Date(after.expires_at).getTime() <= Date.now())
      await expireOrder(deps, orderNo)
  }
  return deps.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
}

/** Closes an expired order and, best effort, its open attempts at the provider (so they cannot be paid late). */
export async function expireOrder(deps: ReconcileDeps, orderNo: string): Promise<void> {
  const open = await deps.db.selectFrom('payment_attempts').select(['out_trade_no', 'provider']).where('order_no', '=', orderNo).where('status', '=', 'open').execute()
  for (const a of open)
    await closeAtProvider(deps, a).catch((e: unknown) => deps.log.warn({ outTradeNo: a.out_trade_no, err: (e as Error).message }, 'closing an expired attempt failed'))
  await deps.transitions.close(orderNo, 'closed')
}

/** After an order is paid, close its other open attempts at the provider so none of them is paid too. */
export async function closeAbandonedAttempts(deps: ReconcileDeps, orderNo: string): Promise<void> {
  const open = await deps.db.selectFrom('payment_attempts').select(['out_trade_no', 'provider']).where('order_no', '=', orderNo).where('status', '=', 'open').execute()
  for (const a of open) {
    try {
      if (await closeAtProvider(deps, a) === 'paid')
        await queryAttempt(deps, orderNo, a)
      else
        await deps.db.updateTable('payment_attempts').set({ status: 'closed', updated_at: sql`now()` }).where('out_trade_no', '=', a.out_trade_no).where('status', '=', 'open').execute()
    }
    catch (e) {
      deps.log.warn({ outTradeNo: a.out_trade_no, err: (e as Error).message }, 'closing an abandoned attempt failed')
    }
  }
}
