import type { Context } from 'hono'
import type { NotificationReply, ProviderAdapter } from '../providers/types'
import type { Services } from '../services'
import { Hono } from 'hono'
import { applyTradeFacts, checkTradeFacts } from '../orders/apply'
import { closeAbandonedAttempts } from '../orders/reconcile'

function send(c: Context, reply: NotificationReply): Response {
  return c.body(reply.body, reply.status, { 'Content-Type': reply.contentType === 'text/plain' ? 'text/plain; charset=UTF-8' : 'application/json' })
}

/**
 * POST /api/notify/{wechatpay|alipay} — provider notifications, one route for every provider.
 * The adapter checks the signature first (401, nothing parsed), then decrypts and checks the app and merchant (400);
 * then the facts are checked against our attempt and order (400 on any mismatch, nothing changed) and applied once.
 * The answer is whatever the provider expects (WeChat: 200 + JSON, Alipay: the text `success`).
 */
export function notifyRoutes(s: Services) {
  const app = new Hono()
  for (const adapter of s.providers.all)
    app.post(`/api/notify/${adapter.notifyPath}`, c => handle(s, adapter, c))
  return app
}

async function handle(s: Services, adapter: ProviderAdapter, c: Context): Promise<Response> {
  const refuse = (status: 400 | 401 | 415, code: string, message: string) => send(c, adapter.reply({ ok: false, status, code, message }))
  const verdict = adapter.verifyNotification({ header: name => c.req.header(name), rawBody: await c.req.text() })
  if (!verdict.ok) {
    s.log.warn({ provider: adapter.name, reason: verdict.reason }, 'notification refused')
    return refuse(verdict.status, verdict.status === 401 ? 'invalid_signature' : verdict.status === 415 ? 'unsupported_media_type' : 'notification_mismatch', verdict.reason)
  }
  if (verdict.replayKey) {
    const seen = await s.db.selectFrom('notify_nonces').select('id').where('id', '=', verdict.replayKey).executeTakeFirst()
    if (seen)
      return refuse(401, 'invalid_signature', 'this signed notification was already received (replay)')
  }
  const { facts } = verdict
  const outTradeNo = facts.kind === 'trade' ? facts.trade.outTradeNo : facts.refund.outTradeNo
  if (facts.kind === 'trade') {
    const check = await checkTradeFacts(s, adapter.name, facts.trade)
    if (!check.ok) {
      s.log.error({ provider: adapter.name, outTradeNo, reason: check.reason }, 'notification does not match our records')
      return refuse(400, 'notification_mismatch', check.reason)
    }
  }
  if (verdict.replayKey)
    await s.db.insertInto('notify_nonces').values({ id: verdict.replayKey }).onConflict(oc => oc.column('id').doNothing()).execute()
  const fresh = await s.db.insertInto('provider_events')
    .values({ id: verdict.eventId, provider: adapter.name, event_type: verdict.eventType, out_trade_no: outTradeNo, payload: JSON.stringify(facts) })
    .onConflict(oc => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (facts.kind === 'trade') {
    // Applied even when the event id was seen: markPaid is idempotent, and a crash between the two writes must heal.
    const applied = await applyTradeFacts(s, adapter.name, facts.trade)
    if (applied.ok && applied.outcome === 'applied') {
      const attempt = await s.db.selectFrom('payment_attempts').select('order_no').where('out_trade_no', '=', outTradeNo).executeTakeFirstOrThrow()
      void closeAbandonedAttempts(s, attempt.order_no)
    }
  }
  else if (facts.refund.state === 'succeeded') {
    await s.transitions.markRefunded(outTradeNo)
  }
  s.log.info({ provider: adapter.name, outTradeNo, event: verdict.eventType, duplicate: !fresh }, 'notification accepted')
  return send(c, adapter.reply({ ok: true }))
}
