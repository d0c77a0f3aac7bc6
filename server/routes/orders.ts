import type { OrderRow } from '../orders/views'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { errorResponses, Order, OrderNoParam, StatusView } from '../http/schemas'
import { isReconcileDue, reconcileOrder } from '../orders/reconcile'
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
  summary: 'Whether the order is paid — asks the provider when the answer may be stale',
  description: 'When the order is pending and the provider was last asked more than a few seconds ago, the server queries the provider before answering, so a lost notification heals on read.',
  request: { params: z.object({ orderNo: OrderNoParam }) },
  responses: {
    200: { description: 'Current status', content: { 'application/json': { schema: StatusView } } },
    ...errorResponses(400, 404, 429),
  },
})

export function orderRoutes(s: Services) {
  const app = new OpenAPIHono()
  const cache = s.bus.cache

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
        let row = kept?.row ?? await loadOrder(s, orderNo)
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
