/**
 * The merchant API's contract: /api/openapi.json (every route the server serves, its answers, the webhooks it sends),
 * the per-key rate limit, and what counts as the same request for merchantOrderId and Idempotency-Key.
 */
import type { TestServer } from '../helpers/server'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEBHOOK_EVENT_TYPES } from '../../contract/merchant'
import { MERCHANT_PREFIX, merchantRoutes } from '../../server/routes/merchant'
import { merchantClient } from '../helpers/merchant'
import { removeDir, startTestServer } from '../helpers/server'

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
  server = await startTestServer({ env: { RATE_LIMIT_PER_KEY: '5' } })
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
    const served = merchantRoutes(server.services).routes.filter(r => r.method !== 'ALL' && r.path.startsWith(MERCHANT_PREFIX)).map(r => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, '{$1}') }))
    expect(served.length).toBeGreaterThanOrEqual(12)
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
    for (let i = 0; i < 5; i++)
      expect((await shop.call('GET', '/orders')).status).toBe(200)
    const over = await shop.call('GET', '/orders')
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
