/**
 * The Alipay part of the sandbox control API (mounted by control-api.ts, behind its CORS middleware):
 *   POST /api/alipay/pay            {out_trade_no | qr_code | trade_no} → 200 {ok, already_paid, trade, return_url?}
 *                                   (TRADE_SUCCESS + notification; return_url = the signed wap.pay return for wap trades)
 *                                   404 unknown trade, 409 closed, 400 bad selector
 *   POST /api/alipay/cancel         same selectors → 200 {ok, trade_status, quit_url?}; the trade stays WAIT_BUYER_PAY
 *   POST /api/alipay/trade-pay      {tradeNO, resultCode} → 200 {resultCode, memo, result, callbackUrl} (used by bridge.js)
 *   GET  /api/alipay/notifications?out_trade_no=   → {out_trade_no, notifications: [{notify_id, trade_status, faults,
 *                                   status, notify_url, attempts: [{n, at, http_status?, reply?, error?, acknowledged, corrupted?}]}]}
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { AliSelector } from './customer'
import type { AlipayNotifier } from './notifier'
import type { AliTrade, AliTradeStatus } from './store'
import { Hono } from 'hono'
import { fenToYuanString } from '../../contract/money'
import { browserUser } from '../core/browser-user'
import { bridgeTradePay, customerCancel, customerPay } from './customer'
import { queryFields, refreshStatus } from './trades'

/** Reads a JSON object body; `{}` when empty, null when malformed. */
export type JsonBodyReader = (c: Context) => Promise<Record<string, unknown> | null>

/** The control API's status filter mapped onto Alipay trade statuses. */
export const ALIPAY_STATUS_FILTER: Record<string, readonly AliTradeStatus[]> = {
  pending: ['WAIT_BUYER_PAY'],
  paid: ['TRADE_SUCCESS', 'TRADE_FINISHED'],
  closed: ['TRADE_CLOSED'],
  all: ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
}

/** One trade as GET /api/payments lists it. */
export function alipayPaymentSummary(trade: AliTrade): Record<string, unknown> {
  const status = refreshStatus(trade)
  return {
    provider: 'alipay',
    kind: trade.kind,
    out_trade_no: trade.outTradeNo,
    description: trade.subject,
    amount_total: trade.amountFen,
    total_amount: fenToYuanString(trade.amountFen),
    trade_state: status,
    app_id: trade.appId,
    trade_no: trade.tradeNo,
    qr_code: trade.qrCode,
    buyer_id: trade.buyerId,
    notify_url: trade.notifyUrl,
    created_at: new Date(trade.createdAt).toISOString(),
    events: trade.events.map(e => ({ at: new Date(e.at).toISOString(), what: e.what })),
    trade: queryFields(trade),
  }
}

/** Routes of the Alipay control API. */
export function alipayControlApi(ctx: SandboxContext, notifier: AlipayNotifier, jsonBody: JsonBodyReader): Hono {
  const app = new Hono()

  app.post('/api/alipay/pay', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ error: 'body must be a JSON object' }, 400)
    const browser = browserUser(c, ctx)
    const result = customerPay(ctx, notifier, body as AliSelector, appId => ctx.store.alipay.userFor(browser, appId).userId)
    return result.ok ? c.json(result) : c.json({ error: result.error }, result.status)
  })

  app.post('/api/alipay/cancel', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ error: 'body must be a JSON object' }, 400)
    const result = customerCancel(ctx, body as AliSelector)
    return result.ok ? c.json(result) : c.json({ error: result.error }, result.status)
  })

  app.post('/api/alipay/trade-pay', async (c) => {
    const body = await jsonBody(c)
    if (!body)
      return c.json({ resultCode: '4000', memo: 'body must be a JSON object', result: '', callbackUrl: '' })
    return c.json(bridgeTradePay(ctx, notifier, body))
  })

  app.get('/api/alipay/notifications', (c) => {
    const outTradeNo = c.req.query('out_trade_no')
    if (outTradeNo === undefined)
      return c.json({ notifications: ctx.store.alipay.trades.allNotifications() })
    return c.json({ out_trade_no: outTradeNo, notifications: ctx.store.alipay.trades.notificationsFor(outTradeNo) })
  })

  return app
}
