/**
 * The status streams (`GET /api/orders/{no}/events`): EventStreams against a stand-in response (one subscription per
 * order, duplicates skipped, a final status ends the stream, a client that goes is let go), and the route over real
 * HTTP, where the events are written to Node's response itself: the head the middlewares made (CORS, security
 * headers, X-Request-Id), the stream limits released when the client goes, HEAD answered without a stream, and the
 * WHATWG-stream fallback where there is no Node response (`app.request()`).
 */
import type { OrderStatusView } from '../../contract/api'
import type { EventResponse } from '../../server/orders/event-streams'
import type { TestServer } from '../helpers/server'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventStreams } from '../../server/orders/event-streams'
import { orderEventRoutes } from '../../server/routes/order-events'
import { removeDir, startTestServer } from '../helpers/server'

class FakeResponse implements EventResponse {
  chunks: string[] = []
  destroyed = false
  writableEnded = false
  private listeners: Array<() => void> = []
  write(chunk: Uint8Array): boolean {
    this.chunks.push(new TextDecoder().decode(chunk))
    return true
  }

  end(): void {
    this.writableEnded = true
    this.emitClose()
  }

  on(_event: 'close', listener: () => void): void {
    this.listeners.push(listener)
  }

  /** The client goes. */
  destroy(): void {
    this.destroyed = true
    this.emitClose()
  }

  private emitClose(): void {
    for (const l of this.listeners.splice(0))
      l()
  }
}

function fakeBus() {
  const listeners = new Map<string, Set<(view: OrderStatusView) => void>>()
  let subscriptions = 0
  return {
    subscribe(orderNo: string, listener: (view: OrderStatusView) => void) {
      subscriptions++
      const set = listeners.get(orderNo) ?? new Set()
      listeners.set(orderNo, set)
      set.add(listener)
      return () => {
        subscriptions--
        set.delete(listener)
      }
    },
    publish(orderNo: string, status: string) {
      for (const l of listeners.get(orderNo) ?? [])
        l(view(orderNo, status))
    },
    subscriptions: () => subscriptions,
  }
}

function view(orderNo: string, status: string): OrderStatusView {
  return { orderNo, status, amountFen: 1, serverTime: '2026-01-01T00:00:00.000Z' } as OrderStatusView
}

const tick = () => new Promise(r => setTimeout(r, 5))

describe('event streams written to a Node response', () => {
  function setup() {
    const bus = fakeBus()
    let watched = 0
    const watch = { add: () => {
      watched++
      return () => {
        watched--
      }
    } }
    const streams = new EventStreams(bus, watch, { heartbeatMs: 20, onError: () => {} })
    return { bus, streams, watched: () => watched }
  }

  it('sends the current status, each change once, ends on a final status and lets the order go', async () => {
    const { bus, streams, watched } = setup()
    const [a, b] = [new FakeResponse(), new FakeResponse()]
    let closed = 0
    streams.respond(a, 'O1', async () => view('O1', 'pending'), () => closed++)
    streams.respond(b, 'O1', async () => view('O1', 'pending'), () => closed++)
    expect(bus.subscriptions()).toBe(1)
    expect(watched()).toBe(1)
    await tick()
    bus.publish('O1', 'pending')
    bus.publish('O1', 'paid')
    for (const r of [a, b]) {
      expect(r.chunks.filter(c => c.startsWith('event: status'))).toEqual([
        `event: status\ndata: ${JSON.stringify(view('O1', 'pending'))}\n\n`,
        `event: status\ndata: ${JSON.stringify(view('O1', 'paid'))}\n\n`,
      ])
      expect(r.writableEnded).toBe(true)
    }
    expect(closed).toBe(2)
    expect(streams.size()).toBe(0)
    expect(bus.subscriptions()).toBe(0)
    expect(watched()).toBe(0)
  })

  it('lets a stream go when its client goes, and writes nothing to it after', async () => {
    const { bus, streams, watched } = setup()
    const r = new FakeResponse()
    let closed = 0
    streams.respond(r, 'O2', async () => view('O2', 'pending'), () => closed++)
    await tick()
    r.destroy()
    expect(closed).toBe(1)
    expect(streams.size()).toBe(0)
    expect(bus.subscriptions()).toBe(0)
    expect(watched()).toBe(0)
    const written = r.chunks.length
    bus.publish('O2', 'paid')
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(r.chunks.length).toBe(written)
  })

  it('sends keep-alive comments to held streams', async () => {
    const { streams } = setup()
    const r = new FakeResponse()
    streams.respond(r, 'O3', async () => view('O3', 'pending'), () => {})
    await new Promise(resolve => setTimeout(resolve, 70))
    expect(r.chunks).toContain(': keep-alive\n\n')
    streams.close()
    expect(r.writableEnded).toBe(true)
    expect(streams.size()).toBe(0)
  })
})

