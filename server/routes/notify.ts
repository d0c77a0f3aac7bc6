import type { Context } from 'hono'
import type { NotificationReply, ProviderAdapter, RefundFacts } from '../providers/types'
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

/** A refund notification is ours when its refund number is one of our refunds of that provider order, for that amount. */
async function checkRefundFacts(s: Services, provider: string, refund: RefundFacts): Promise<string | undefined> {
  const row = await s.db.selectFrom('refunds').innerJoin('payment_attempts', 'payment_attempts.id', 'refunds.attempt_id').select(['refunds.amount_fen', 'payment_attempts.out_trade_no', 'payment_attempts.provider']).where('refunds.out_refund_no', '=', refund.outRefundNo).executeTakeFirst()
  if (!row || row.provider !== provider)
    return `unknown refund ${refund.outRefundNo}`
  if (row.out_trade_no !== refund.outTradeNo)
    return `refund ${refund.outRefundNo} is not of out_trade_no ${refund.outTradeNo}`
  if (refund.amountFen !== undefined && refund.amountFen !== row.amount_fen)
    return `refund amount ${refund.amountFen} does not match ours (${row.amount_fen})`
  return undefined
}

async function handle(s: Services, adapter: ProviderAdapter, c: Context): Promise<Response> {
  const refuse = (status: 400 | 401 | 415, code: string, message: string) => send(c, adapter.reply({ ok: false, status, code, message }))
  const verdict = adapter.verifyNotification({ header: name => c.req.header(name), rawBody: await c.req.text() })
  if (!verdict.ok) {
    s.log.warn({ provider: adapter.name, reason: verdict.reason }, 'notification refused')
    return refuse(verdict.status, verdict.status === 401 ? 'invalid_signature' : verdict.status === 415 ? 'unsupported_media_type' : 'notification_mismatch', verdict.reason)
  }
  // A replay of a signed request we already applied is refused. The nonce is recorded only after the effect, so the
  // same request re-sent after a crash mid-way (nothing recorded yet) is applied, not refused.
  if (verdict.replayKey) {
    const seen = await s.db.selectFrom('notify_nonces').select('id').where('id', '=', verdict.replayKey).executeTakeFirst()
    if (seen)
      return refuse(401, 'invalid_signature', 'this signed notification was already received (replay)')
  }
  const { facts } = verdict
  const outTradeNo = facts.kind === 'trade' ? facts.trade.outTradeNo : facts.refund.outTradeNo
  const mismatch = facts.kind === 'trade'
    ? await checkTradeFacts(s, adapter.name, facts.trade).then(r => (r.ok ? undefined : r.reason))
    : await checkRefundFacts(s, adapter.name, facts.refund)
  if (mismatch) {
    s.log.error({ provider: adapter.name, outTradeNo, reason: mismatch }, 'notification does not match our records')
    return refuse(400, 'notification_mismatch', mismatch)
  }
  const fresh = await s.db.insertInto('provider_events')
    .values({ id: verdict.eventId, provider: adapter.name, event_type: verdict.eventType, out_trade_no: outTradeNo, payload: JSON.stringify(facts) })
    .onConflict(oc => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst()
  // Applied even when the event id was seen: every effect is idempotent, and a crash between two writes must heal.
  if (facts.kind === 'trade') {
    const applied = await applyTradeFacts(s, adapter.name, facts.trade)
    if (applied.ok && applied.outcome === 'applied') {
      const attempt = await s.db.selectFrom('payment_attempts').select('order_no').where('out_trade_no', '=', outTradeNo).executeTakeFirstOrThrow()
      void closeAbandonedAttempts(s, attempt.order_no).catch(e => s.log.warn({ err: (e as Error).message }, 'closing abandoned attempts failed'))
    }
  }
  else {
    await s.transitions.settleRefund(facts.refund.outRefundNo, facts.refund)
  }
  if (verdict.replayKey)
    await s.db.insertInto('notify_nonces').values({ id: verdict.replayKey }).onConflict(oc => oc.column('id').doNothing()).execute()
  s.log.info({ provider: adapter.name, outTradeNo, event: verdict.eventType, duplicate: !fresh }, 'notification accepted')
  return send(c, adapter.reply({ ok: true }))
}
