/**
 * The merchant API, `/api/merchant/v1/…`: what a shop's backend calls with its secret key (Authorization: Bearer
 * sk_…). Never a session cookie, never CORS: it is not for browsers. Creating calls need an Idempotency-Key.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { ApiKeyRow } from '../merchant/api-keys'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import QRCode from 'qrcode'
import { WEBHOOK_EVENT_TYPES } from '../../contract/merchant'
import { replayEvent } from '../events/dispatcher'
import { newEndpointId, newEndpointSecret } from '../events/endpoints'
import { SIGNATURE_HEADER } from '../events/signature'
import { HttpError } from '../http/errors'
import { CreateOrder, CreateRefund, CreateWebhookEndpoint, Endpoint, ListQuery, MerchantOrderSchema, OrderListSchema, Refund, WebhookEventSchema } from '../http/merchant-schemas'
import { rateLimit } from '../http/rate-limit'
import { errorResponses, OrderNoParam } from '../http/schemas'
import { checkApiKey } from '../merchant/api-keys'
import { createMerchantOrder, getMerchantOrder, listMerchantOrders } from '../merchant/orders'
import { toMerchantRefund } from '../merchant/views'
import { closeOrder } from '../orders/reconcile'
import { IDEMPOTENCY_KEY_PATTERN, requestHash, withIdempotency } from '../payments/idempotency'
import { checkoutUrl } from '../payments/urls'
import { createRefund } from '../refunds/refunds'

export const MERCHANT_PREFIX = '/api/merchant/v1'

interface MerchantEnv { Variables: { apiKey: ApiKeyRow } }

const security = [{ apiKey: [] }]
const tags = ['merchant']
// Required, but checked in the handler so that a missing one answers idempotency_key_required.
const idempotencyHeader = z.object({ 'idempotency-key': z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'Idempotency-Key is 8–128 letters, digits, _ or -').optional().openapi({ param: { required: true, description: 'Required (400 idempotency_key_required without it). A retry with the same key and request gets the first answer; with another request, 409 idempotency_conflict.' } }) })
const orderParam = z.object({ orderNo: OrderNoParam })

/** The error answers of a merchant route, described with their codes; every route can answer 401 and 429. */
function errors(statuses: number[], codes: Partial<Record<number, string>> = {}) {
  const common: Record<number, string> = {
    400: 'validation_failed: the request does not match the schema (message names the field)',
    401: 'missing_api_key / invalid_api_key: no, a malformed, an unknown or a revoked secret key',
    413: 'payload_too_large: a body over 64 KB',
    415: 'unsupported_media_type: a body that is not application/json',
    429: 'rate_limited: over RATE_LIMIT_PER_KEY requests a minute for this key (Retry-After says when to retry)',
  }
  const all = errorResponses(...new Set([...statuses, 401, 429]))
  for (const [status, response] of Object.entries(all)) {
    const text = codes[Number(status)] ?? common[Number(status)]
    if (text)
      response.description = text
  }
  return all
}

/** 401 for a missing, malformed, unknown or revoked key; a cookie is never looked at. */
export function requireApiKey(s: Services): MiddlewareHandler<MerchantEnv> {
  return async (c, next) => {
    const check = await checkApiKey(s.db, c.req.header('authorization'))
    if (!check.ok) {
      c.header('WWW-Authenticate', 'Bearer realm="uni-cashier merchant API"')
      return c.json({ code: check.code, message: check.message }, 401)
    }
    c.set('apiKey', check.key)
    await next()
  }
}

function requireIdempotencyKey(c: Context): string {
  const key = c.req.header('idempotency-key')
  if (!key)
    throw new HttpError(400, 'idempotency_key_required', 'send an Idempotency-Key header (8–128 letters, digits, _ or -); a retry with the same key is answered once')
  return key
}

