/**
 * What the console's forms change, through the same services as the merchant API: a refund is recorded by
 * createRefund and sent by the refund worker; a close asks the providers first (closeOrder). Failures are HttpErrors
 * with the merchant API's codes, which the pages turn into messages.
 */
import type { Services } from '../services'
import { HttpError } from '../http/errors'
import { getMerchantOrder } from '../merchant/orders'
import { closeOrder } from '../orders/reconcile'
import { requestHash, withIdempotency } from '../payments/idempotency'
import { createRefund } from '../refunds/refunds'

/**
 * Refunds `orderNo` (in full when `amountFen` is absent). `formKey` is the confirmation form's own random key: the
 * same form sent twice (a double click, a reload) refunds once.
 */
export async function refundFromConsole(s: Services, orderNo: string, input: { amountFen?: number, reason?: string, formKey: string }): Promise<void> {
  const stored = await withIdempotency(s.db, `console:refunds:${input.formKey}`, requestHash([orderNo, input.amountFen ?? null, input.reason ?? null]), async () => {
    try {
      // The refund carries the form's key, so a resend after a failure past the record (the provider call threw)
      // finds it instead of recording a second one; the refund worker sends a recorded refund that was not sent.
      const key = `console-${input.formKey}`
      const earlier = await s.db.selectFrom('refunds').select('id').where('order_no', '=', orderNo).where('kind', '=', 'merchant').where('idempotency_key', '=', key).executeTakeFirst()
      if (earlier)
        return { status: 201, body: { refundId: earlier.id } }
      const refund = await createRefund(s.db, orderNo, { amountFen: input.amountFen, reason: input.reason, idempotencyKey: key })
      await s.refunds.submit(refund)
      return { status: 201, body: { refundId: refund.id } }
    }
    catch (e) {
      if (e instanceof HttpError && e.status < 500)
        return { status: e.status, body: e.toBody() }
      throw e
    }
  }, r => r.status < 300)
  if (stored.status >= 300) {
    const body = stored.body as { code: HttpError['code'], message: string, remainingFen?: number }
    throw new HttpError(stored.status as 409, body.code, body.message, body.remainingFen !== undefined ? { remainingFen: body.remainingFen } : {})
  }
}

/** The merchant API's close: only an unpaid order; a payment that races the close wins. */
export async function closeFromConsole(s: Services, orderNo: string): Promise<void> {
  const order = await getMerchantOrder({ db: s.db, config: s.config, providers: s.providers }, orderNo)
  if (order.status === 'paid' || order.status === 'refunded')
    throw new HttpError(409, 'order_not_closable', `this order is ${order.status}; refund it instead`)
  if (order.status !== 'pending')
    return
  const outcome = await closeOrder(s, orderNo, 'merchant')
  if (outcome === 'paid')
    throw new HttpError(409, 'order_not_closable', 'the order was paid while it was being closed; it is paid now')
  if (outcome === 'unconfirmed')
    throw new HttpError(502, 'provider_unavailable', 'a provider could not confirm that a payment of this order is closed; try again', { retryable: true })
}
