/** zod schemas of the merchant API, each checked against its type in contract/merchant.ts. */
import type {
  CreateOrderRequest,
  CreateRefundRequest,
  CreateWebhookEndpointRequest,
  MerchantAttempt,
  MerchantOrder,
  MerchantRefund,
  OrderList,
  WebhookEndpoint,
  WebhookEvent,
  WebhookEventSummary,
} from '../../contract/merchant'
import { Buffer } from 'node:buffer'
import { z } from '@hono/zod-openapi'
import { WEBHOOK_EVENT_TYPES } from '../../contract/merchant'
import { conforms, OrderStatus, PayMethod } from './schemas'

const MAX_METADATA_KEYS = 20
const MAX_METADATA_BYTES = 2048

const MetadataValue = z.union([z.string().max(500), z.number().finite(), z.boolean(), z.null()])
export const Metadata = z.record(z.string().min(1).max(40), MetadataValue)
  .refine(m => Object.keys(m).length <= MAX_METADATA_KEYS, `metadata has at most ${MAX_METADATA_KEYS} keys`)
  .refine(m => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata is at most ${MAX_METADATA_BYTES} bytes as JSON`)
  .openapi('OrderMetadata', { description: `At most ${MAX_METADATA_KEYS} keys of up to 40 characters; values are strings (≤ 500), numbers, booleans or null; ${MAX_METADATA_BYTES} bytes as JSON.` })

export const CreateOrder = conforms<CreateOrderRequest>()(z.object({
  amountFen: z.number().int().min(1).max(10_000_000).openapi({ description: 'Integer fen, 1 … 10 000 000 (¥100 000)', example: 1234 }),
  currency: z.literal('CNY').optional(),
  subject: z.string().trim().min(1).max(128).openapi({ example: '拿铁咖啡 · 大杯' }),
  description: z.string().max(512).optional(),
  merchantOrderId: z.string().regex(/^[\w\-.:]{1,64}$/, 'merchantOrderId is 1–64 letters, digits or _ - . :').openapi({ example: 'SHOP-20261203-0042' }),
  methods: z.array(PayMethod).min(1).max(7).optional(),
  expiresInSeconds: z.number().int().min(60).max(7 * 86_400).optional(),
  returnUrl: z.string().max(2048).optional(),
  metadata: Metadata.optional(),
}).strict().openapi('CreateOrderRequest'))

export const CreateRefund = conforms<CreateRefundRequest>()(z.object({
  amountFen: z.number().int().min(1).max(10_000_000).optional().openapi({ description: 'Integer fen; default what remains of the paid amount' }),
  reason: z.string().trim().max(80).optional(),
}).strict().openapi('CreateRefundRequest'))

export const CreateWebhookEndpoint = conforms<CreateWebhookEndpointRequest>()(z.object({
  url: z.string().max(2048),
  description: z.string().max(200).optional(),
}).strict().openapi('CreateWebhookEndpointRequest'))

const Attempt = conforms<MerchantAttempt>()(z.object({
  id: z.string(),
  method: PayMethod,
  provider: z.enum(['wechat', 'alipay']),
  outTradeNo: z.string(),
  status: z.enum(['open', 'succeeded', 'closed', 'failed']),
  providerTxnId: z.string().optional(),
  duplicate: z.boolean(),
  createdAt: z.string(),
}).openapi('MerchantAttempt'))

export const Refund = conforms<MerchantRefund>()(z.object({
  id: z.string(),
  orderNo: z.string(),
  attemptId: z.string(),
  amountFen: z.number().int(),
  reason: z.string(),
  kind: z.enum(['merchant', 'duplicate']),
  status: z.enum(['pending', 'processing', 'succeeded', 'failed']),
  outRefundNo: z.string(),
  providerRefundId: z.string().optional(),
  failure: z.string().optional(),
  createdAt: z.string(),
  succeededAt: z.string().optional(),
}).openapi('MerchantRefund'))

const EventType = z.enum(WEBHOOK_EVENT_TYPES as [typeof WEBHOOK_EVENT_TYPES[number], ...typeof WEBHOOK_EVENT_TYPES[number][]])

const EventSummary = conforms<WebhookEventSummary>()(z.object({
  id: z.string(),
  type: EventType,
  createdAt: z.string(),
  deliveries: z.array(z.object({
    endpointId: z.string(),
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.array(z.object({ n: z.number().int(), at: z.string(), statusCode: z.number().int().optional(), error: z.string().optional(), latencyMs: z.number().int() })),
    nextAttemptAt: z.string().optional(),
    deliveredAt: z.string().optional(),
  })),
}).openapi('WebhookEventSummary'))

export const MerchantOrderSchema = conforms<MerchantOrder>()(z.object({
  orderNo: z.string(),
  merchantOrderId: z.string().optional(),
  status: OrderStatus,
  amountFen: z.number().int(),
  refundedFen: z.number().int(),
  currency: z.literal('CNY'),
  subject: z.string(),
  description: z.string().optional(),
  methods: z.array(PayMethod),
  metadata: z.record(z.string(), MetadataValue).optional(),
  returnUrl: z.string().optional(),
  checkoutUrl: z.string(),
  qrSvgUrl: z.string(),
  qrPngUrl: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  paidAt: z.string().optional(),
  closedAt: z.string().optional(),
  closedReason: z.enum(['expired', 'merchant']).optional(),
  attempts: z.array(Attempt),
  refunds: z.array(Refund),
  webhooks: z.array(EventSummary),
}).openapi('MerchantOrder'))

/** The body of every webhook request. */
export const WebhookEventSchema = conforms<WebhookEvent>()(z.object({
  id: z.string().openapi({ description: 'Unique per event: a delivery can come more than once, handle an id seen before as done', example: 'evt_9ihw-iwnl0Dy5972' }),
  type: EventType,
  createdAt: z.string(),
  data: z.object({
    order: MerchantOrderSchema.omit({ attempts: true, refunds: true, webhooks: true }).openapi('MerchantOrderCore', { description: 'The order as it is after the event' }),
    refund: Refund.optional(),
    attempt: Attempt.optional(),
  }),
}).openapi('WebhookEvent'))

export const OrderListSchema = conforms<OrderList>()(z.object({
  data: z.array(MerchantOrderSchema),
  nextCursor: z.string().optional(),
}).openapi('OrderList'))

export const Endpoint = conforms<WebhookEndpoint>()(z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
  disabled: z.boolean(),
  secret: z.string().optional(),
}).openapi('WebhookEndpoint'))

export const ListQuery = z.object({
  status: OrderStatus.optional(),
  created_from: z.string().datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; orders created at or after' }),
  created_to: z.string().datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; orders created before' }),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
})
