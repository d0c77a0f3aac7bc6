import type {
  ApiErrorBody,
  CreatePaymentRequest,
  DemoOrderRequest,
  DemoOrderResponse,
  MiniProgramSessionRequest,
  MiniProgramSessionResponse,
  OrderStatusView,
  OrderView,
  PaymentAction,
} from '../../contract/api'
import { z } from '@hono/zod-openapi'
import { PAY_METHODS } from '../../contract/methods'

/**
 * zod schemas of the contract. Each is checked against the TypeScript type in contract/api.ts
 * (the one source the cashier also compiles against), so the two cannot drift apart silently.
 */
type Exact<S extends z.ZodType, T> = [z.infer<S>] extends [T] ? ([T] extends [z.infer<S>] ? S : never) : never
export function conforms<T>() {
  return <S extends z.ZodType>(schema: Exact<S, T> & S): S => schema
}

export const OrderNoParam = z.string().regex(/^[\w-]{4,64}$/, 'orderNo is 4–64 letters, digits, _ or -').openapi({ param: { name: 'orderNo', in: 'path' }, example: 'O2611230001ABCDEF' })

export const OrderStatus = z.enum(['pending', 'paid', 'closed', 'failed', 'refunded']).openapi('OrderStatus')
export const PayMethod = z.enum(PAY_METHODS).openapi('PayMethod')

export const ErrorBody = conforms<ApiErrorBody>()(z.object({
  code: z.enum([
    'bad_request',
    'validation_failed',
    'payload_too_large',
    'unsupported_media_type',
    'not_found',
    'order_not_found',
    'order_not_payable',
    'order_expired',
    'order_already_paid',
    'method_not_allowed',
    'payment_in_progress',
    'too_many_attempts',
    'order_not_paid',
    'order_fully_refunded',
    'refund_exceeds_remaining',
    'order_not_closable',
    'merchant_order_conflict',
    'idempotency_key_required',
    'missing_api_key',
    'invalid_api_key',
    'forbidden',
    'csrf_failed',
    'webhook_endpoint_not_found',
    'event_not_found',
    'refund_not_found',
    'idempotency_conflict',
    'oauth_code_invalid',
    'oauth_state_mismatch',
    'session_required',
    'invalid_signature',
    'notification_mismatch',
    'provider_unavailable',
    'provider_error',
    'rate_limited',
    'demo_disabled',
    'internal_error',
  ]),
  message: z.string(),
  retryable: z.boolean().optional(),
  authorizeUrl: z.string().optional(),
  remainingFen: z.number().int().optional(),
}).openapi('Error'))

export const Order = conforms<OrderView>()(z.object({
  orderNo: z.string(),
  subject: z.string(),
  merchantName: z.string(),
  merchantLogoUrl: z.string().optional().openapi({ description: 'The merchant\'s logo: an https URL or a path on this server; absent when none is set' }),
  amountFen: z.number().int().positive().openapi({ description: 'Integer, fen (1/100 CNY)' }),
  currency: z.literal('CNY'),
  status: OrderStatus,
  expiresAt: z.string().openapi({ format: 'date-time' }),
  methods: z.array(PayMethod),
  paidAt: z.string().optional(),
  refundedFen: z.number().int().nonnegative().optional().openapi({ description: 'Fen refunded so far; the status stays paid until all of it is refunded' }),
  returnUrl: z.string().optional(),
}).openapi('Order'))

export const StatusView = conforms<OrderStatusView>()(z.object({
  orderNo: z.string(),
  status: OrderStatus,
  amountFen: z.number().int(),
  paidAt: z.string().optional(),
  refundedFen: z.number().int().nonnegative().optional(),
  serverTime: z.string().openapi({ format: 'date-time' }),
}).openapi('OrderStatusView'))

const state = z.string().regex(/^[A-Z0-9]{8,64}$/i, 'oauthState is 8–64 letters or digits')
const code = z.string().min(1).max(256).regex(/^[\w-]+$/, 'codes are letters, digits, _ or -')

export const CreatePayment = conforms<CreatePaymentRequest>()(z.object({
  orderNo: z.string().regex(/^[\w-]{4,64}$/, 'orderNo is 4–64 letters, digits, _ or -'),
  method: PayMethod,
  wechatCode: code.optional(),
  oauthState: state.optional(),
  alipayAuthCode: code.optional(),
}).strict().openapi('CreatePaymentRequest'))

const JsapiParams = z.object({
  appId: z.string(),
  timeStamp: z.string(),
  nonceStr: z.string(),
  package: z.string(),
  signType: z.literal('RSA'),
  paySign: z.string(),
})

export const Action = conforms<PaymentAction>()(z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('jsapi'), attemptId: z.string(), params: JsapiParams }),
  z.object({ kind: z.literal('mp'), attemptId: z.string(), params: JsapiParams.omit({ appId: true }) }),
  z.object({ kind: z.literal('redirect'), attemptId: z.string(), url: z.string() }),
  z.object({ kind: z.literal('qrcode'), attemptId: z.string(), codeUrl: z.string(), expiresAt: z.string(), serverTime: z.string() }),
  z.object({ kind: z.literal('alipay_trade'), attemptId: z.string(), tradeNo: z.string() }),
  z.object({ kind: z.literal('oauth_required'), provider: z.enum(['wechat', 'alipay']), authorizeUrl: z.string() }),
]).openapi('PaymentAction'))

export const PaymentResponse = Action.and(z.object({
  order: Order.optional().openapi({ description: 'The order this payment is for, as it is now: a checkout can start from this answer alone' }),
})).openapi('PaymentResponse')

export const MpSession = conforms<MiniProgramSessionRequest>()(z.object({
  code: z.string().min(1).max(256).regex(/^[\w-]+$/, 'codes are letters, digits, _ or -'),
}).strict().openapi('MiniProgramSessionRequest'))

export const MpSessionCreated = conforms<MiniProgramSessionResponse>()(z.object({
  sessionToken: z.string(),
  expiresAt: z.string(),
}).openapi('MiniProgramSessionResponse'))

export const DemoOrder = conforms<DemoOrderRequest>()(z.object({
  subject: z.string().min(1).max(64).optional(),
  amountFen: z.number().int().min(1).max(100_000_00).optional(),
  methods: z.array(PayMethod).min(1).optional(),
  returnUrl: z.string().max(2048).optional(),
  expiresInSeconds: z.number().int().min(1).max(86_400).optional(),
}).strict().openapi('DemoOrderRequest'))

export const DemoOrderCreated = conforms<DemoOrderResponse>()(z.object({
  orderNo: z.string(),
  checkoutUrl: z.string(),
}).openapi('DemoOrderResponse'))

export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map(s => [s, {
    description: { 400: 'Malformed or invalid request', 401: 'Signature check failed', 404: 'Not found', 409: 'Conflict with the order\'s state', 410: 'Order expired', 413: 'Body over 64 KB', 422: 'Method not allowed for this order', 429: 'Too many requests', 502: 'Payment provider failed' }[s] ?? 'Error',
    content: { 'application/json': { schema: ErrorBody } },
  }]))
}
