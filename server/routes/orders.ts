import type { OrderRow } from '../orders/views'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { HttpError } from '../http/errors'
import { clientIp } from '../http/request'
import { errorResponses, Order, OrderNoParam, StatusView } from '../http/schemas'
import { EventStreams } from '../orders/event-streams'
import { PendingOrderWatch } from '../orders/pending-watch'
import { isReconcileDue, reconcileOrder } from '../orders/reconcile'
import { toOrderView, toStatusView } from '../orders/views'

const HEARTBEAT_MS = 15_000

const getOrderRoute = createRoute({
  method: 'get',
  path: '/api/orders/{orderNo}',
  tags: ['orders'],
  summary: 'An order as the cashier shows it',
  request: { params: z.object({ orderNo: OrderNoParam }) },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: Order } } },
    ...errorResponses(400, 404),
  },
})

const statusRoute = createRoute({
  method: 'get',
  path: '/api/orders/{orderNo}/status',
  tags: ['orders'],
  summary: 'Whether the order is paid — asks the provider when the answer may be stale',
  description: 'When the order is pending and the provider was last asked more than a few seconds ago, the server queries the provider before answering, so a lost notification heals on read.',
  request: { params: z.object({ orderNo: OrderNoParam }) },
  responses: {
    200: { description: 'Current status', content: { 'application/json': { schema: StatusView } } },
    ...errorResponses(400, 404, 429),
  },
})

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

export function orderRoutes(s: Services) {
  const app = new OpenAPIHono()
  const watch = new PendingOrderWatch(
    orderNo => reconcileOrder(s, orderNo),
    s.config.reconcileAfterSeconds * 1000,
    e => s.log.warn({ err: (e as Error).message }, 'reconciling a watched order failed'),
  )
  const streams = new EventStreams(s.bus, watch, {
    heartbeatMs: HEARTBEAT_MS,
    onError: (e, orderNo) => s.log.warn({ orderNo, err: (e as Error).message }, 'status stream failed'),
  })
  const cache = s.bus.cache

  async function load(orderNo: string): Promise<OrderRow> {
    const row = await s.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
    if (!row)
      throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
    return row
  }

  /** The order as this process knows it: kept (pending, see status-cache.ts) or read, and then kept if pending. */
  async function current(orderNo: string): Promise<OrderRow> {
    const kept = cache.get(orderNo)
    if (kept)
      return kept.row
    const token = cache.begin()
    const row = await load(orderNo)
    cache.put(row, token)
    return row
  }

  // A status read that must go to the database (the order is not kept, or is due for a provider query) is shared by
  // the reads of that order arriving meanwhile, unless a notification came in between (they then read afresh).
  const reading = new Map<string, { token: number, row: Promise<OrderRow> }>()
  async function statusRow(orderNo: string): Promise<OrderRow> {
    const now = Date.now()
    const kept = cache.get(orderNo, now)
    if (kept && now < kept.dueAt)
      return kept.row
    const token = cache.begin()
    const shared = reading.get(orderNo)
    if (shared && token >= 0 && shared.token === token)
      return shared.row
    const entry = {
      token,
      row: (async () => {
        let row = kept?.row ?? await load(orderNo)
        // Nobody (in any process) asked the provider for a while: ask now, so a lost notification heals on read.
        if (isReconcileDue(row, s.config.reconcileAfterSeconds))
          row = (await reconcileOrder(s, orderNo)) ?? row
        cache.put(row, token)
        return row
      })(),
    }
    reading.set(orderNo, entry)
    try {
      return await entry.row
    }
    finally {
      if (reading.get(orderNo) === entry)
        reading.delete(orderNo)
    }
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

  app.openapi(getOrderRoute, async (c) => {
    const row = await load(c.req.valid('param').orderNo)
    // The order as it is now (it changes when paid): never from a cache between us and the cashier.
    c.header('Cache-Control', 'no-store')
    return c.json(toOrderView(row, s.config.merchantLogoUrl), 200)
  })

  app.openapi(statusRoute, async (c) => {
    const row = await statusRow(c.req.valid('param').orderNo)
    c.header('Cache-Control', 'no-store')
    return c.json(toStatusView(row), 200)
  })

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
