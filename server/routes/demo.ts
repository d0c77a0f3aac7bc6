import type { Services } from '../services'
import { randomBytes } from 'node:crypto'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { HttpError } from '../http/errors'
import { DemoOrder, DemoOrderCreated, errorResponses } from '../http/schemas'
import { createMerchantOrder } from '../merchant/orders'
import { checkoutUrl, isAllowedReturnUrl } from '../payments/urls'

const DEMO_SUBJECTS = ['拿铁咖啡 · 大杯', '牛角面包 ×2', '会员月卡']

const demoOrderRoute = createRoute({
  method: 'post',
  path: '/api/demo/orders',
  tags: ['demo'],
  summary: 'Create a demo order (demo mode only)',
  request: { body: { required: true, content: { 'application/json': { schema: DemoOrder } } } },
  responses: {
    201: { description: 'The order and the absolute URL of its checkout page', content: { 'application/json': { schema: DemoOrderCreated } } },
    ...errorResponses(400, 404, 413),
  },
})

export function demoRoutes(s: Services) {
  const app = new OpenAPIHono()
  app.openapi(demoOrderRoute, async (c) => {
    if (!s.config.demo)
      throw new HttpError(404, 'demo_disabled', 'demo orders are disabled on this server (DEMO=false)')
    const body = c.req.valid('json')
    if (body.returnUrl !== undefined && !isAllowedReturnUrl(body.returnUrl, s.config.publicUrl, s.config.returnUrlHosts))
      throw new HttpError(400, 'validation_failed', 'returnUrl: must be an absolute http(s) URL on this server\'s host or one of RETURN_URL_HOSTS')
    // The same path as a shop's POST /api/merchant/v1/orders, with a demo order id of its own.
    const { order } = await createMerchantOrder({ db: s.db, config: s.config, providers: s.providers }, {
      amountFen: body.amountFen ?? 1,
      subject: body.subject ?? DEMO_SUBJECTS[Math.floor(Math.random() * DEMO_SUBJECTS.length)]!,
      merchantOrderId: `demo-${randomBytes(9).toString('base64url')}`,
      methods: body.methods,
      returnUrl: body.returnUrl ?? `${s.config.publicUrl}/#/pages/index/index`,
      expiresInSeconds: body.expiresInSeconds ?? 30 * 60,
    })
    const orderNo = order.orderNo
    return c.json({ orderNo, checkoutUrl: checkoutUrl(s.config.publicUrl, orderNo) }, 201)
  })
  return app
}
