import type { PaymentAction, PayMethod } from '../../contract/api'
import type { Db } from '../db'
import type { PaymentAttemptsTable } from '../db/schema'
import type { OrderRow } from '../orders/views'
import type { ProviderName } from '../providers/types'
import type { AlongsideWrite } from './idempotency'
import type { KnownAttempt } from './payable'
import { sql } from 'kysely'
import { newAttemptId, newOutTradeNo } from '../orders/ids'

export interface OpenedAttempt {
  id: string
  outTradeNo: string
  expiresAt: Date
}

/**
 * The attempt a payment request works on. The same request retried after the provider failed or timed out (same
 * Idempotency-Key) reuses its attempt, so the provider is asked again for the same out_trade_no with the same body
 * and keeps one order. Otherwise a new attempt is recorded before the provider is asked, so a notification for it
 * always finds its attempt.
 *
 * `known` are the attempts loadPayable read with the order (see attemptsOf in payable.ts): the one recorded for this
 * Idempotency-Key, if any, is among them.
 */
export async function openAttempt(db: Db, input: {
  order: OrderRow
  method: PayMethod
  provider: ProviderName
  payerId?: string
  idempotencyKey?: string
  ttlSeconds: number
  known: readonly KnownAttempt[]
}): Promise<OpenedAttempt> {
  const { order, method } = input
  const retried = input.idempotencyKey
    ? input.known.find(a => a.idempotency_key === input.idempotencyKey && a.method === method && (a.status === 'open' || a.status === 'failed'))
    : undefined
  // Reopened only if it is still open or failed: it was read before the earlier attempts were settled.
  const reopened = retried && await db.updateTable('payment_attempts').set({ status: 'open', updated_at: sql`now()` }).where('id', '=', retried.id).where('status', 'in', ['open', 'failed']).returning('id').executeTakeFirst()
  if (retried && reopened)
    return { id: retried.id, outTradeNo: retried.out_trade_no, expiresAt: new Date(retried.expires_at) }
  const now = new Date()
  const attempt: OpenedAttempt = {
    id: newAttemptId(),
    outTradeNo: newOutTradeNo(now),
    expiresAt: new Date(Math.min(new Date(order.expires_at).getTime(), now.getTime() + input.ttlSeconds * 1000)),
  }
  await db.insertInto('payment_attempts').values({
    id: attempt.id,
    order_no: order.order_no,
    method,
    provider: input.provider,
    out_trade_no: attempt.outTradeNo,
    status: 'open',
    action: JSON.stringify({}),
    payer_id: input.payerId ?? null,
    expires_at: attempt.expiresAt,
    idempotency_key: input.idempotencyKey ?? null,
  }).execute()
  return attempt
}

export async function markAttemptFailed(db: Db, attemptId: string): Promise<void> {
  await db.updateTable('payment_attempts').set({ status: 'failed', updated_at: sql`now()` }).where('id', '=', attemptId).execute()
}

/**
 * Keeps the action handed to the cashier with its attempt: a write made in the statement that stores the response
 * for the request's Idempotency-Key (see withIdempotency), so the two land together.
 */
export function storeAction(attemptId: string, action: PaymentAction): AlongsideWrite {
  return qc => qc.updateTable('payment_attempts').set({ action: JSON.stringify(action), updated_at: sql`now()` }).where('id', '=', attemptId)
}

export type AttemptRow = import('kysely').Selectable<PaymentAttemptsTable>