const createOrderRoute = createRoute({
  method: 'post',
  path: `${MERCHANT_PREFIX}/orders`,
  tags,
  security,
  summary: 'Create an order; answers its checkout URL and QR image URLs',
  description: 'Requires Idempotency-Key. `merchantOrderId` is unique: the same id with the same body answers the first order (200), another body 409 merchant_order_conflict.',
  request: { headers: idempotencyHeader, body: { required: true, content: { 'application/json': { schema: CreateOrder } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: MerchantOrderSchema } } },
    200: { description: 'The order this merchantOrderId already names (same request)', content: { 'application/json': { schema: MerchantOrderSchema } } },
    ...errors([400, 409, 413, 415, 422], {
      400: 'validation_failed (message names the field), idempotency_key_required',
      409: 'merchant_order_conflict: this merchantOrderId names an order created with another request; idempotency_conflict: this Idempotency-Key was used for another request (or that request is still running, retryable)',
      422: 'method_not_allowed: a method in `methods` is not configured on this server',
    }),
  },
})

const listOrdersRoute = createRoute({
  method: 'get',
  path: `${MERCHANT_PREFIX}/orders`,
  tags,
  security,
  summary: 'List orders, newest first (cursor pagination)',
  request: { query: ListQuery },
  responses: { 200: { description: 'A page of orders', content: { 'application/json': { schema: OrderListSchema } } }, ...errors([400]) },
})

const getOrderRoute = createRoute({
  method: 'get',
  path: `${MERCHANT_PREFIX}/orders/{orderNo}`,
  tags,
  security,
  summary: 'One order with its payment attempts, refunds and webhook deliveries',
  request: { params: orderParam },
  responses: { 200: { description: 'The order', content: { 'application/json': { schema: MerchantOrderSchema } } }, ...errors([400, 404], { 404: 'order_not_found' }) },
})

function qrRoute(ext: 'svg' | 'png') {
  return createRoute({
    method: 'get',
    path: `${MERCHANT_PREFIX}/orders/{orderNo}/qr.${ext}`,
    tags,
    security,
    summary: `The order's checkout URL as a QR code (${ext.toUpperCase()})`,
    request: { params: orderParam },
    responses: { 200: { description: 'The image', content: { [ext === 'svg' ? 'image/svg+xml' : 'image/png']: { schema: z.string().openapi(ext === 'png' ? { format: 'binary' } : {}) } } }, ...errors([400, 404], { 404: 'order_not_found' }) },
  })
}

const closeRoute = createRoute({
  method: 'post',
  path: `${MERCHANT_PREFIX}/orders/{orderNo}/close`,
  tags,
  security,
  summary: 'Close an unpaid order and every open payment of it at its provider',
  description: 'Each open payment is asked about, closed, and asked again: a payment that races the close wins (409 order_not_closable, the order is paid). 502 when a provider cannot confirm a close yet (retry).',
  request: { params: orderParam },
  responses: {
    200: { description: 'The closed order (also when it was closed or expired already)', content: { 'application/json': { schema: MerchantOrderSchema } } },
    ...errors([400, 404, 409, 502], { 404: 'order_not_found', 409: 'order_not_closable: the order is paid or refunded (refund it instead), or was paid while it was being closed', 502: 'provider_unavailable (retryable): a provider could not confirm the close; try again' }),
  },
})

const refundRoute = createRoute({
  method: 'post',
  path: `${MERCHANT_PREFIX}/orders/{orderNo}/refunds`,
  tags,
  security,
  summary: 'Refund a paid order, in full or in part',
  description: 'Requires Idempotency-Key. Several partial refunds add up to the paid amount at most (409 refund_exceeds_remaining). The refund is sent at once; `status` is succeeded, processing (settled later by the provider\'s notification or a query: refund.succeeded / refund.failed webhooks) or failed.',
  request: { headers: idempotencyHeader, params: orderParam, body: { required: false, content: { 'application/json': { schema: CreateRefund } } } },
  responses: {
    201: { description: 'The refund', content: { 'application/json': { schema: Refund } } },
    ...errors([400, 404, 409, 413, 415], {
      400: 'validation_failed (message names the field), idempotency_key_required',
      404: 'order_not_found',
      409: 'order_not_paid, order_fully_refunded, refund_exceeds_remaining (with remainingFen), idempotency_conflict',
    }),
  },
})

