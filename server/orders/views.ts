import type { Selectable } from 'kysely'
import type { OrderStatusView, OrderView } from '../../contract/api'
import type { OrdersTable } from '../db/schema'

export type OrderRow = Selectable<OrdersTable>

const iso = (d: Date | string): string => new Date(d).toISOString()

/** `merchantLogoUrl` is the server's setting (MERCHANT_LOGO_URL), the same for every order. */
export function toOrderView(row: OrderRow, merchantLogoUrl?: string): OrderView {
  return {
    orderNo: row.order_no,
    subject: row.subject,
    merchantName: row.merchant_name,
    ...(merchantLogoUrl ? { merchantLogoUrl } : {}),
    amountFen: row.amount_fen,
    currency: 'CNY',
    status: row.status,
    expiresAt: iso(row.expires_at),
    methods: row.methods,
    ...(row.paid_at ? { paidAt: iso(row.paid_at) } : {}),
    ...(row.refunded_fen > 0 ? { refundedFen: row.refunded_fen } : {}),
    ...(row.return_url ? { returnUrl: row.return_url } : {}),
  }
}

export function toStatusView(row: OrderRow, now = new Date()): OrderStatusView {
  return {
    orderNo: row.order_no,
    status: row.status,
    amountFen: row.amount_fen,
    ...(row.paid_at ? { paidAt: iso(row.paid_at) } : {}),
    ...(row.refunded_fen > 0 ? { refundedFen: row.refunded_fen } : {}),
    serverTime: now.toISOString(),
  }
}
