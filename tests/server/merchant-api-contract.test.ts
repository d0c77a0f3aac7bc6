/**
 * The merchant API's contract: /api/openapi.json (every route the server serves, its answers, the webhooks it sends),
 * the per-key rate limit, what counts as the same request for merchantOrderId and Idempotency-Key, a refund retried
 * after a failed answer, and that a deleted webhook endpoint is sent nothing more.
 */
import type { TestServer } from '../helpers/server'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEBHOOK_EVENT_TYPES } from '../../contract/merchant'
import { MERCHANT_PREFIX, merchantRoutes } from '../../server/routes/merchant'
import { eventually, merchantClient } from '../helpers/merchant'
import { removeDir, startTestServer } from '../helpers/server'
import { freePort } from '../reliability/processes'

interface Operation {
  tags?: string[]
  security?: unknown[]
  parameters?: Array<{ name: string, in: string, required?: boolean }>
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> }
  responses: Record<string, { description: string, content?: Record<string, { schema: { $ref?: string } }> }>
}
interface Doc { paths: Record<string, Record<string, Operation>>, webhooks: Record<string, Record<string, Operation>>, components: { schemas: Record<string, unknown> } }

let server: TestServer
let doc: Doc

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_KEY: '40', WEBHOOK_TIME_SCALE: '0.01', WEBHOOK_TIMEOUT_MS: '1000' } })
  doc = (await server.call('GET', '/api/openapi.json')).json as unknown as Doc
})

afterAll(async () => {
  await server.close()
  removeDir(server.dataDir)
})

describe('the merchant API in the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
  })

  it('lists every merchant route the server serves, tagged merchant, behind the API key, with its answers', () => {
    // Each route appears more than once in Hono's list (validators and handler): one entry per method and path.
    const served = [...new Map(merchantRoutes(server.services).routes.filter(r => r.method !== 'ALL' && r.path.startsWith(MERCHANT_PREFIX)).map(r => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, '{$1}') })).map(r => [`${r.method} ${r.path}`, r])).values()]
    expect(served.length).toBeGreaterThanOrEqual(11)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map(method => ({ method, path }))).filter(o => o.path.startsWith(MERCHANT_PREFIX))
    expect(documented).toEqual(expect.arrayContaining(served))
    expect(served).toEqual(expect.arrayContaining(documented))
    for (const { method, path } of served) {
      const op = doc.paths[path]![method]!
      const where = `${method.toUpperCase()} ${path}`
      expect(op.tags, where).toEqual(['merchant'])
      expect(op.security, where).toEqual([{ apiKey: [] }])
      const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'))
      expect(ok.length, where).toBeGreaterThan(0)
      for (const [, response] of ok)
        expect(Object.values(response.content ?? {}).every(c => c.schema !== undefined) && response.content !== undefined, where).toBe(true)
      for (const status of ['401', '429'])
        expect(op.responses[status]?.content?.['application/json']?.schema.$ref, `${where} ${status}`).toBe('#/components/schemas/Error')
      if (method === 'post' && (path.endsWith('/orders') || path.endsWith('/refunds')))
        expect(op.parameters?.find(p => p.name === 'idempotency-key'), where).toMatchObject({ in: 'header', required: true })
    }
  })

  it('documents each webhook event with its signature header and body', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort())
    for (const type of WEBHOOK_EVENT_TYPES) {
      const op = doc.webhooks[type]!.post!
      expect(op.parameters?.find(p => p.name === 'uni-cashier-signature'), type).toMatchObject({ in: 'header', required: true })
      expect(op.requestBody?.content['application/json']?.schema.$ref, type).toBe('#/components/schemas/WebhookEvent')
    }
    expect(doc.components.schemas).toHaveProperty('MerchantOrderCore')
  })
})