const replayRoute = createRoute({
  method: 'post',
  path: `${MERCHANT_PREFIX}/webhooks/{eventId}/replay`,
  tags,
  security,
  summary: 'Send a webhook event again (to every endpoint, or one)',
  request: { params: z.object({ eventId: z.string().regex(/^evt_[\w-]{16}$/, 'eventId looks like evt_ followed by 16 characters') }), query: z.object({ endpoint_id: z.string().max(64).optional() }) },
  responses: { 202: { description: 'Queued', content: { 'application/json': { schema: z.object({ eventId: z.string(), queued: z.number().int() }) } } }, ...errors([400, 404], { 404: 'event_not_found; webhook_endpoint_not_found: the event was not for endpoint_id, or that endpoint is deleted' }) },
})

const createEndpointRoute = createRoute({
  method: 'post',
  path: `${MERCHANT_PREFIX}/webhook-endpoints`,
  tags,
  security,
  summary: 'Register a webhook endpoint; answers its signing secret once',
  request: { body: { required: true, content: { 'application/json': { schema: CreateWebhookEndpoint } } } },
  responses: { 201: { description: 'The endpoint, with `secret`', content: { 'application/json': { schema: Endpoint } } }, ...errors([400, 413, 415], { 400: 'validation_failed: url must be https (http only to a loopback host or in sandbox mode) and carry no credentials' }) },
})

const listEndpointsRoute = createRoute({
  method: 'get',
  path: `${MERCHANT_PREFIX}/webhook-endpoints`,
  tags,
  security,
  summary: 'Webhook endpoints (secrets are not shown again)',
  responses: { 200: { description: 'Endpoints', content: { 'application/json': { schema: z.object({ data: z.array(Endpoint) }) } } }, ...errors([]) },
})

const deleteEndpointRoute = createRoute({
  method: 'delete',
  path: `${MERCHANT_PREFIX}/webhook-endpoints/{endpointId}`,
  tags,
  security,
  summary: 'Stop sending to an endpoint',
  description: 'Disables the endpoint at once: nothing more is sent to it, and its deliveries still being retried become failed.',
  request: { params: z.object({ endpointId: z.string().max(64) }) },
  responses: { 200: { description: 'The disabled endpoint', content: { 'application/json': { schema: Endpoint } } }, ...errors([400, 404], { 404: 'webhook_endpoint_not_found' }) },
})

/** https, or http on a loopback host in sandbox mode; no credentials in the URL. */
function checkEndpointUrl(raw: string, mode: 'sandbox' | 'live'): string {
  let u: URL
  try {
    u = new URL(raw)
  }
  catch {
    throw new HttpError(400, 'validation_failed', 'url: must be an absolute https URL')
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && (mode === 'sandbox' || loopback)))
    throw new HttpError(400, 'validation_failed', 'url: must be https (http only to a loopback host or in sandbox mode)')
  if (u.username || u.password)
    throw new HttpError(400, 'validation_failed', 'url: must not carry credentials')
  return u.href
}

const EVENT_DESCRIPTIONS: Record<typeof WEBHOOK_EVENT_TYPES[number], string> = {
  'order.paid': 'The order is paid: fulfil it. `data.attempt` is the payment.',
  'order.closed': 'The merchant closed the unpaid order (POST …/close).',
  'order.expired': 'The order was not paid before expiresAt and is closed.',
  'refund.succeeded': 'The provider confirmed `data.refund`; `data.order.refundedFen` counts it (status refunded when all of it is refunded). Also sent for the refund of a duplicate payment (`data.refund.kind` duplicate, not counted in refundedFen).',
  'refund.failed': 'The provider refused `data.refund` (`data.refund.failure` says why); nothing was refunded.',
  'payment.duplicate': 'A payment (`data.attempt`) of an order that was no longer pending — paid by another attempt, closed or expired. With AUTO_REFUND_DUPLICATES (default on) `data.refund` is its refund, announced again by refund.succeeded or refund.failed.',
}

/**
 * Documents what the server POSTs to each webhook endpoint, one entry per event type. Called on the top-level app:
 * a sub-app's webhooks would be named like paths ("/order.paid").
 */
