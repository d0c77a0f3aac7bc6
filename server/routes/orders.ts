import type { OrderRow } from '../orders/views'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { errorResponses, Order, OrderNoParam, StatusView } from '../http/schemas'
import { isReconcileDue } from '../orders/reconcile'
import { toOrderView, toStatusView } from '../orders/views'
import { loadOrder } from './order-load'

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
  summary: 'Whether the order is paid — and, when the answer may be stale, has the provider asked',
  description: 'When the order is pending and the provider was last asked more than a few seconds ago (RECONCILE_AFTER_SECONDS), the read answers at once and the server queries the provider in the background (at most PROVIDER_QUERIES_PER_SECOND per process), so a lost notification heals: a later read, or the event stream, carries the answer.',
  request: { params: z.object({ orderNo: OrderNoParam }) },
  responses: {
    200: { description: 'Current status', content: { 'application/json': { schema: StatusView } } },
    ...errorResponses(400, 404, 429),
  },
})

/**
 * A status read answered from memory: the pending order as this process keeps it (status-cache.ts), with a background
 * provider query asked for when it is due. Undefined when the order is not kept (the read must go to the database).
 */
export function keptStatusRow(s: Pick<Services, 'bus' | 'providerQueries'>, orderNo: string, now = Date.now()): OrderRow | undefined {
  const kept = s.bus.cache.get(orderNo, now)
  if (!kept)
    return undefined
  if (now >= kept.dueAt)
    s.providerQueries.request(orderNo)
  return kept.row
}

export function orderRoutes(s: Services) {
  const app = new OpenAPIHono()
  const cache = s.bus.cache

  // A read of an order that is not kept goes to the database; the reads of that order arriving meanwhile share it,
  // unless a notification came in between (they then read afresh).
  const reading = new Map<string, { token: number, row: Promise<OrderRow> }>()
  async function read(orderNo: string): Promise<OrderRow> {
    const token = cache.begin()
    const shared = reading.get(orderNo)
    if (shared && token >= 0 && shared.token === token)
      return shared.row
    const entry = {
      token,
      row: loadOrder(s, orderNo).then((row) => {
        cache.put(row, token)
        return row
      }),
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

  /**
   * The order for a status read: kept in this process or read. When nobody (in any process) asked the provider for a
   * while, a background query is asked for, so a lost notification heals: this read answers with what we know now,
   * and the provider's answer reaches the next read (or the event stream) through the status bus.
   */
  async function statusRow(orderNo: string): Promise<OrderRow> {
    const now = Date.now()
    const kept = keptStatusRow(s, orderNo, now)
    if (kept)
      return kept
    const row = await read(orderNo)
    if (isReconcileDue(row, s.config.reconcileAfterSeconds, now))
      s.providerQueries.request(orderNo)
    return row
  }

  app.openapi(getOrderRoute, async (c) => {
    const row = await loadOrder(s, c.req.valid('param').orderNo)
    // The order as it is now (it changes when paid): never from a cache between us and the cashier.
    c.header('Cache-Control', 'no-store')
    return c.json(toOrderView(row, s.config.merchantLogoUrl), 200)
  })

  app.openapi(statusRoute, async (c) => {
    const row = await statusRow(c.req.valid('param').orderNo)
    c.header('Cache-Control', 'no-store')
    return c.json(toStatusView(row), 200)
  })

  return app
}
