/**
 * The merchant API (`/api/merchant/v1/…`, secret API keys) and its webhooks, as TypeScript types. The reference
 * server's zod schemas are checked against these at compile time. Money is integer fen.
 */
import type { OrderStatus } from './api'
import type { PayMethod } from './methods'

/** A small JSON object the merchant attaches to an order (at most 20 keys, 2 KB as JSON); returned as given. */
export type OrderMetadata = Record<string, string | number | boolean | null>

export interface CreateOrderRequest {
  /** Integer fen, 1 … 10 000 000 (¥100 000). */
  amountFen: number
  currency?: 'CNY'
  /** Shown to the payer and on the wallet's bill (with the merchant's name). */
  subject: string
  description?: string
  /** The shop's own order id: unique; the same id with the same body answers the first order, another body 409. */
  merchantOrderId: string
  /** The methods the cashier may offer; default every method this server is configured for. */
  methods?: PayMethod[]
  /** Seconds the order can be paid, 60 … 86 400 × 7; default 1 800. */
  expiresInSeconds?: number
  /** "Back to the shop" after paying: an absolute http(s) URL on this server's host or RETURN_URL_HOSTS. */
  returnUrl?: string
  metadata?: OrderMetadata
}

export type AttemptStatus = 'open' | 'succeeded' | 'closed' | 'failed'

/** One try at paying the order with one method (one provider order, `outTradeNo`). */
export interface MerchantAttempt {
  id: string
  method: PayMethod
  provider: 'wechat' | 'alipay'
  outTradeNo: string
  status: AttemptStatus
  providerTxnId?: string
  /** True for an attempt that was paid although the order was already paid, closed or expired: refunded. */
  duplicate: boolean
  createdAt: string
}

export type RefundStatus = 'pending' | 'processing' | 'succeeded' | 'failed'

export interface MerchantRefund {
  id: string
  orderNo: string
  attemptId: string
  amountFen: number
  reason: string
  /** `merchant`: asked for through the API or the console; `duplicate`: a second payment sent back by the server. */
  kind: 'merchant' | 'duplicate'
  status: RefundStatus
  /** Our refund number at the provider (WeChat out_refund_no, Alipay out_request_no). */
  outRefundNo: string
  providerRefundId?: string
  failure?: string
  createdAt: string
  succeededAt?: string
}

export interface CreateRefundRequest {
  /** Integer fen; default what remains of the paid amount. */
  amountFen?: number
  /** Shown to the payer by the wallet (cut to the provider's limit). */
  reason?: string
}

export type WebhookEventType = 'order.paid' | 'order.closed' | 'order.expired' | 'refund.succeeded' | 'refund.failed' | 'payment.duplicate'

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ['order.paid', 'order.closed', 'order.expired', 'refund.succeeded', 'refund.failed', 'payment.duplicate']

export interface WebhookDeliveryAttempt {
  n: number
  at: string
  statusCode?: number
  error?: string
  latencyMs: number
}

export interface WebhookDelivery {
  endpointId: string
  url: string
  /** `pending` (being retried), `delivered` (a 2xx answer), `failed` (gave up after the last retry; replayable). */
  status: 'pending' | 'delivered' | 'failed'
  attempts: WebhookDeliveryAttempt[]
  nextAttemptAt?: string
  deliveredAt?: string
}

export interface WebhookEventSummary {
  id: string
  type: WebhookEventType
  createdAt: string
  deliveries: WebhookDelivery[]
}

export interface MerchantOrder {
  orderNo: string
  merchantOrderId?: string
  status: OrderStatus
  amountFen: number
  /** Fen refunded so far by the merchant's refunds (a duplicate payment's refund is not counted here). */
  refundedFen: number
  currency: 'CNY'
  subject: string
  description?: string
  methods: PayMethod[]
  metadata?: OrderMetadata
  returnUrl?: string
  /** The one link the payer opens anywhere; `qrUrl` draws it (SVG or PNG). */
  checkoutUrl: string
  qrSvgUrl: string
  qrPngUrl: string
  createdAt: string
  expiresAt: string
  paidAt?: string
  closedAt?: string
  /** Why a closed order closed: it expired, or the merchant closed it. */
  closedReason?: 'expired' | 'merchant'
  attempts: MerchantAttempt[]
  refunds: MerchantRefund[]
  webhooks: WebhookEventSummary[]
}

export interface OrderList {
  data: MerchantOrder[]
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string
}

/** The JSON body of every webhook request; `data` carries the order as it is after the event. */
export interface WebhookEvent {
  id: string
  type: WebhookEventType
  createdAt: string
  data: {
    order: Omit<MerchantOrder, 'attempts' | 'refunds' | 'webhooks'>
    refund?: MerchantRefund
    attempt?: MerchantAttempt
  }
}

export interface WebhookEndpoint {
  id: string
  url: string
  description?: string
  createdAt: string
  disabled: boolean
  /** Only in the answer that creates the endpoint: the signing secret (`whsec_…`). */
  secret?: string
}

export interface CreateWebhookEndpointRequest {
  url: string
  description?: string
}
