import type { ColumnType, Generated } from 'kysely'
import type { OrderStatus, PayMethod } from '../../contract/api'

type Timestamp = ColumnType<Date, Date | string, Date | string>

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
  created_at: Generated<Timestamp>
  updated_at: Generated<Timestamp>
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
  created_at: Generated<Timestamp>
  updated_at: Generated<Timestamp>
}

export interface ProviderEventsTable {
  /** `${provider}:${event id}`: a notification is applied at most once. */
  id: string
  provider: 'wechat' | 'alipay'
  event_type: string
  out_trade_no: string | null
  payload: ColumnType<unknown, string, string>
  received_at: Generated<Timestamp>
}

export interface IdempotencyKeysTable {
  key: string
  request_hash: string
  /** Null while the first request is still running. */
  response_status: number | null
  response_body: ColumnType<unknown, string | null, string | null> | null
  created_at: Generated<Timestamp>
}

export interface SessionsTable {
  id: string
  wechat_openid: string | null
  wechat_mp_openid: string | null
  alipay_user_id: string | null
  /** The OAuth `state` this session is waiting for (login CSRF check). */
  oauth_state: string | null
  created_at: Generated<Timestamp>
  expires_at: Timestamp
}

export interface NotifyNoncesTable {
  /** `${provider}:${nonce}` of every accepted notification signature: a replay is refused. */
  id: string
  received_at: Generated<Timestamp>
}

export interface FulfilmentsTable {
  order_no: string
  /** The OrderPaidEvent handed to the fulfilment hook. */
  event: ColumnType<unknown, string, string>
  created_at: Generated<Timestamp>
  /** Set when a process claimed the row to run the hook: at most once per order. */
  delivered_at: Timestamp | null
}

export interface Database {
  orders: OrdersTable
  payment_attempts: PaymentAttemptsTable
  provider_events: ProviderEventsTable
  idempotency_keys: IdempotencyKeysTable
  sessions: SessionsTable
  notify_nonces: NotifyNoncesTable
  fulfilments: FulfilmentsTable
}
