import type { Services } from '../services'
import { Hono } from 'hono'
import { HttpError } from '../http/errors'
import { applyAlipayTrade, fromAlipayTime } from '../orders/alipay-apply'
import { closeAbandonedAttempts } from '../orders/reconcile'
import { checkAlipayNotification } from '../providers/alipay/notify'

/**
 * POST /api/notify/alipay — Alipay's form-posted notifications. RSA2 over the sorted parameters
 * without sign and sign_type first (401), then app_id / seller_id (400), then out_trade_no and
 * total_amount against our attempt and order (400, nothing changed), then apply once and reply
 * with the literal `success`.
 */
export function alipayNotifyRoutes(s: Services) {
  const app = new Hono()
  app.post('/api/notify/alipay', async (c) => {
    const alipay = s.alipay
    if (!alipay)
      throw new HttpError(404, 'not_found', 'Alipay is not configured on this server')
    const type = c.req.header('content-type') ?? ''
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
      throw new HttpError(415, 'unsupported_media_type', 'Alipay notifications are application/x-www-form-urlencoded')
    const params = Object.fromEntries(new URLSearchParams(await c.req.text()))
    const verdict = checkAlipayNotification(params, { appId: alipay.appId, sellerId: alipay.sellerId, verify: p => alipay.client.verifyNotify(p) })
    if (!verdict.ok) {
      s.log.warn({ reason: verdict.reason }, 'Alipay notification refused')
      throw new HttpError(verdict.status, verdict.status === 401 ? 'invalid_signature' : 'notification_mismatch', verdict.reason)
    }
    const facts = { outTradeNo: verdict.outTradeNo, tradeNo: verdict.tradeNo, tradeStatus: verdict.tradeStatus, totalAmount: verdict.totalAmount, paidAt: fromAlipayTime(params.gmt_payment) }
    const check = await applyAlipayTrade(s, facts, true)
    if (!check.ok) {
      s.log.error({ outTradeNo: verdict.outTradeNo, reason: check.reason }, 'Alipay notification does not match our records')
      throw new HttpError(400, 'notification_mismatch', check.reason)
    }
    const fresh = await s.db.insertInto('provider_events')
      .values({ id: `alipay:${verdict.notifyId}:${verdict.tradeStatus}`, provider: 'alipay', event_type: verdict.tradeStatus, out_trade_no: verdict.outTradeNo, payload: JSON.stringify({ trade_no: verdict.tradeNo, trade_status: verdict.tradeStatus }) })
      .onConflict(oc => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst()
    const applied = await applyAlipayTrade(s, facts)
    if (applied.ok && applied.outcome === 'applied') {
      const attempt = await s.db.selectFrom('payment_attempts').select('order_no').where('out_trade_no', '=', verdict.outTradeNo).executeTakeFirstOrThrow()
      void closeAbandonedAttempts({ ...s, wechat: s.wechat && { pay: s.wechat.pay, appIds: s.wechat.appIds } }, attempt.order_no)
    }
    s.log.info({ outTradeNo: verdict.outTradeNo, status: verdict.tradeStatus, duplicate: !fresh }, 'Alipay notification accepted')
    return c.text('success', 200)
  })
  return app
}
