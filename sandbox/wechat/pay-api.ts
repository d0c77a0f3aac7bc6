/**
 * Simulated WeChat Pay API v3 (replaces https://api.mch.weixin.qq.com), relative to the sandbox mount:
 *   POST /wechatpay/v3/pay/transactions/jsapi | h5 | native
 *   GET  /wechatpay/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=
 *   GET  /wechatpay/v3/pay/transactions/id/{transaction_id}?mchid=
 *   POST /wechatpay/v3/pay/transactions/out-trade-no/{out_trade_no}/close   → 204
 *   POST /wechatpay/v3/refund/domestic/refunds, GET …/refunds/{out_refund_no}  (see ./refunds.ts)
 * Every request must carry a valid merchant Authorization header; every response is platform-signed.
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { WechatNotifier } from './notifier'
import type { MerchantCall } from './pay-http'
import type { WxOrder, WxTradeKind } from './types'
import { Hono } from 'hono'
import { apiFault } from '../core/faults'
import { canonicalJson, closeOrder, createOrder, refreshState, transactionView } from './orders'
import { authenticateMerchant, wxError, wxJson, wxSigned } from './pay-http'
import { isApiError, validateOrderBody } from './pay-validate'
import { createRefund, findRefund, refundView } from './refunds'

const SYSTEM_ERROR = { status: 500, code: 'SYSTEM_ERROR', message: '系统错误 (simulated failure)' }
const NOT_FOUND = { status: 404, code: 'ORDER_NOT_EXIST', message: '订单不存在' }

/** Routes of the simulated WeChat Pay API v3. */
export function wechatPayApi(ctx: SandboxContext, notifier: WechatNotifier): Hono {
  const app = new Hono()

  async function authenticated(c: Context, op: 'create' | 'query' | 'close' | 'refund'): Promise<MerchantCall | Response> {
    const call = await authenticateMerchant(c, ctx)
    if (call instanceof Response)
      return call
    if (await apiFault(ctx.faults, op, ctx.random) === 'fail')
      return wxError(ctx, SYSTEM_ERROR)
    return call
  }

  for (const kind of ['jsapi', 'h5', 'native'] as const satisfies readonly WxTradeKind[]) {
    app.post(`/wechatpay/v3/pay/transactions/${kind}`, async (c) => {
      const call = await authenticated(c, 'create')
      if (call instanceof Response)
        return call
      let body: unknown
      try {
        body = JSON.parse(call.rawBody)
      }
      catch {
        return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: '请求体不是合法的 JSON (body is not valid JSON)' })
      }
      const valid = validateOrderBody(ctx, kind, body, call.mchid)
      if (isApiError(valid))
        return wxError(ctx, valid)
      ctx.store.wxOrders.count(valid.outTradeNo, 'create')
      const result = createOrder(ctx, kind, valid, canonicalJson(body))
      return 'code' in result ? wxError(ctx, result) : wxJson(ctx, 200, result.body)
    })
  }

  function checkMchidParam(c: Context, call: MerchantCall): Response | null {
    const mchid = c.req.query('mchid')
    if (!mchid)
      return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: '缺少参数 mchid', detail: { field: 'mchid', location: 'query' } })
    if (mchid !== call.mchid)
      return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: 'mchid 与请求签名中的商户号不一致', detail: { field: 'mchid', location: 'query' } })
    return null
  }

  function queryAnswer(order: WxOrder | undefined): Response {
    if (!order)
      return wxError(ctx, NOT_FOUND)
    refreshState(order)
    return wxJson(ctx, 200, transactionView(order))
  }

  app.get('/wechatpay/v3/pay/transactions/out-trade-no/:out_trade_no', async (c) => {
    const call = await authenticated(c, 'query')
    if (call instanceof Response)
      return call
    const outTradeNo = c.req.param('out_trade_no')
    ctx.store.wxOrders.count(outTradeNo, 'query')
    return checkMchidParam(c, call) ?? queryAnswer(ctx.store.wxOrders.get(outTradeNo))
  })

  app.get('/wechatpay/v3/pay/transactions/id/:transaction_id', async (c) => {
    const call = await authenticated(c, 'query')
    if (call instanceof Response)
      return call
    const order = ctx.store.wxOrders.by('transactionId', c.req.param('transaction_id'))
    if (order)
      ctx.store.wxOrders.count(order.outTradeNo, 'query')
    return checkMchidParam(c, call) ?? queryAnswer(order)
  })

  app.post('/wechatpay/v3/pay/transactions/out-trade-no/:out_trade_no/close', async (c) => {
    const call = await authenticated(c, 'close')
    if (call instanceof Response)
      return call
    const outTradeNo = c.req.param('out_trade_no')
    ctx.store.wxOrders.count(outTradeNo, 'close')
    let body: unknown
    try {
      body = JSON.parse(call.rawBody)
    }
    catch {
      return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: '请求体不是合法的 JSON (body is not valid JSON)' })
    }
    const mchid = (body as { mchid?: unknown } | null)?.mchid
    if (typeof mchid !== 'string' || mchid === '')
      return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: '缺少参数 mchid', detail: { field: 'mchid', location: 'body' } })
    if (mchid !== call.mchid)
      return wxError(ctx, { status: 400, code: 'APPID_MCHID_NOT_MATCH', message: 'mchid 与请求签名中的商户号不一致' })
    const order = ctx.store.wxOrders.get(outTradeNo)
    if (!order)
      return wxError(ctx, NOT_FOUND)
    const err = closeOrder(ctx, order)
    return err ? wxError(ctx, err) : wxSigned(ctx, 204, null)
  })

  app.post('/wechatpay/v3/refund/domestic/refunds', async (c) => {
    const call = await authenticated(c, 'refund')
    if (call instanceof Response)
      return call
    let body: unknown
    try {
      body = JSON.parse(call.rawBody)
    }
    catch {
      return wxError(ctx, { status: 400, code: 'PARAM_ERROR', message: '请求体不是合法的 JSON (body is not valid JSON)' })
    }
    const result = createRefund(ctx, notifier, call, body)
    return 'code' in result ? wxError(ctx, result) : wxJson(ctx, 200, result.body)
  })

  app.get('/wechatpay/v3/refund/domestic/refunds/:out_refund_no', async (c) => {
    const call = await authenticated(c, 'query')
    if (call instanceof Response)
      return call
    const found = findRefund(ctx, c.req.param('out_refund_no'))
    if (!found || found.order.mchid !== call.mchid)
      return wxError(ctx, { status: 404, code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' })
    ctx.store.wxOrders.count(found.order.outTradeNo, 'refund_query')
    return wxJson(ctx, 200, refundView(found.order, found.refund))
  })

  app.all('/wechatpay/v3/*', c => wxError(ctx, { status: 404, code: 'RESOURCE_NOT_EXISTS', message: `sandbox does not implement ${c.req.method} ${c.req.path}` }))

  return app
}
