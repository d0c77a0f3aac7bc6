import type { Services } from '../services'
import { Hono } from 'hono'
import { HttpError } from '../http/errors'
import { closeAbandonedAttempts } from '../orders/reconcile'
import { applyWechatTransaction } from '../orders/wechat-apply'
import { verifyWechatNotification } from '../providers/wechat/notify'
import { wechatPayVerifierKeys } from '../providers/wechat/verification'

/**
 * POST /api/notify/wechatpay — WeChat Pay v3 notifications.
 * Signature first (SIGNTEST probes, stale or replayed signatures: 401, nothing parsed), then decrypt,
 * then check the transaction against our attempt and order (400 on any mismatch, nothing changed),
 * then apply once. Success is HTTP 200 with `{"code":"SUCCESS","message":"成功"}`.
 */
export function wechatNotifyRoutes(s: Services) {
  const app = new Hono()
  app.post('/api/notify/wechatpay', async (c) => {
    const creds = s.config.wechat
    if (!creds || !s.wechat)
      throw new HttpError(404, 'not_found', 'WeChat Pay is not configured on this server')
    const rawBody = await c.req.text()
    const verdict = verifyWechatNotification({
      headers: name => c.req.header(name),
      rawBody,
      keys: wechatPayVerifierKeys(creds),
      apiV3Key: creds.apiV3Key,
    })
    if (!verdict.ok) {
      s.log.warn({ reason: verdict.reason }, 'WeChat notification refused')
      throw new HttpError(verdict.status, verdict.status === 401 ? 'invalid_signature' : 'bad_request', verdict.reason)
    }
    const nonceId = `wechat:${verdict.nonce}`
    const seen = await s.db.selectFrom('notify_nonces').select('id').where('id', '=', nonceId).executeTakeFirst()
    if (seen)
      throw new HttpError(401, 'invalid_signature', 'this signed notification was already received (replay)')

    const { notification, transaction } = verdict
    const deps = { db: s.db, config: s.config, transitions: s.transitions, appIds: s.wechat.appIds }
    const check = await applyWechatTransaction(deps, transaction, true)
    if (!check.ok) {
      s.log.error({ outTradeNo: transaction.out_trade_no, reason: check.reason }, 'WeChat notification does not match our records')
      throw new HttpError(400, 'notification_mismatch', check.reason)
    }

    await s.db.insertInto('notify_nonces').values({ id: nonceId }).onConflict(oc => oc.column('id').doNothing()).execute()
    const fresh = await s.db.insertInto('provider_events')
      .values({ id: `wechat:${notification.id}`, provider: 'wechat', event_type: notification.event_type, out_trade_no: transaction.out_trade_no, payload: JSON.stringify({ event_type: notification.event_type, trade_state: transaction.trade_state, transaction_id: transaction.transaction_id ?? null }) })
      .onConflict(oc => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst()
    if (notification.event_type === 'TRANSACTION.SUCCESS' || transaction.trade_state === 'SUCCESS') {
      // Applied even when the event id was seen: markPaid is idempotent, and a crash between the two writes must heal.
      const applied = await applyWechatTransaction(deps, transaction)
      if (applied.ok && applied.outcome === 'applied') {
        const order = await s.db.selectFrom('payment_attempts').select('order_no').where('out_trade_no', '=', transaction.out_trade_no).executeTakeFirstOrThrow()
        void closeAbandonedAttempts({ ...s, wechat: { pay: s.wechat.pay, appIds: s.wechat.appIds } }, order.order_no)
      }
    }
    else if (notification.event_type === 'REFUND.SUCCESS') {
      await s.transitions.markRefunded(transaction.out_trade_no)
    }
    s.log.info({ outTradeNo: transaction.out_trade_no, event: notification.event_type, duplicate: !fresh }, 'WeChat notification accepted')
    return c.json({ code: 'SUCCESS', message: '成功' }, 200)
  })
  return app
}