describe('the per-key rate limit', () => {
  it('answers 429 rate_limited with Retry-After, as documented for every merchant route', async () => {
    const shop = await merchantClient(server, 'rate limited')
    for (let i = 0; i < 40; i++)
      expect((await shop.call('GET', '/webhook-endpoints')).status).toBe(200)
    const over = await shop.call('GET', '/webhook-endpoints')
    expect(over.status).toBe(429)
    expect(over.json).toMatchObject({ code: 'rate_limited', retryable: true })
    expect(over.json.message).toContain('(per API key)')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('the same request', () => {
  it('is the same JSON whatever the order of its keys: a retry answers the first order, by merchantOrderId and by Idempotency-Key', async () => {
    const shop = await merchantClient(server, 'key order')
    const first = await shop.call('POST', '/orders', { idempotencyKey: 'key-order-0001', body: { amountFen: 300, subject: '拿铁', merchantOrderId: 'KEY-ORDER-1', metadata: { customer: 'c_1', table: 7 } } })
    expect(first.status).toBe(201)
    const reordered = { metadata: { table: 7, customer: 'c_1' }, merchantOrderId: 'KEY-ORDER-1', subject: '拿铁', amountFen: 300 }
    const byOrderId = await shop.call('POST', '/orders', { idempotencyKey: 'key-order-0002', body: reordered })
    expect(byOrderId.status, byOrderId.text).toBe(200)
    expect(byOrderId.json.orderNo).toBe(first.json.orderNo)
    const byKey = await shop.call('POST', '/orders', { idempotencyKey: 'key-order-0001', body: reordered })
    expect(byKey.status, byKey.text).toBe(201)
    expect(byKey.json.orderNo).toBe(first.json.orderNo)
    const other = await shop.call('POST', '/orders', { idempotencyKey: 'key-order-0003', body: { ...reordered, metadata: { table: 8, customer: 'c_1' } } })
    expect(other.json).toMatchObject({ code: 'merchant_order_conflict' })
  })
})

describe('a refund whose answer failed after it was recorded', () => {
  it('is the answer to the retry with the same Idempotency-Key: the order is refunded once', async () => {
    const shop = await merchantClient(server, 'refund retry')
    const order = await shop.order({ amountFen: 1000 })
    const action = (await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': `pay-${order.orderNo}` } })).json as { codeUrl: string }
    await fetch(`${server.url}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code_url: action.codeUrl }) })
    await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid')
    // The refund is recorded, then sending it fails unexpectedly (say the database connection drops): a 500.
    const refunds = server.services.refunds
    const submit = refunds.submit
    refunds.submit = async () => {
      throw new Error('connection lost')
    }
    const body = { amountFen: 300 }
    try {
      expect((await shop.call('POST', `/orders/${order.orderNo}/refunds`, { idempotencyKey: 'refund-retry-0001', body })).status).toBe(500)
    }
    finally {
      refunds.submit = submit
    }
    const retry = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { idempotencyKey: 'refund-retry-0001', body })
    expect(retry.status, retry.text).toBe(201)
    expect(retry.json).toMatchObject({ amountFen: 300, kind: 'merchant' })
    expect((await shop.call('POST', `/orders/${order.orderNo}/refunds`, { idempotencyKey: 'refund-retry-0001', body: { amountFen: 200 } })).json).toMatchObject({ code: 'idempotency_conflict' })
    const after = await shop.call('GET', `/orders/${order.orderNo}`)
    expect(after.json.refunds).toEqual([expect.objectContaining({ id: retry.json.id, amountFen: 300 })])
  })
})

describe('deleting a webhook endpoint', () => {
  it('stops its retries at once: nothing more is sent, what was being retried shows as failed, and a replay skips it', async () => {
    const shop = await merchantClient(server, 'endpoint deletion')
    const endpoint = await shop.call('POST', '/webhook-endpoints', { body: { url: `http://127.0.0.1:${await freePort()}/nobody-listens` } })
    const order = await shop.order({ amountFen: 100 })
    expect((await shop.call('POST', `/orders/${order.orderNo}/close`)).json.status).toBe('closed')
    const deliveryOf = async () => (await shop.call('GET', `/orders/${order.orderNo}`)).json.webhooks[0]?.deliveries.find((d: { endpointId: string }) => d.endpointId === endpoint.json.id) as { status: string, attempts: unknown[] } | undefined
    // Retries come after 0.1 s, 0.3 s, 0.6 s, 3 s … here (WEBHOOK_TIME_SCALE 0.01).
    expect((await eventually(deliveryOf, d => (d?.attempts.length ?? 0) >= 2))?.attempts.length).toBeGreaterThanOrEqual(2)
    expect((await shop.call('DELETE', `/webhook-endpoints/${endpoint.json.id}`)).json).toMatchObject({ disabled: true })
    await new Promise(r => setTimeout(r, 300)) // an attempt in flight at the DELETE ends
    const stopped = await deliveryOf()
    await new Promise(r => setTimeout(r, 2000))
    const later = await deliveryOf()
    expect(later?.attempts).toHaveLength(stopped!.attempts.length)
    expect(later?.status).toBe('failed')
    // Nor does a replay send to it.
    const eventId = (await shop.call('GET', `/orders/${order.orderNo}`)).json.webhooks[0].id as string
    expect((await shop.call('POST', `/webhooks/${eventId}/replay?endpoint_id=${endpoint.json.id}`)).json).toMatchObject({ code: 'webhook_endpoint_not_found' })
  })
})
