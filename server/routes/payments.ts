import type { CreatePaymentResponse } from '../../contract/api'
import type { Services } from '../services'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { HttpError } from '../http/errors'
import { clientIp } from '../http/request'
import { CreatePayment, errorResponses, PaymentResponse } from '../http/schemas'
import { readPendingOAuthState, readSessionId, writePendingOAuthCookie, writeSessionCookie } from '../http/session-cookie'
import { closeAttempt, expireOrder } from '../orders/reconcile'
import { toOrderView } from '../orders/views'
import { createPayment } from '../payments/create-payment'
import { IDEMPOTENCY_KEY_PATTERN, requestHash, withIdempotency } from '../payments/idempotency'
import { readPayable } from '../payments/payable'

const createPaymentRoute = createRoute({
  method: 'post',
  path: '/api/payments',
  tags: ['payments'],
  summary: 'Start paying an order with one method',
  description: 'Returns what the cashier must do next. The amount always comes from the server\'s order. An `Idempotency-Key` makes a retried or double-tapped request create one attempt; the same key with another body is a 409.',
  request: {
    headers: z.object({ 'idempotency-key': z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'Idempotency-Key is 8–128 letters, digits, _ or -') }),
    body: { required: true, content: { 'application/json': { schema: CreatePayment } } },
  },
  responses: {
    200: { description: 'The next step: jsapi | mp | redirect | qrcode | alipay_trade | oauth_required, with the order it pays (`order`), so a checkout can start from this answer alone', content: { 'application/json': { schema: PaymentResponse } } },
    ...errorResponses(400, 404, 409, 410, 413, 422, 429, 502),
  },
})

export function paymentRoutes(s: Services) {
  const app = new OpenAPIHono()
  const deps = { ...s, expire: (orderNo: string) => expireOrder(s, orderNo), closeAttempt: (a: { out_trade_no: string, provider: string }) => closeAttempt(s, a) }
  app.openapi(createPaymentRoute, async (c) => {
    const body = c.req.valid('json')
    const key = c.req.valid('header')['idempotency-key']
    const session = await s.sessions.get(readSessionId(c))
    const pendingState = session ? undefined : readPendingOAuthState(c)
    const ip = clientIp(c, s.config)
    const secure = s.config.publicUrl.startsWith('https:')
    // The session (or the authorisation this browser waits for) is part of the request's identity: a replay from
    // another browser is another request.
    const hash = requestHash([body, session?.id ?? (pendingState ? `oauth:${pendingState}` : null)])
    let pending: string | undefined
    const stored = await withIdempotency(s.db, key, hash, async (read) => {
      try {
        const result = await createPayment(deps, body, {
          session,
          pendingState,
          clientIp: ip,
          idempotencyKey: key,
          read,
          onNewSession: bound => writeSessionCookie(c, bound, secure),
        })
        pending = result.pendingState
        // The order comes with the action, so a checkout can start from this answer alone; a replay answers the
        // same (the order as it was when the payment started: the status stream says what happened since).
        const answer: CreatePaymentResponse = { ...result.action, order: toOrderView(result.order, s.config.merchantLogoUrl) }
        return { status: 200, body: answer, alongside: result.storeAction }
      }
      catch (e) {
        if (e instanceof HttpError && !e.extra.retryable && e.status < 500 && e.code !== 'oauth_code_invalid')
          return { status: e.status, body: e.toBody() }
        throw e
      }
    // Only a started payment is kept for replay; a refusal leaves no trace (and the same request
    // is refused again the same way), so bad input never changes the database.
    }, r => r.status === 200 && (r.body as { kind?: string }).kind !== 'oauth_required', readPayable(s.db, body.orderNo, key))
    if (pending)
      writePendingOAuthCookie(c, pending, secure)

    return c.json(stored.body as any, stored.status as 200)
  })
  return app
}
