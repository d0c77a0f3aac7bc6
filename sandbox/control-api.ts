/**
 * Sandbox control API (JSON), relative to the sandbox mount (publicly `${publicUrl}/sandbox/api/...`).
 * For tests, scripts, the demo and the simulated customer pages; not part of any provider protocol.
 *
 *   GET    /api/payments?status=pending|paid|closed|all   WeChat orders and Alipay trades (default all), newest first
 *   POST   /api/wechat/pay          {out_trade_no | prepay_id | code_url | h5_prepay_id [, package]}
 *                                   → 200 {ok, already_paid, transaction}; the order becomes SUCCESS and is notified.
 *                                     404 unknown order, 409 closed/expired handle, 400 bad selector.
 *   POST   /api/wechat/cancel       same selectors → 200 {ok, trade_state}; the customer abandoned the cashier
 *                                   (order stays NOTPAY; recorded in the order's events).
 *   POST   /api/wechat/jsapi        getBrandWCPayRequest params {appId, timeStamp, nonceStr, package, signType, paySign,
 *                                   outcome?: 'ok'|'cancel'|'fail'} → 200 {err_msg[, err_desc]} (used by /bridge.js)
 *   POST   /api/wechat/mp-login     {openid?} → 200 {js_code, openid, appid}: a single-use mini program code (wx.login)
 *   POST   /api/wechat/notify-probe {out_trade_no} → 200 {event_id, http_status, error?, rejected}: one notification
 *                                   signed `WECHATPAY/SIGNTEST/…` sent to the order's notify_url
 *   GET    /api/wechat/notifications?out_trade_no=   → {out_trade_no, notifications: [{event_id, kind, faults, status,
 *                                   notify_url, attempts: [{n, at, http_status?, error?, acknowledged, corrupted?}]}]}
 *                                   (without out_trade_no: every notification)
 *   GET    /api/stats               → {wechat: {<out_trade_no>: {create, query, close, refund, refund_query, notify_attempts,
 *                                   refunds_succeeded, refunded_fen}}, alipay: {…same}}: calls per provider order, and the
 *                                   refunds that paid money back (each refund number once)
 *   /api/alipay/…                    pay, cancel, trade-pay, notifications: see ./alipay-control.ts
 *   GET    /api/faults              → SandboxFaults
 *   PUT    /api/faults              partial SandboxFaults, validated (400 {errors}) → the new faults
 *   DELETE /api/faults              reset to no faults → the new faults
 * Errors are `{error}` (or `{errors}`) with a 4xx status.
 */
import type { Context } from 'hono'
import type { AlipayNotifier } from './alipay/notifier'
import type { SandboxContext } from './context'
import type { WxSelector } from './wechat/customer'
import type { WechatNotifier } from './wechat/notifier'
import type { WxOrder } from './wechat/types'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { ALIPAY_STATUS_FILTER, alipayControlApi, alipayPaymentSummary } from './alipay/control'
import { refreshStatus as refreshAlipayStatus } from './alipay/trades'
import { browserUser } from './core/browser-user'
import { applyFaultPatch, resetFaults } from './core/faults'
import { bridgePay, customerCancel, customerPay } from './wechat/customer'
import { issueJsCode } from './wechat/oauth'
import { refreshState, transactionView } from './wechat/orders'

const STATUS_FILTER: Record<string, ReadonlyArray<WxOrder['state']>> = {
  pending: ['NOTPAY'],
  paid: ['SUCCESS'],
  closed: ['CLOSED'],
  all: ['NOTPAY', 'SUCCESS', 'CLOSED'],
}

/** Reads a JSON object body; `{}` when empty, null when malformed. */
export async function jsonBody(c: Context): Promise<Record<string, unknown> | null> {
  const text = await c.req.text()
  if (text.trim() === '')
    return {}
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null
  }
  catch {
    return null
  }
}

function paymentSummary(order: WxOrder): Record<string, unknown> {
  return {
    provider: 'wechat',
    kind: order.kind,
    out_trade_no: order.outTradeNo,
    description: order.description,
    amount_total: order.amountTotal,
    trade_state: refreshState(order),
    appid: order.appid,
    prepay_id: order.prepayId,
    code_url: order.codeUrl,
    h5_url: order.h5Url,
    notify_url: order.notifyUrl,
    created_at: new Date(order.createdAt).toISOString(),
    events: order.events.map(e => ({ at: new Date(e.at).toISOString(), what: e.what })),
    transaction: transactionView(order),
  }
}

