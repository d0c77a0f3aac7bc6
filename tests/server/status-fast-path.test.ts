/**
 * The status fast path (server/http/status-fast-path.ts): what it answers, what it leaves to Hono, and that its answer
 * is the one Hono gives — compared on the running product, where a read with an Authorization header always goes
 * through Hono and the same read without one is answered from memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { OrderRow } from '../../server/orders/views'
import type { TestServer } from '../helpers/server'
import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config'
import { RateWindows } from '../../server/http/rate-limit'
import { statusFastPath } from '../../server/http/status-fast-path'
import { createLogger } from '../../server/logger'
import { OrderStatusCache } from '../../server/orders/status-cache'
import { removeDir, startTestServer } from '../helpers/server'

const HOUR = 3_600_000

function pendingRow(orderNo: string, reconciledAgoMs: number): OrderRow {
  const now = Date.now()
  // Only the columns the cache and the status view read; the rest of the row does not matter here.
  return {
    order_no: orderNo,
    status: 'pending',
    amount_fen: 1999,
    refunded_fen: 0,
    paid_at: null,
    expires_at: new Date(now + HOUR),
    reconciled_at: new Date(now - reconciledAgoMs),
  } as unknown as OrderRow
}

interface Written { status?: number, headers?: Record<string, string | number>, body?: string }

function fakeRequest(method: string, url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method, url, headers, socket: { remoteAddress: '::ffff:10.1.2.3' } } as unknown as IncomingMessage
}

function fakeResponse(): { res: ServerResponse, written: Written } {
  const written: Written = {}
  const res = {
    writeHead: (status: number, headers: Record<string, string | number>) => Object.assign(written, { status, headers }),
    end: (body: string) => Object.assign(written, { body }),
  } as unknown as ServerResponse
  return { res, written }
}

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({ CASHIER_MODE: 'sandbox', PUBLIC_URL: 'http://127.0.0.1:8080', RECONCILE_AFTER_SECONDS: '3', ...env })
  const cache = new OrderStatusCache({ reconcileAfterMs: 3000 })
  const asked: string[] = []
  const statusLimits = new RateWindows()
  const fast = statusFastPath({
    services: { config, log: createLogger('silent'), bus: { cache } as never, providerQueries: { request: (o: string) => asked.push(o) > 0 } as never },
    statusLimits,
  })
  const keep = (row: OrderRow) => cache.put(row, cache.begin())
  const read = (method: string, url: string, headers?: Record<string, string>) => {
    const { res, written } = fakeResponse()
    return { answered: fast(fakeRequest(method, url, headers), res), written }
  }
  return { fast, keep, read, asked, statusLimits, cache }
}

describe('status fast path', () => {
  it('answers a kept pending order with the status view and the API headers', () => {
    const t = setup()
    t.keep(pendingRow('OFAST0001', 0))
    const { answered, written } = t.read('GET', '/api/orders/OFAST0001/status?t=1')
    expect(answered).toBe(true)
    expect(written.status).toBe(200)
    const { 'x-request-id': reqId, 'Content-Length': length, ...rest } = written.headers!
    expect(rest).toEqual({
      'cache-control': 'no-store',
      'content-type': 'application/json',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    })
    expect(String(reqId)).toMatch(/^[0-9a-f-]{36}$/)
    expect(length).toBe(Buffer.byteLength(written.body!))
    const body = JSON.parse(written.body!) as Record<string, unknown>
    expect(body).toEqual({ orderNo: 'OFAST0001', status: 'pending', amountFen: 1999, serverTime: expect.any(String) })
    expect(t.asked).toEqual([])
  })

  it('adds HSTS behind https, and keeps a well-formed X-Request-Id of the client', () => {
    const t = setup({ PUBLIC_URL: 'https://pay.example.com' })
    t.keep(pendingRow('OFAST0002', 0))
    const ok = t.read('GET', '/api/orders/OFAST0002/status', { 'x-request-id': 'client-id_1=' })
    expect(ok.written.headers!['strict-transport-security']).toBe('max-age=31536000')
    expect(ok.written.headers!['x-request-id']).toBe('client-id_1=')
    const odd = t.read('GET', '/api/orders/OFAST0002/status', { 'x-request-id': 'bad id;' })
    expect(odd.written.headers!['x-request-id']).not.toBe('bad id;')
  })

  it('answers an order due for a provider query at once, and asks the background queue for the query', () => {
    const t = setup()
    t.keep(pendingRow('OFAST0003', 10_000))
    expect(t.read('GET', '/api/orders/OFAST0003/status').answered).toBe(true)
    expect(t.asked).toEqual(['OFAST0003'])
  })

  it('leaves to Hono: an order not kept, other methods and paths, a malformed order number, any Authorization', () => {
    const t = setup()
    t.keep(pendingRow('OFAST0004', 0))
    const passed = [
      t.read('GET', '/api/orders/ONOTKEPT1/status'),
      t.read('HEAD', '/api/orders/OFAST0004/status'),
      t.read('POST', '/api/orders/OFAST0004/status'),
      t.read('GET', '/api/orders/OFAST0004'),
      t.read('GET', '/api/orders/OFAST0004/status/x'),
      t.read('GET', '/api/orders/OFAST0004/events'),
      t.read('GET', '/api/orders/OF%41ST0004/status'),
      t.read('GET', '/api/orders/OFA/status'),
      t.read('GET', '/api/orders/OFAST0004/status', { authorization: 'Bearer sk_test_leaked' }),
    ]
    for (const p of passed) {
      expect(p.answered).toBe(false)
      expect(p.written).toEqual({})
    }
  })

  it('leaves everything to Hono when the API is cross-origin (CORS_ORIGINS), whose headers go on every answer', () => {
    const t = setup({ CORS_ORIGINS: 'https://shop.example.com' })
    t.keep(pendingRow('OFAST0005', 0))
    expect(t.read('GET', '/api/orders/OFAST0005/status').answered).toBe(false)
  })

  it('counts reads in the per-IP status windows, and leaves the read over the limit to Hono uncounted', () => {
    const t = setup({ STATUS_RATE_LIMIT_PER_IP: '2', TRUST_PROXY: 'true' })
    t.keep(pendingRow('OFAST0006', 0))
    const from = (ip: string) => t.read('GET', '/api/orders/OFAST0006/status', { 'x-forwarded-for': `${ip}, 10.0.0.1` }).answered
    expect([from('10.9.9.9'), from('10.9.9.9'), from('10.9.9.9')]).toEqual([true, true, false])
    // Another client has its own window.
    expect(from('10.9.9.8')).toBe(true)
    // Hono's limiter (rule "per IP", the same key) then counts the third read once, over the limit: 429.
    expect(t.statusLimits.hit('per IP:10.9.9.9', 2, 60_000)).toBeGreaterThan(0)
  })
})

describe('status fast path on the running product', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dataDir)
  })

  it('answers a kept order with what Hono answers: the same status, headers and body', async () => {
    const created = await server.call('POST', '/api/demo/orders', { body: { amountFen: 2345 } })
    const orderNo = String(created.json.orderNo)
    // With an Authorization header the read always goes through Hono (and keeps the order in memory); without, the
    // same read is answered from memory.
    const viaHono = await server.call('GET', `/api/orders/${orderNo}/status`, { headers: { Authorization: 'Basic eDp5' } })
    const fromMemory = await server.call('GET', `/api/orders/${orderNo}/status`)
    const comparable = (r: typeof viaHono) => ({
      status: r.status,
      headers: [...r.headers].filter(([k]) => k !== 'x-request-id' && k !== 'date'),
      body: { ...r.json, serverTime: typeof r.json.serverTime },
    })
    expect(comparable(fromMemory)).toEqual(comparable(viaHono))
    expect(viaHono.json).toMatchObject({ orderNo, status: 'pending', amountFen: 2345 })
    expect(fromMemory.headers.get('x-request-id')).not.toBe(viaHono.headers.get('x-request-id'))
  })
})
