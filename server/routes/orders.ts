import type { OrderStatusView } from '../../contract/api'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import { isFinalStatus } from '../../contract/api'
import { HttpError } from '../http/errors'
import { clientIp } from '../http/request'
import { errorResponses, Order, OrderNoParam, StatusView } from '../http/schemas'
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

  async function load(orderNo: string) {
    const row = await s.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
    if (!row)
      throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
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

  app.openapi(getOrderRoute, async (c) => {
    const row = await load(c.req.valid('param').orderNo)
    // The order as it is now (it changes when paid): never from a cache between us and the cashier.
    c.header('Cache-Control', 'no-store')
    return c.json(toOrderView(row, s.config.merchantLogoUrl), 200)
  })

  app.openapi(statusRoute, async (c) => {
    const { orderNo } = c.req.valid('param')
    let row = await load(orderNo)
    // Asked recently (by anyone, in any process): answer from the database alone.
    if (isReconcileDue(row, s.config.reconcileAfterSeconds))
      row = (await reconcileOrder(s, orderNo)) ?? row
    c.header('Cache-Control', 'no-store')
    return c.json(toStatusView(row), 200)
  })

  app.openapi(eventsRoute, async (c) => {
    const { orderNo } = c.req.valid('param')
    const first = await load(orderNo)
    const releaseStream = holdStream(clientIp(c, s.config), orderNo)
    c.header('Cache-Control', 'no-store')
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      let last: string | undefined
      let done = false
      let wake: (() => void) | undefined
      const send = async (view: OrderStatusView) => {
        if (done || view.status === last)
          return
        last = view.status
        await stream.writeSSE({ event: 'status', data: JSON.stringify(view) })
        if (isFinalStatus(view.status)) {
          done = true
          wake?.()
        }
      }
      const unsubscribe = s.bus.subscribe(orderNo, (view) => {
        void send(view)
      })
      // One provider-query timer per order in this process, however many streams watch it.
      const release = watch.add(orderNo)
      stream.onAbort(() => {
        done = true
        wake?.()
      })
      try {
        // Read again now that the subscription is in place, so a change between the first read and
        // the subscription is not missed.
        const current = await s.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
        await send(toStatusView(current ?? first))
        // The status bus delivers every change; the loop only keeps the connection alive.
        // eslint-disable-next-line no-unmodified-loop-condition -- set by the bus listener and onAbort callbacks
        while (!done) {
          await new Promise<void>((resolve) => {
            wake = resolve
            setTimeout(resolve, HEARTBEAT_MS)
          })
          if (!done)
            await stream.write(': keep-alive\n\n')
        }
      }
      finally {
        release()
        unsubscribe()
        releaseStream()
      }
    }, async (err, stream) => {
      s.log.warn({ orderNo, err: err.message }, 'status stream failed')
      await stream.close()
    })
  })

  return app
}
