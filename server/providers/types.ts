/**
 * One interface for every payment provider. The orchestration (payments, reconciliation, refunds, notifications)
 * speaks only this; each provider folder (`wechat/`, `alipay/`) implements it in its `adapter.ts` over its own
 * protocol client. Adding a provider is one folder and one line in ./registry.ts.
 */
import type { PaymentAction, PayMethod } from '../../contract/api'

export type ProviderName = 'wechat' | 'alipay'

/** The provider-neutral state of one provider order (one payment attempt). */
export type TradeState
  /** Paid (WeChat SUCCESS, Alipay TRADE_SUCCESS / TRADE_FINISHED). */
  = | 'paid'
  /** Paid, then refunded in part or in full (WeChat REFUND); still counts as paid. */
    | 'paid_refunded'
  /** Waiting for the payer (NOTPAY, USERPAYING, WAIT_BUYER_PAY). */
    | 'pending'
  /** Closed or never paid for good (CLOSED, REVOKED, PAYERROR, TRADE_CLOSED without a payment). */
    | 'closed'

/** What a provider says about one provider order, from a query or a notification. */
export interface TradeFacts {
  outTradeNo: string
  state: TradeState
  /** The provider's transaction id (WeChat transaction_id, Alipay trade_no). */
  providerTxnId?: string
  /** What the provider says the order is for (checked against the order's amount before anything is applied). */
  amountFen?: number
  currency?: string
  paidAt?: Date
}

export type RefundState = 'processing' | 'succeeded' | 'failed'

/** What a provider says about one refund. */
export interface RefundFacts {
  outTradeNo: string
  outRefundNo: string
  state: RefundState
  providerRefundId?: string
  /** The refunded amount, fen. */
  amountFen?: number
  succeededAt?: Date
  /** Why it failed, in the provider's words (logged and shown to the merchant, never to the payer). */
  failure?: string
}

/** The order fields every provider order is created from; the amount is always the server's. */
export interface ProviderOrder {
  outTradeNo: string
  amountFen: number
  /** What the payer's wallet shows ("merchant-subject"); each adapter cuts it to its provider's limit. */
  description: string
  notifyUrl: string
  timeExpire: Date
  /** The cashier's result page (H5 / WAP return) and checkout page (WAP quit). */
  resultUrl: (from: 'h5' | 'wap') => string
  checkoutUrl: string
}

export interface CreateContext {
  attemptId: string
  /** The payer id (openid, Alipay user id) for methods that need one. */
  payerId?: string
  clientIp: string
}

/** A refund to ask the provider for. `outRefundNo` is ours and makes the request idempotent at the provider. */
export interface RefundRequest {
  outTradeNo: string
  outRefundNo: string
  refundFen: number
  /** The attempt's full amount (WeChat requires it). */
  totalFen: number
  reason: string
  notifyUrl: string
}

/** How the payer is identified in a browser for a method that needs it: web OAuth, the id kept in the session. */
export interface PayerIdentity {
  provider: ProviderName
  /** The OAuth code the payment request carries back from the provider, if any. */
  code: (req: { wechatCode?: string, alipayAuthCode?: string }) => string | undefined
  /** The session column holding the payer id. */
  sessionField: 'wechat_openid' | 'alipay_user_id'
  /** Exchanges a code for the payer id; throws InvalidPayerCode when the code cannot be used. */
  exchange: (code: string) => Promise<string>
  authorizeUrl: (redirectUri: string, state: string) => string
}

/** The payer's OAuth code is unknown, used or expired: authorise again. */
export class InvalidPayerCode extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidPayerCode'
  }
}

/** A notification as it reached us: raw body and headers, untouched. */
export interface IncomingNotification {
  header: (name: string) => string | undefined
  rawBody: string
}

export type NotificationVerdict
  = | {
    ok: true
    /** The provider's id of this event (a re-delivery carries the same id). */
    eventId: string
    eventType: string
    /** The signature's one-time part (WeChat nonce) to refuse replays of the same signed request. */
    replayKey?: string
    facts: { kind: 'trade', trade: TradeFacts } | { kind: 'refund', refund: RefundFacts }
  }
  | { ok: false, status: 400 | 401 | 415, reason: string }

/** How the provider wants to be answered. */
export interface NotificationReply {
  status: 200 | 400 | 401 | 415 | 500
  contentType: 'application/json' | 'text/plain'
  body: string
}

export interface ProviderAdapter {
  readonly name: ProviderName
  /** The path segment of its notification endpoint: `/api/notify/${notifyPath}`. */
  readonly notifyPath: string
  /** The pay methods this provider serves as configured (a mini program only when one is set up). */
  readonly methods: readonly PayMethod[]
  /** How the payer is identified for `method`, when it needs web OAuth first. */
  identity: (method: PayMethod) => PayerIdentity | undefined
  /** Creates the provider order for `method` and answers what the cashier must do next. */
  createAction: (method: PayMethod, order: ProviderOrder, ctx: CreateContext) => Promise<PaymentAction>
  /** null when the provider has no such order (never created or long gone). */
  query: (outTradeNo: string) => Promise<TradeFacts | null>
  /**
   * Closes the provider order. `closed` when the provider confirms it closed (or never had it); `paid` when it refuses
   * because the order was paid (the caller must query and apply that payment).
   */
  close: (outTradeNo: string) => Promise<'closed' | 'paid'>
  refund: (req: RefundRequest) => Promise<RefundFacts>
  /** null when the provider has no such refund. */
  queryRefund: (outTradeNo: string, outRefundNo: string) => Promise<RefundFacts | null>
  /** Signature first (401), then decryption and ownership (app id, merchant id: 400). */
  verifyNotification: (n: IncomingNotification) => NotificationVerdict
  /** The answer the provider expects: success, or a refusal it will retry. */
  reply: (outcome: { ok: true } | { ok: false, status: 400 | 401 | 415 | 500, code: string, message: string }) => NotificationReply
}
