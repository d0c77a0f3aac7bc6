import type { HttpBindings } from '@hono/node-server'
import type { OrderStatusView } from '../../contract/api'
import type { OrderRow } from '../orders/views'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { HttpError } from '../http/errors'
import { clientIp } from '../http/request'
import { errorResponses, OrderNoParam } from '../http/schemas'
import { EventStreams } from '../orders/event-streams'
import { PendingOrderWatch } from '../orders/pending-watch'
import { toStatusView } from '../orders/views'
import { loadOrder } from './order-load'

const HEARTBEAT_MS = 15_000
/** The header by which a handler tells @hono/node-server that it wrote the response itself (its X_ALREADY_SENT). */
const ALREADY_SENT = 'x-hono-already-sent'

const eventsRoute = createRoute({
  method: 'get',
  path: '/api/orders/{orderNo}/events',
  tags: ['orders'],
  summary: 'Server-sent events: one `status` event per change; closes on a final state',
  request: { params: z.object({ orderNo: OrderNoParam }) },
  responses: {
    200: { description: '`text/event-stream` of `status` events (data: OrderStatusView) and heartbeat comments', content: { 'text/event-stream': { schema: z.string() } } },
    ...errorResponses(400, 404, 429),
  },
})

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by
  if (n > 0)
    m.set(k, n)
  else
    m.delete(k)
}

/** `GET /api/orders/{no}/events`: the order's status as server-sent events, held open until a final status. */
export function orderEventRoutes(s: Services) {
  const app = new OpenAPIHono()
  const watch = new PendingOrderWatch(orderNo => s.providerQueries.request(orderNo), s.config.reconcileAfterSeconds * 1000)
  const streams = new EventStreams(s.bus, watch, {
    heartbeatMs: HEARTBEAT_MS,
    onError: (e, orderNo) => s.log.warn({ orderNo, err: (e as Error).message }, 'status stream failed'),
  })
  const cache = s.bus.cache

  /** The order as this process knows it: kept (pending, see status-cache.ts) or read, and then kept if pending. */
  async function current(orderNo: string): Promise<OrderRow> {
    const kept = cache.get(orderNo)
    if (kept)
      return kept.row
    const token = cache.begin()
    const row = await loadOrder(s, orderNo)
    cache.put(row, token)
    return row
  }

  // Event streams open at once, per client IP and per order, in this process (nginx's limit_conn counts across
  // processes): each holds a connection and a subscription, so one client cannot hold thousands.
  const streamsPerIp = new Map<string, number>()
  const streamsPerOrder = new Map<string, number>()
  function holdStream(ip: string, orderNo: string): () => void {
    const { maxStreamsPerIp, maxStreamsPerOrder } = s.config
    if (maxStreamsPerIp > 0 && (streamsPerIp.get(ip) ?? 0) >= maxStreamsPerIp)
      throw new HttpError(429, 'rate_limited', `at most ${maxStreamsPerIp} event streams per client at once; close one or poll /status`, { retryable: true })
    if (maxStreamsPerOrder > 0 && (streamsPerOrder.get(orderNo) ?? 0) >= maxStreamsPerOrder)
      throw new HttpError(429, 'rate_limited', `at most ${maxStreamsPerOrder} event streams per order at once; poll /status instead`, { retryable: true })
    bump(streamsPerIp, ip, 1)
    bump(streamsPerOrder, orderNo, 1)
    let released = false
    return () => {
      if (released)
        return
      released = true
      bump(streamsPerIp, ip, -1)
      bump(streamsPerOrder, orderNo, -1)
    }
  }

  app.openapi(eventsRoute, async (c) => {
    const { orderNo } = c.req.valid('param')
    await current(orderNo)
    // HEAD: the same head and no stream. Hono drops the body of a HEAD response, so a stream opened for one would
    // never be read nor cancelled, and would hold its place in the stream limits until the order ended.
    const releaseStream = c.req.method === 'HEAD' ? undefined : holdStream(clientIp(c, s.config), orderNo)
    c.header('Content-Type', 'text/event-stream')
    c.header('Cache-Control', 'no-store')
    c.header('X-Accel-Buffering', 'no')
    // Written as the events come (no length to wait for).
    c.header('Transfer-Encoding', 'chunked')
    if (!releaseStream)
      return c.body(null, 200)
    // Read again once subscribed, so a change between the first read and the subscription is not missed.
    const read = async () => toStatusView(await current(orderNo))
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing
    if (!outgoing)
      return c.body(streams.stream(orderNo, read, releaseStream), 200)
    // Under @hono/node-server the events are written to Node's response itself: a held stream then keeps the
    // response and a few flags, not a WHATWG stream, its reader loop and the request's context. The response returned
    // here tells node-server it is already sent (a body-less, materialised Response with x-hono-already-sent: a
    // lightweight one would be written and ended); the middlewares still see it, and the headers they set after the
    // handler (CORS's Vary) are on c.res once the chain has run, so the head is written from c.res a turn later.
    const res = c.body(null, 200, { [ALREADY_SENT]: 'true' })
    void res.body // materialises node-server's lightweight Response, and every copy a middleware makes of it
    setImmediate(() => writeStream(c.res, outgoing, orderNo, read, releaseStream))
    return res
  })

  /** Writes the head `sent` carries, then the events, to `outgoing`; or lets go of the stream if something else was sent. */
  function writeStream(sent: Response, outgoing: HttpBindings['outgoing'], orderNo: string, read: () => Promise<OrderStatusView>, release: () => void): void {
    if (outgoing.headersSent || outgoing.destroyed || !sent.headers.has(ALREADY_SENT)) {
      release()
      return
    }
    // The head node-server would have written: the same names, in the same order, cookies last.
    const head: Record<string, string | string[]> = {}
    for (const [name, value] of sent.headers) {
      if (name !== ALREADY_SENT && name !== 'set-cookie')
        head[name] = value
    }
    const cookies = sent.headers.getSetCookie()
    if (cookies.length > 0)
      head['set-cookie'] = cookies
    try {
      outgoing.writeHead(sent.status, head)
      outgoing.flushHeaders()
    }
    catch (e) {
      s.log.warn({ orderNo, err: (e as Error).message }, 'status stream failed')
      release()
      outgoing.destroy()
      return
    }
    streams.respond(outgoing, orderNo, read, release)
  }

  return app
}
