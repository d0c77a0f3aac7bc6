/** The merchant's view of orders, attempts, refunds and webhook deliveries (contract/merchant.ts). */
import type { Selectable } from 'kysely'
import type { MerchantAttempt, MerchantOrder, MerchantRefund, WebhookEventSummary } from '../../contract/merchant'
import type { Db } from '../db'
import type { PaymentAttemptsTable, RefundsTable } from '../db/schema'
import type { OrderRow } from '../orders/views'
import { checkoutUrl } from '../payments/urls'

export type AttemptRow = Selectable<PaymentAttemptsTable>
export type RefundRow = Selectable<RefundsTable>

const iso = (d: Date | string): string => new Date(d).toISOString()

export function toMerchantAttempt(a: AttemptRow, order: Pick<OrderRow, 'paid_attempt_id'>): MerchantAttempt {
  return {
    id: a.id,
    method: a.method,
    provider: a.provider,
    outTradeNo: a.out_trade_no,
    status: a.status,
    ...(a.provider_txn_id ? { providerTxnId: a.provider_txn_id } : {}),
    duplicate: a.status === 'succeeded' && order.paid_attempt_id !== a.id,
    createdAt: iso(a.created_at),
  }
}

export function toMerchantRefund(r: RefundRow): MerchantRefund {
  return {
    id: r.id,
    orderNo: r.order_no,
    attemptId: r.attempt_id,
    amountFen: r.amount_fen,
    reason: r.reason,
    kind: r.kind,
    status: r.status,
    outRefundNo: r.out_refund_no,
    ...(r.provider_refund_id ? { providerRefundId: r.provider_refund_id } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
    createdAt: iso(r.created_at),
    ...(r.succeeded_at ? { succeededAt: iso(r.succeeded_at) } : {}),
  }
}

/** The order alone, as webhook payloads carry it. */
export function toMerchantOrderCore(row: OrderRow, publicUrl: string): Omit<MerchantOrder, 'attempts' | 'refunds' | 'webhooks'> {
  const api = `${publicUrl}/api/merchant/v1/orders/${encodeURIComponent(row.order_no)}`
  return {
    orderNo: row.order_no,
    ...(row.merchant_order_id ? { merchantOrderId: row.merchant_order_id } : {}),
    status: row.status,
    amountFen: row.amount_fen,
    refundedFen: row.refunded_fen,
    currency: 'CNY',
    subject: row.subject,
    ...(row.description ? { description: row.description } : {}),
    methods: row.methods,
    ...(row.metadata ? { metadata: row.metadata } : {}),
    ...(row.return_url ? { returnUrl: row.return_url } : {}),
    checkoutUrl: checkoutUrl(publicUrl, row.order_no),
    qrSvgUrl: `${api}/qr.svg`,
    qrPngUrl: `${api}/qr.png`,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    ...(row.paid_at ? { paidAt: iso(row.paid_at) } : {}),
    ...(row.closed_at ? { closedAt: iso(row.closed_at) } : {}),
    ...(row.closed_reason ? { closedReason: row.closed_reason } : {}),
  }
}

/** Webhook events of these orders with every delivery and attempt, newest event first. */
async function webhooksOf(db: Db, orderNos: string[]): Promise<Map<string, WebhookEventSummary[]>> {
  const out = new Map<string, WebhookEventSummary[]>()
  if (orderNos.length === 0)
    return out
  const events = await db.selectFrom('events').select(['id', 'order_no', 'type', 'created_at', 'seq']).where('order_no', 'in', orderNos).orderBy('seq', 'desc').execute()
  const ids = events.map(e => e.id)
  const deliveries = ids.length === 0
    ? []
    : await db.selectFrom('event_deliveries').innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'event_deliveries.endpoint_id').select(['event_deliveries.event_id', 'event_deliveries.endpoint_id', 'event_deliveries.status', 'event_deliveries.next_attempt_at', 'event_deliveries.delivered_at', 'webhook_endpoints.url']).where('event_deliveries.event_id', 'in', ids).execute()
  const attempts = ids.length === 0
    ? []
    : await db.selectFrom('delivery_attempts').selectAll().where('event_id', 'in', ids).orderBy('n').execute()
  for (const e of events) {
    const summary: WebhookEventSummary = {
      id: e.id,
      type: e.type,
      createdAt: iso(e.created_at),
      deliveries: deliveries.filter(d => d.event_id === e.id).map(d => ({
        endpointId: d.endpoint_id,
        url: d.url,
        status: d.status,
        attempts: attempts.filter(a => a.event_id === e.id && a.endpoint_id === d.endpoint_id).map(a => ({
          n: a.n,
          at: iso(a.at),
          ...(a.status_code !== null ? { statusCode: a.status_code } : {}),
          ...(a.error ? { error: a.error } : {}),
          latencyMs: a.latency_ms,
        })),
        ...(d.status === 'pending' ? { nextAttemptAt: iso(d.next_attempt_at) } : {}),
        ...(d.delivered_at ? { deliveredAt: iso(d.delivered_at) } : {}),
      })),
    }
    out.set(e.order_no, [...(out.get(e.order_no) ?? []), summary])
  }
  return out
}

/** Full merchant views of `rows` (attempts, refunds, webhook deliveries), in the order given. */
export async function toMerchantOrders(db: Db, rows: OrderRow[], publicUrl: string): Promise<MerchantOrder[]> {
  const orderNos = rows.map(r => r.order_no)
  if (orderNos.length === 0)
    return []
  const [attempts, refunds, webhooks] = await Promise.all([
    db.selectFrom('payment_attempts').selectAll().where('order_no', 'in', orderNos).orderBy('created_at').execute(),
    db.selectFrom('refunds').selectAll().where('order_no', 'in', orderNos).orderBy('created_at').execute(),
    webhooksOf(db, orderNos),
  ])
  return rows.map(row => ({
    ...toMerchantOrderCore(row, publicUrl),
    attempts: attempts.filter(a => a.order_no === row.order_no).map(a => toMerchantAttempt(a, row)),
    refunds: refunds.filter(r => r.order_no === row.order_no).map(toMerchantRefund),
    webhooks: webhooks.get(row.order_no) ?? [],
  }))
}