describe('the events route over HTTP', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: 'https://shop.example', TRUST_PROXY: 'true', MAX_STREAMS_PER_IP: '1' } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dataDir)
  })

  async function demoOrder(): Promise<string> {
    const res = await server.call('POST', '/api/demo/orders', { body: {} })
    expect(res.status).toBe(201)
    return res.json.orderNo as string
  }

  /** Opens a stream and resolves with its head and first event; `close()` drops the connection. */
  function open(orderNo: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, first: string, close: () => void }> {
    const url = new URL(`${server.listenUrl}/api/orders/${orderNo}/events`)
    return new Promise((resolve, reject) => {
      const req = request({ method, host: url.hostname, port: url.port, path: url.pathname, agent: false, headers }, (res) => {
        res.setEncoding('utf8')
        const done = (first: string) => resolve({ status: res.statusCode ?? 0, headers: res.headers, first, close: () => req.destroy() })
        if (res.statusCode !== 200 || method === 'HEAD') {
          let body = ''
          res.on('data', (c: string) => body += c)
          res.on('end', () => done(body))
          return
        }
        res.once('data', (c: string) => done(c))
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('carries the head the middlewares made, then the events', async () => {
    const orderNo = await demoOrder()
    const s = await open(orderNo, { 'Origin': 'https://shop.example', 'X-Request-Id': 'events-head-1', 'X-Forwarded-For': '10.9.0.1' })
    s.close()
    expect(s.status).toBe(200)
    expect(s.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'transfer-encoding': 'chunked',
      'x-request-id': 'events-head-1',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-credentials': 'true',
      // Set by CORS after the handler: the head is written once the middlewares are done.
      'vary': 'Origin',
    })
    expect(s.headers['x-hono-already-sent']).toBeUndefined()
    expect(s.headers['content-length']).toBeUndefined()
    expect(s.first).toContain('event: status\ndata: ')
    expect(s.first).toContain('"status":"pending"')
  })

  it('releases the per-client stream limit when the client goes', async () => {
    const orderNo = await demoOrder()
    const first = await open(orderNo, { 'X-Forwarded-For': '10.9.0.2' })
    expect(first.status).toBe(200)
    const over = await open(orderNo, { 'X-Forwarded-For': '10.9.0.2' })
    expect(over.status).toBe(429)
    first.close()
    let status = 0
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise(r => setTimeout(r, 25))
      const again = await open(orderNo, { 'X-Forwarded-For': '10.9.0.2' })
      status = again.status
      again.close()
    }
    expect(status).toBe(200)
  })

  it('answers HEAD with the head and holds no stream for it', async () => {
    const orderNo = await demoOrder()
    for (let i = 0; i < 3; i++) {
      const h = await open(orderNo, { 'X-Forwarded-For': '10.9.0.3' }, 'HEAD')
      expect(h.status).toBe(200)
      expect(h.headers['content-type']).toBe('text/event-stream')
      expect(h.first).toBe('')
    }
    // HEAD took no place in the per-client limit of 1.
    const s = await open(orderNo, { 'X-Forwarded-For': '10.9.0.3' })
    s.close()
    expect(s.status).toBe(200)
  })

  it('falls back to a WHATWG stream where there is no Node response (app.request)', async () => {
    const orderNo = await demoOrder()
    const app = orderEventRoutes(server.services)
    const res = await app.request(`/api/orders/${orderNo}/events`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const { value } = await reader.read()
    expect(new TextDecoder().decode(value)).toContain('"status":"pending"')
    await reader.cancel()
  })
})
