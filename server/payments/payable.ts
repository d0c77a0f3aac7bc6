import type { Expression, RawBuilder } from 'kysely'
import type { PayMethod } from '../../contract/api'
import type { Db } from '../db'
import type { OrderRow } from '../orders/views'
import type { Providers } from '../providers/registry'
import type { ProviderAdapter } from '../providers/types'
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres'
import { HttpError } from '../http/errors'

/**
 * The attempts a payment request works with, newest first, as JSON (timestamps are ISO strings): the order's open
 * attempts, and the attempt an earlier request with the same Idempotency-Key recorded, whatever its status.
 */
function attemptsOf(db: Db, orderNo: string | Expression<string>, idempotencyKey: string | undefined) {
  return jsonArrayFrom(db.selectFrom('payment_attempts')
    .select(['id', 'method', 'provider', 'out_trade_no', 'status', 'action', 'payer_id', 'idempotency_key', 'expires_at', 'created_at'])
    .where('order_no', '=', orderNo)
    .where(eb => idempotencyKey ? eb.or([eb('status', '=', 'open'), eb('idempotency_key', '=', idempotencyKey)]) : eb('status', '=', 'open'))
    .orderBy('created_at', 'desc'))
}

export type KnownAttempt = ReturnType<typeof attemptsOf> extends RawBuilder<(infer A)[]> ? A : never

/** The same attempts read again, for a request that waited on a provider since loadPayable read them. */
export async function readAttempts(db: Db, orderNo: string, idempotencyKey: string | undefined): Promise<KnownAttempt[]> {
  const row = await db.selectNoFrom(attemptsOf(db, orderNo, idempotencyKey).as('attempts')).executeTakeFirstOrThrow()
  return row.attempts
}

/**
 * The order with its attempts (see attemptsOf), as one JSON value (null when there is no such order): an expression
 * that withIdempotency reads in the statement that claims the request's Idempotency-Key.
 */
export function readPayable(db: Db, orderNo: string, idempotencyKey: string | undefined) {
  return jsonObjectFrom(db.selectFrom('orders')
    .selectAll('orders')
    .select(eb => attemptsOf(db, eb.ref('orders.order_no'), idempotencyKey).as('attempts'))
    .where('order_no', '=', orderNo))
}

/** What readPayable reads. */
export type PayableRead = ReturnType<typeof readPayable> extends RawBuilder<infer R> ? R : never

/** The order row back from JSON: its timestamps as Dates again, as the driver gives them. */
function orderFromJson({ attempts: _attempts, ...o }: NonNullable<PayableRead>): OrderRow {
  const date = (d: string) => new Date(d)
  return {
    ...o,
    expires_at: date(o.expires_at),
    paid_at: o.paid_at === null ? null : date(o.paid_at),
    reconciled_at: o.reconciled_at === null ? null : date(o.reconciled_at),
    closed_at: o.closed_at === null ? null : date(o.closed_at),
    created_at: date(o.created_at),
    updated_at: date(o.updated_at),
  }
}

/**
 * The order, if it can be paid now with `method`, and the provider that serves the method; otherwise the error the
 * cashier shows (404 unknown, 409 paid or not payable, 410 expired, 422 method not allowed here). The order's open
 * attempts and the attempt of this Idempotency-Key come with it (see attemptsOf). `read`: what readPayable read for
 * this request already; read here when not given.
 */
export async function loadPayable(deps: { db: Db, providers: Providers, expire: (orderNo: string) => Promise<void> }, orderNo: string, method: PayMethod, idempotencyKey?: string, read?: PayableRead): Promise<{ order: OrderRow, adapter: ProviderAdapter, attempts: KnownAttempt[] }> {
  const found = read !== undefined ? read : (await deps.db.selectNoFrom(readPayable(deps.db, orderNo, idempotencyKey).as('found')).executeTakeFirstOrThrow()).found
  if (!found)
    throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
  const order = orderFromJson(found)
  const { attempts } = found
  if (order.status === 'paid' || order.status === 'refunded')
    throw new HttpError(409, 'order_already_paid', 'this order is already paid')
  if (order.status === 'closed' && new Date(order.expires_at).getTime() <= Date.now())
    throw new HttpError(410, 'order_expired', 'this order has expired')
  if (order.status !== 'pending')
    throw new HttpError(409, 'order_not_payable', `this order is ${order.status} and can no longer be paid`)
  if (new Date(order.expires_at).getTime() <= Date.now()) {
    // Closing asks the provider first: a payment found there (a late notification) makes the order paid instead.
    await deps.expire(order.order_no)
    const after = await deps.db.selectFrom('orders').select('status').where('order_no', '=', order.order_no).executeTakeFirst()
    if (after?.status === 'paid' || after?.status === 'refunded')
      throw new HttpError(409, 'order_already_paid', 'this order is already paid')
    throw new HttpError(410, 'order_expired', 'this order has expired')
  }
  if (!order.methods.includes(method))
    throw new HttpError(422, 'method_not_allowed', `method ${method} is not allowed for this order (allowed: ${order.methods.join(', ')})`)
  const adapter = deps.providers.forMethod(method)
  if (!adapter)
    throw new HttpError(422, 'method_not_allowed', `${method} is not configured on this server`)
  return { order, adapter, attempts }
}
