/**
 * The outbox: an event is written in the transaction that caused it, with one pending delivery per enabled
 * webhook endpoint, so nothing that happened can be lost between the change and the announcement. The dispatcher
 * (./dispatcher.ts) delivers them.
 */
import type { WebhookEvent, WebhookEventType } from '../../contract/merchant'
import type { Db } from '../db'
import type { AttemptRow, RefundRow } from '../merchant/views'
import type { OrderRow } from '../orders/views'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { toMerchantAttempt, toMerchantOrderCore, toMerchantRefund } from '../merchant/views'

export function newEventId(): string {
  return `evt_${randomBytes(12).toString('base64url')}`
}

/** Records `type` for `order` (as it is after the change) inside `trx`; returns the event id. */
export async function recordEvent(trx: Db, publicUrl: string, type: WebhookEventType, order: OrderRow, extra: { refund?: RefundRow, attempt?: AttemptRow } = {}): Promise<string> {
  const id = newEventId()
  const event: WebhookEvent = {
    id,
    type,
    createdAt: new Date().toISOString(),
    data: {
      order: toMerchantOrderCore(order, publicUrl),
      ...(extra.refund ? { refund: toMerchantRefund(extra.refund) } : {}),
      ...(extra.attempt ? { attempt: toMerchantAttempt(extra.attempt, order) } : {}),
    },
  }
  await trx.insertInto('events').values({ id, order_no: order.order_no, type, payload: JSON.stringify(event) }).execute()
  await sql`insert into event_deliveries (event_id, endpoint_id, status)
            select ${id}, id, 'pending' from webhook_endpoints where disabled_at is null`.execute(trx)
  await sql`select pg_notify('webhook_events', ${id})`.execute(trx)
  return id
}