export function registerMerchantWebhooks(app: Pick<OpenAPIHono, 'openAPIRegistry'>): void {
  const headers = z.object({
    [SIGNATURE_HEADER.toLowerCase()]: z.string().openapi({ description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(endpoint secret, "<t>.<raw body>")>`; refuse a t more than 5 minutes away. Several v1 while a secret is rotated.', example: 't=1796459686,v1=5f0c…' }),
    'uni-cashier-event-id': z.string().openapi({ description: 'The event id (as in the body)' }),
    'uni-cashier-event-type': z.string().openapi({ description: 'The event type (as in the body)' }),
  })
  for (const type of WEBHOOK_EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      tags,
      summary: type,
      description: `${EVENT_DESCRIPTIONS[type]} Sent to every enabled endpoint, at least once, in order per order and endpoint.`,
      request: { headers, body: { required: true, content: { 'application/json': { schema: WebhookEventSchema } } } },
      responses: { 200: { description: 'Any 2xx acknowledges the event. Anything else — a redirect, a 4xx or 5xx, no answer within WEBHOOK_TIMEOUT_MS — is retried 11 times over about 28 hours, then the delivery fails (replay it with POST /api/merchant/v1/webhooks/{eventId}/replay).' } },
    })
  }
}

export function merchantRoutes(s: Services) {
  const app = new OpenAPIHono<MerchantEnv>({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json({ code: 'validation_failed', message: result.error.issues.slice(0, 5).map(i => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; ') }, 400)
    },
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'A secret key made with `npm run keys -- create --name <shop>` (sk_live_… / sk_test_…)' })
  app.use(`${MERCHANT_PREFIX}/*`, requireApiKey(s))
  app.use(`${MERCHANT_PREFIX}/*`, rateLimit([{ name: 'per API key', limit: s.config.rateLimitPerKey, windowMs: 60_000, key: c => (c.get('apiKey') as ApiKeyRow | undefined)?.id }], Date.now, 'merchant API requests'))
  const deps = { db: s.db, config: s.config, providers: s.providers }

  app.openapi(createOrderRoute, async (c) => {
    const key = requireIdempotencyKey(c)
    const body = c.req.valid('json')
    const stored = await withIdempotency(s.db, `m:orders:${key}`, requestHash([body]), async () => {
      try {
        const { order, created } = await createMerchantOrder(deps, body)
        return { status: created ? 201 : 200, body: order }
      }
      catch (e) {
        if (e instanceof HttpError && e.status < 500)
          return { status: e.status, body: e.toBody() }
        throw e
      }
    }, r => r.status < 300)
    return c.json(stored.body as z.infer<typeof MerchantOrderSchema>, stored.status as 201)
  })

  app.openapi(listOrdersRoute, async (c) => {
    const q = c.req.valid('query')
    return c.json(await listMerchantOrders(deps, { status: q.status, createdFrom: q.created_from, createdTo: q.created_to, cursor: q.cursor, limit: q.limit }), 200)
  })

  app.openapi(getOrderRoute, async c => c.json(await getMerchantOrder(deps, c.req.valid('param').orderNo), 200))

  for (const ext of ['svg', 'png'] as const) {
    app.openapi(qrRoute(ext), async (c) => {
      const { orderNo } = c.req.valid('param')
      const row = await s.db.selectFrom('orders').select('order_no').where('order_no', '=', orderNo).executeTakeFirst()
      if (!row)
        throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
      const url = checkoutUrl(s.config.publicUrl, orderNo)
      c.header('Cache-Control', 'private, max-age=3600')
      if (ext === 'svg')
        return c.body(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), 200, { 'Content-Type': 'image/svg+xml' })
      return c.body(new Uint8Array(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 480 })), 200, { 'Content-Type': 'image/png' })
    })
  }

  app.openapi(closeRoute, async (c) => {
    const { orderNo } = c.req.valid('param')
    const order = await getMerchantOrder(deps, orderNo)
    if (order.status === 'paid' || order.status === 'refunded')
      throw new HttpError(409, 'order_not_closable', `this order is ${order.status}; refund it instead`)
    if (order.status === 'pending') {
      const outcome = await closeOrder(s, orderNo, 'merchant')
      if (outcome === 'paid')
        throw new HttpError(409, 'order_not_closable', 'the order was paid while it was being closed; it is paid now')
      if (outcome === 'unconfirmed')
        throw new HttpError(502, 'provider_unavailable', 'a provider could not confirm that a payment of this order is closed; try again', { retryable: true })
    }
    return c.json(await getMerchantOrder(deps, orderNo), 200)
  })

  app.openapi(refundRoute, async (c) => {
    const key = requireIdempotencyKey(c)
    const { orderNo } = c.req.valid('param')
    const body = c.req.valid('json') ?? {}
    const stored = await withIdempotency(s.db, `m:refunds:${key}`, requestHash([orderNo, body]), async () => {
      try {
        // A refund this key already recorded (its answer was lost to an error after that, which freed the key): that
        // refund is the answer, never a second one. The refund worker sends it if it is still pending.
        const earlier = await s.db.selectFrom('refunds').selectAll().where('order_no', '=', orderNo).where('kind', '=', 'merchant').where('idempotency_key', '=', key).executeTakeFirst()
        if (earlier && body.amountFen !== undefined && body.amountFen !== earlier.amount_fen)
          throw new HttpError(409, 'idempotency_conflict', 'this Idempotency-Key was already used for a different request')
        const refund = earlier ?? await createRefund(s.db, orderNo, { ...body, idempotencyKey: key })
        if (!earlier)
          await s.refunds.submit(refund)
        const now = await s.db.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow()
        return { status: 201, body: toMerchantRefund(now) }
      }
      catch (e) {
        if (e instanceof HttpError && e.status < 500)
          return { status: e.status, body: e.toBody() }
        throw e
      }
    }, r => r.status < 300)
    return c.json(stored.body as z.infer<typeof Refund>, stored.status as 201)
  })

  app.openapi(replayRoute, async (c) => {
    const { eventId } = c.req.valid('param')
    const endpointId = c.req.valid('query').endpoint_id
    const event = await s.db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
    if (!event)
      throw new HttpError(404, 'event_not_found', `no event ${eventId}`)
    const queued = await replayEvent(s.db, eventId, endpointId)
    if (endpointId && queued === 0)
      throw new HttpError(404, 'webhook_endpoint_not_found', `event ${eventId} was not for endpoint ${endpointId}, or that endpoint is deleted`)
    void s.webhooks.kick().catch(() => {})
    return c.json({ eventId, queued }, 202)
  })

  const toEndpoint = (r: { id: string, url: string, description: string | null, created_at: Date, disabled_at: Date | null }, secret?: string) => ({
    id: r.id,
    url: r.url,
    ...(r.description ? { description: r.description } : {}),
    createdAt: new Date(r.created_at).toISOString(),
    disabled: r.disabled_at !== null,
    ...(secret ? { secret } : {}),
  })

  app.openapi(createEndpointRoute, async (c) => {
    const body = c.req.valid('json')
    const url = checkEndpointUrl(body.url, s.config.mode)
    const secret = newEndpointSecret()
    const row = await s.db.insertInto('webhook_endpoints').values({ id: newEndpointId(), url, secret, description: body.description ?? null }).returningAll().executeTakeFirstOrThrow()
    return c.json(toEndpoint(row, secret), 201)
  })

  app.openapi(listEndpointsRoute, async (c) => {
    const rows = await s.db.selectFrom('webhook_endpoints').selectAll().where('url', 'not like', 'file:%').orderBy('created_at').execute()
    return c.json({ data: rows.map(r => toEndpoint(r)) }, 200)
  })

  app.openapi(deleteEndpointRoute, async (c) => {
    const { endpointId } = c.req.valid('param')
    const row = await s.db.transaction().execute(async (trx) => {
      const disabled = await trx.updateTable('webhook_endpoints').set({ disabled_at: new Date() }).where('id', '=', endpointId).where('url', 'not like', 'file:%').returningAll().executeTakeFirst()
      // Its deliveries still being retried stop (the dispatcher sends to enabled endpoints only): they show as failed.
      if (disabled)
        await trx.updateTable('event_deliveries').set({ status: 'failed', claimed_until: null }).where('endpoint_id', '=', endpointId).where('status', '=', 'pending').execute()
      return disabled
    })
    if (!row)
      throw new HttpError(404, 'webhook_endpoint_not_found', `no webhook endpoint ${endpointId}`)
    return c.json(toEndpoint(row), 200)
  })

  return app
}
