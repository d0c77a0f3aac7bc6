/**
 * The HTTP contract between the cashier and a merchant server, as TypeScript types.
 * This file is the one source: the reference server's zod schemas are checked against
 * these types at compile time, and the OpenAPI document is generated from those schemas.
 * Money is always an integer number of fen; the server's order is the only amount.
 */
import type { PayMethod } from './methods'

export type { PayMethod } from './methods'

/** `pending` → `paid` | `closed` | `failed`; `paid` → `refunded`. Nothing else moves an order. */
export type OrderStatus = 'pending' | 'paid' | 'closed' | 'failed' | 'refunded'

const FINAL_STATUSES: readonly OrderStatus[] = ['paid', 'closed', 'failed', 'refunded']

export function isFinalStatus(status: OrderStatus): boolean {
  return FINAL_STATUSES.includes(status)
}

export interface OrderView {
  orderNo: string
  subject: string
  merchantName: string
  /**
   * The merchant's logo (the server's MERCHANT_LOGO_URL): an https URL or a path on the server. Absent: the cashier
   * shows the name's first letter; one that fails to load is replaced the same way.
   */
  merchantLogoUrl?: string
  /** Integer, fen (1/100 CNY). */
  amountFen: number
  currency: 'CNY'
  status: OrderStatus
  /** ISO 8601; after it the order cannot be paid. */
  expiresAt: string
  /** The methods the merchant allows for this order. */
  methods: PayMethod[]
  paidAt?: string
  /**
   * Fen refunded so far; absent or 0 when nothing was refunded. Status stays `paid` while part of the amount is
   * refunded and becomes `refunded` when all of it is.
   */
  refundedFen?: number
  /** Where "back to the merchant" goes once paid (checked against the server's allow-list). */
  returnUrl?: string
}

export interface OrderStatusView {
  orderNo: string
  status: OrderStatus
  amountFen: number
  paidAt?: string
  /** Fen refunded so far (see OrderView.refundedFen). */
  refundedFen?: number
  /** Server clock, ISO 8601, so clients can correct for their own clock's offset. */
  serverTime: string
}

export interface CreatePaymentRequest {
  orderNo: string
  method: PayMethod
  /** The WeChat OAuth `code` the page just received; the server exchanges it for the openid. */
  wechatCode?: string
  /** A random `state` ([A-Za-z0-9]{8,64}) the page stored before leaving for OAuth. */
  oauthState?: string
  /** Alipay web OAuth `auth_code`, inside the Alipay app. */
  alipayAuthCode?: string
}

export interface JsapiParams {
  appId: string
  timeStamp: string
  nonceStr: string
  package: string
  signType: 'RSA'
  paySign: string
}

export type MiniProgramPayParams = Omit<JsapiParams, 'appId'>

export type PaymentAction
  = | { kind: 'jsapi', attemptId: string, params: JsapiParams }
    | { kind: 'mp', attemptId: string, params: MiniProgramPayParams }
    | { kind: 'redirect', attemptId: string, url: string }
    | { kind: 'qrcode', attemptId: string, codeUrl: string, expiresAt: string, serverTime: string }
    | { kind: 'alipay_trade', attemptId: string, tradeNo: string }
    | { kind: 'oauth_required', provider: 'wechat' | 'alipay', authorizeUrl: string }

export type PaymentActionKind = PaymentAction['kind']

/**
 * The answer of `POST /api/payments`: the next step, with the order it pays, so a checkout that starts by asking for
 * a payment (the PC QR code) needs no other request before drawing it: the order as it was when the payment started
 * (a replay with the same Idempotency-Key answers the same; the status stream says what happened since). `order` is
 * absent from older servers.
 */
export type CreatePaymentResponse = PaymentAction & { order?: OrderView }

/** Machine-readable error codes; every error body is `{ code, message }` plus optional fields. */
export type ApiErrorCode
  = | 'bad_request'
    | 'validation_failed'
    | 'payload_too_large'
    | 'unsupported_media_type'
    | 'not_found'
    | 'order_not_found'
    | 'order_not_payable'
    | 'order_expired'
    | 'order_already_paid'
    | 'method_not_allowed'
    | 'payment_in_progress'
    | 'too_many_attempts'
    | 'order_not_paid'
    | 'order_fully_refunded'
    | 'refund_exceeds_remaining'
    | 'order_not_closable'
    | 'merchant_order_conflict'
    | 'idempotency_key_required'
    | 'missing_api_key'
    | 'invalid_api_key'
    | 'forbidden'
    | 'csrf_failed'
    | 'webhook_endpoint_not_found'
    | 'event_not_found'
    | 'refund_not_found'
    | 'idempotency_conflict'
    | 'oauth_code_invalid'
    | 'oauth_state_mismatch'
    | 'session_required'
    | 'invalid_signature'
    | 'notification_mismatch'
    | 'provider_unavailable'
    | 'provider_error'
    | 'rate_limited'
    | 'demo_disabled'
    | 'internal_error'

export interface ApiErrorBody {
  code: ApiErrorCode
  message: string
  /** True when the same request may succeed if tried again (with the same Idempotency-Key). */
  retryable?: boolean
  /** With `oauth_code_invalid`: a fresh authorisation to try once. */
  authorizeUrl?: string
  /** With `refund_exceeds_remaining`: what can still be refunded, fen. */
  remainingFen?: number
}

/** The mini program trades its `uni.login` code for an opaque session token (never the openid). */
export interface MiniProgramSessionRequest {
  code: string
}

export interface MiniProgramSessionResponse {
  /** Sent back in the `X-Session-Token` header; the mini program has no cookies. */
  sessionToken: string
  expiresAt: string
}

export interface DemoOrderRequest {
  subject?: string
  amountFen?: number
  methods?: PayMethod[]
  /** "Back to the merchant" after paying: an absolute http(s) URL on this server's host or RETURN_URL_HOSTS. */
  returnUrl?: string
  /** How long the order can be paid (default 30 minutes). */
  expiresInSeconds?: number
}

export interface DemoOrderResponse {
  orderNo: string
  checkoutUrl: string
}