/** Routes of the control API. */
export function controlApi(ctx: SandboxContext, notifier: WechatNotifier, alipayNotifier: AlipayNotifier): Hono {
  const app = new Hono()
  // Credentialed calls only from the origin the sandbox is served on (the cashier's, or the dev server's proxy to it):
  // reflecting any origin would let every web page pay, cancel and read the simulated customer's payments.
  const ownOrigin = new URL(ctx.publicUrl).origin
  app.use('/api/*', cors({ origin: origin => (origin === ownOrigin ? origin : null), credentials: true }))

  app.get('/api/payments', (c) => {
    const status = c.req.query('status') ?? 'all'
    const states = STATUS_FILTER[status]
    if (!states)
      return c.json({ error: `status must be one of ${Object.keys(STATUS_FILTER).join(', ')}` }, 400)
    const alipayStates = ALIPAY_STATUS_FILTER[status]
    const wechat = ctx.store.wxOrders.list()
      .filter(o => states.includes(refreshState(o)))
      .map(o => ({ at: o.createdAt, summary: paymentSummary(o) }))
    const alipay = ctx.store.alipay.trades.list()
      .filter(t => alipayStates.includes(refreshAlipayStatus(t)))
      .map(t => ({ at: t.createdAt, summary: alipayPaymentSummary(t) }))
    const payments = [...wechat, ...alipay].sort((a, b) => b.at - a.at).map(p => p.summary)
    return c.json({ payments })
  })

  app.post('/api/wechat/pay', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ error: 'body must be a JSON object' }, 400)
    const userId = browserUser(c, ctx)
    const result = customerPay(ctx, notifier, body as WxSelector, appid => ctx.store.openidFor(userId, appid))
    return result.ok ? c.json(result) : c.json({ error: result.error }, result.status)
  })

  app.post('/api/wechat/cancel', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ error: 'body must be a JSON object' }, 400)
    const result = customerCancel(ctx, body as WxSelector)
    return result.ok ? c.json(result) : c.json({ error: result.error }, result.status)
  })

  app.post('/api/wechat/jsapi', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ err_msg: 'get_brand_wcpay_request:fail', err_desc: 'body must be a JSON object' })
    return c.json(bridgePay(ctx, notifier, body))
  })

  app.post('/api/wechat/mp-login', async (c) => {
    const body = await jsonBody(c)
    if (!body || (body.openid !== undefined && typeof body.openid !== 'string'))
      return c.json({ error: 'body must be {openid?: string}' }, 400)
    const result = issueJsCode(ctx, body.openid as string | undefined)
    return 'error' in result ? c.json(result, 400) : c.json(result)
  })

  app.post('/api/wechat/notify-probe', async (c) => {
    const body = await jsonBody(c)
    const outTradeNo = body?.out_trade_no
    if (typeof outTradeNo !== 'string')
      return c.json({ error: 'body must be {out_trade_no}' }, 400)
    const order = ctx.store.wxOrders.get(outTradeNo)
    if (!order)
      return c.json({ error: `no order ${outTradeNo}` }, 404)
    refreshState(order)
    const result = await notifier.probe({ outTradeNo, notifyUrl: order.notifyUrl, transactionJson: JSON.stringify(transactionView(order)) })
    return c.json(result)
  })

  app.get('/api/wechat/notifications', (c) => {
    const outTradeNo = c.req.query('out_trade_no')
    if (outTradeNo === undefined)
      return c.json({ notifications: ctx.store.wxOrders.allNotifications() })
    return c.json({ out_trade_no: outTradeNo, notifications: ctx.store.wxOrders.notificationsFor(outTradeNo) })
  })

  app.route('/', alipayControlApi(ctx, alipayNotifier, jsonBody))

  app.get('/api/stats', c => c.json({ wechat: ctx.store.wxOrders.statsSnapshot(), alipay: ctx.store.alipay.trades.statsSnapshot() }))

  app.get('/api/faults', c => c.json(ctx.faults))
  app.put('/api/faults', async (c) => {
    const body = await jsonBody(c)
    const errors = applyFaultPatch(ctx.faults, body)
    if (errors.length > 0)
      return c.json({ errors }, 400)
    ctx.log({ faults: ctx.faults }, 'sandbox: faults updated')
    return c.json(ctx.faults)
  })
  app.delete('/api/faults', (c) => {
    resetFaults(ctx.faults)
    return c.json(ctx.faults)
  })

  return app
}
