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
    const bump = (m: Map<string, number>, k: string, by: number) => {
      const n = (m.get(k) ?? 0) + by
      if (n > 0)
        m.set(k, n)
      else
        m.delete(k)
    }
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
    const releaseStream = holdStream(clientIp(c, s.config), orderNo)
    c.header('Content-Type', 'text/event-stream')
    c.header('Cache-Control', 'no-store')
    c.header('X-Accel-Buffering', 'no')
    // Written as the events come (no length to wait for).
    c.header('Transfer-Encoding', 'chunked')
    // Read again once subscribed, so a change between the first read and the subscription is not missed.
    return c.body(streams.stream(orderNo, async () => toStatusView(await current(orderNo)), releaseStream), 200)
  })

  return app
}
