import type { ColumnType, Generated } from 'kysely'
import type { OrderStatus, PayMethod } from '../../contract/api'
import type { OrderMetadata, RefundStatus, WebhookEventType } from '../../contract/merchant'

type Timestamp = ColumnType<Date, Date | string, Date | string>
/** A timestamp column with a default (now()): optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface OrdersTable {
  order_no: string
  subject: string
  merchant_name: string
  /** The order's amount is the only amount: attempts and notifications are checked against it. */
  amount_fen: number
  currency: string
  status: OrderStatus
  methods: ColumnType<PayMethod[], string, string>
  return_url: string | null
  expires_at: Timestamp
  paid_at: Timestamp | null
  paid_attempt_id: string | null
  /** When a process last asked the provider about this order (claimed atomically). */
  reconciled_at: Timestamp | null
  /** The shop's own order id (unique), and the hash of the create request that made the order. */
  merchant_order_id: string | null
  create_hash: string | null
  description: string | null
  metadata: ColumnType<OrderMetadata | null, string | null, string | null>
  /** Fen refunded by the merchant's succeeded refunds; the order is `refunded` when it reaches amount_fen. */
  refunded_fen: Generated<number>
  closed_at: Timestamp | null
  closed_reason: 'expired' | 'merchant' | null
  created_at: DefaultedTimestamp
  updated_at: DefaultedTimestamp
}

export type AttemptStatus = 'open' | 'succeeded' | 'closed' | 'failed'

export interface PaymentAttemptsTable {
  id: string
  order_no: string
  method: PayMethod
  provider: 'wechat' | 'alipay'
  /** One provider order per attempt. */
  out_trade_no: string
  status: AttemptStatus
  /** The PaymentAction handed to the cashier, replayed for an Idempotency-Key retry. */
  action: ColumnType<unknown, string, string>
  provider_txn_id: string | null
  /** The openid/user the attempt was made for (never sent to the browser). */
  payer_id: string | null
  /** The request's Idempotency-Key: a retry after a provider failure reuses this attempt. */
  idempotency_key: string | null
  expires_at: Timestamp
  /** When the provider says it was paid (set with status `succeeded`). */
  paid_at: Timestamp | null
  created_at: DefaultedTimestamp
  updated_at: DefaultedTimestamp
}

export interface ProviderEventsTable {
  /** `${provider}:${event id}`: a notification is applied at most once. */
  id: string
  provider: 'wechat' | 'alipay'
  event_type: string
  out_trade_no: string | null
  payload: ColumnType<unknown, string, string>
  received_at: DefaultedTimestamp
}

export interface IdempotencyKeysTable {
  key: string
  request_hash: string
  /** Null while the first request is still running. */
  response_status: number | null
  response_body: ColumnType<unknown, string | null, string | null> | null
  created_at: DefaultedTimestamp
}

export interface SessionsTable {
  id: string
  wechat_openid: string | null
  wechat_mp_openid: string | null
  alipay_user_id: string | null
  /** The OAuth `state` this session is waiting for (login CSRF check). */
  oauth_state: string | null
  created_at: DefaultedTimestamp
  expires_at: Timestamp
}

export interface NotifyNoncesTable {
  /** `${provider}:${nonce}` of every accepted notification signature: a replay is refused. */
  id: string
  received_at: DefaultedTimestamp
}

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  /** SHA-256 (hex) of the whole key. */
  hash: string
  created_at: DefaultedTimestamp
  last_used_at: Timestamp | null
  revoked_at: Timestamp | null
}

export interface RefundsTable {
  id: string
  order_no: string
  attempt_id: string
  out_refund_no: string
  amount_fen: number
  reason: string
  kind: 'merchant' | 'duplicate'
  status: RefundStatus
  provider_refund_id: string | null
  failure: string | null
  idempotency_key: string | null
  next_check_at: DefaultedTimestamp
  tries: Generated<number>
  created_at: DefaultedTimestamp
  updated_at: DefaultedTimestamp
  succeeded_at: Timestamp | null
}

export interface EventsTable {
  id: string
  seq: Generated<string>
  order_no: string
  type: WebhookEventType
  /** The WebhookEvent body exactly as it is sent (the signature covers these bytes). */
  payload: ColumnType<unknown, string, string>
  created_at: DefaultedTimestamp
}

export interface WebhookEndpointsTable {
  id: string
  /** https://… (http://127.0.0.1 in sandbox mode), or file:///path for the FULFILMENT_LOG file. */
  url: string
  secret: string
  description: string | null
  created_at: DefaultedTimestamp
  disabled_at: Timestamp | null
}

export interface EventDeliveriesTable {
  event_id: string
  endpoint_id: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: Generated<number>
  next_attempt_at: DefaultedTimestamp
  claimed_until: Timestamp | null
  delivered_at: Timestamp | null
}

export interface DeliveryAttemptsTable {
  id: Generated<string>
  event_id: string
  endpoint_id: string
  n: number
  at: Timestamp
  status_code: number | null
  error: string | null
  latency_ms: number
}

export interface JobLocksTable {
  name: string
  locked_until: Timestamp
}

export interface ConsoleSessionsTable {
  id: string
  csrf_token: string
  api_key_id: string | null
  created_at: DefaultedTimestamp
  expires_at: Timestamp
}

export interface Database {
  orders: OrdersTable
  payment_attempts: PaymentAttemptsTable
  provider_events: ProviderEventsTable
  idempotency_keys: IdempotencyKeysTable
  sessions: SessionsTable
  notify_nonces: NotifyNoncesTable
  api_keys: ApiKeysTable
  refunds: RefundsTable
  events: EventsTable
  webhook_endpoints: WebhookEndpointsTable
  event_deliveries: EventDeliveriesTable
  delivery_attempts: DeliveryAttemptsTable
  job_locks: JobLocksTable
  console_sessions: ConsoleSessionsTable
}
