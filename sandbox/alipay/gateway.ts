/**
 * Simulated Alipay OpenAPI v2 gateway (replaces https://openapi.alipay.com/gateway.do), relative to the sandbox mount:
 *   GET|POST /alipay/gateway.do   parameters in the query string and/or the form body
 * Methods: alipay.trade.wap.pay (page: renders the WAP cashier), alipay.trade.precreate, alipay.trade.create,
 * alipay.trade.query, alipay.trade.close, alipay.trade.refund, alipay.trade.fastpay.refund.query (./refunds.ts),
 * alipay.system.oauth.token. Every JSON answer is signed with the sandbox's
 * Alipay private key over the exact inner JSON text; gateway-level failures come as `error_response`.
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { AliError } from './gateway-http'
import type { AlipayNotifier } from './notifier'
import type { AliTradeKind } from './store'
import { Hono } from 'hono'
import { apiFault } from '../core/faults'
import { aliError, aliFailure, aliSigned, aliSuccess, checkCommonParams, invalidSignature, isAliError, readGatewayParams, verifyGatewaySign } from './gateway-http'
import { alipayMessagePage } from './html'
import { oauthToken } from './oauth'
import { wapCashierPage } from './pages'
import { queryRefund, refundTrade } from './refunds'
import { closeTrade, openTrade, queryFields, refreshStatus } from './trades'
import { checkCallbackUrls, parseBizContent, validateTradeBiz } from './validate'

export const GATEWAY_PATH = '/alipay/gateway.do'

const UNAVAILABLE = aliError('20000', 'isp.unknow-error', '系统繁忙 (simulated failure)')
const NOT_EXIST = aliError('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在')

/** What Alipay shows in the browser when a page method is refused. */
function gatewayErrorPage(err: AliError): string {
  return alipayMessagePage(`错误代码 ${err.sub_code}`, `${err.code} ${err.msg}: ${err.sub_msg}`)
}

/** Routes of the simulated gateway. */
export function alipayGateway(ctx: SandboxContext, notifier: AlipayNotifier): Hono {
  const app = new Hono()
  const store = ctx.store.alipay

  /** Validates biz_content and the callback URLs of a trade-creating call, then opens the trade. */
  function open(kind: AliTradeKind, params: Record<string, string>) {
    const biz = parseBizContent(params)
    if (isAliError(biz))
      return biz
    const valid = validateTradeBiz(kind, biz)
    if (isAliError(valid))
      return valid
    const urlError = checkCallbackUrls(params)
    if (urlError)
      return urlError
    store.trades.count(valid.outTradeNo, 'create')
    let buyerId: string | undefined
    if (kind === 'create') {
      buyerId = valid.buyerId ?? store.userIdOfOpenId(valid.buyerOpenId!, ctx.keys.alipay.appId)
      if (!buyerId || !store.isUserId(buyerId))
        return aliError('40004', 'ACQ.INVALID_PARAMETER', `参数无效: ${valid.buyerId ? 'buyer_id' : 'buyer_open_id'} 不是本应用授权的用户 (not issued by the sandbox)`)
      if (valid.buyerId && valid.buyerOpenId && store.userIdOfOpenId(valid.buyerOpenId, ctx.keys.alipay.appId) !== valid.buyerId)
        return aliError('40004', 'ACQ.INVALID_PARAMETER', '参数无效: buyer_id 与 buyer_open_id 不是同一用户')
    }
    return openTrade(ctx, kind, valid, { notifyUrl: params.notify_url || undefined, returnUrl: params.return_url || undefined }, buyerId)
  }

  /** The trade named by biz_content out_trade_no / trade_no (query and close). */
  function lookup(params: Record<string, string>, op: 'query' | 'close' | 'refund' | 'refund_query') {
    const biz = parseBizContent(params)
    if (isAliError(biz))
      return biz
    const outTradeNo = typeof biz.out_trade_no === 'string' && biz.out_trade_no !== '' ? biz.out_trade_no : undefined
    const tradeNo = typeof biz.trade_no === 'string' && biz.trade_no !== '' ? biz.trade_no : undefined
    if (!outTradeNo && !tradeNo)
      return aliError('40004', 'ACQ.INVALID_PARAMETER', '参数无效: out_trade_no 和 trade_no 不能同时为空')
    const trade = tradeNo ? store.trades.by('tradeNo', tradeNo) : store.trades.get(outTradeNo!)
    store.trades.count(trade?.outTradeNo ?? outTradeNo ?? tradeNo!, op)
    if (!trade || (outTradeNo && trade.outTradeNo !== outTradeNo))
      return NOT_EXIST
    refreshStatus(trade)
    return trade
  }

  async function handle(c: Context): Promise<Response> {
    const params = await readGatewayParams(c)
    const method = params.method ?? ''
    const page = method === 'alipay.trade.wap.pay'
    const common = checkCommonParams(ctx, params)
    if (common)
      return page ? c.html(gatewayErrorPage(common)) : aliFailure(ctx, method, common, true)
    if (!verifyGatewaySign(params, ctx.keys.alipay.appPublicKeyPem)) {
      ctx.log({ method }, 'alipay gateway: request signature rejected')
      const err = invalidSignature(params)
      return page ? c.html(gatewayErrorPage(err)) : aliFailure(ctx, method, err, true)
    }

    switch (method) {
      case 'alipay.trade.wap.pay': {
        const trade = open('wap', params)
        return isAliError(trade) ? c.html(gatewayErrorPage(trade)) : c.html(wapCashierPage(c, trade, GATEWAY_PATH))
      }
      case 'alipay.trade.precreate':
      case 'alipay.trade.create': {
        if (await apiFault(ctx.faults, 'create', ctx.random) === 'fail')
          return aliFailure(ctx, method, UNAVAILABLE)
        const trade = open(method === 'alipay.trade.create' ? 'create' : 'precreate', params)
        if (isAliError(trade))
          return aliFailure(ctx, method, trade)
        return aliSuccess(ctx, method, method === 'alipay.trade.create'
          ? { out_trade_no: trade.outTradeNo, trade_no: trade.tradeNo }
          : { out_trade_no: trade.outTradeNo, qr_code: trade.qrCode })
      }
      case 'alipay.trade.query': {
        if (await apiFault(ctx.faults, 'query', ctx.random) === 'fail')
          return aliFailure(ctx, method, UNAVAILABLE)
        const trade = lookup(params, 'query')
        if (isAliError(trade))
          return aliFailure(ctx, method, trade)
        return aliSuccess(ctx, method, queryFields(trade))
      }
      case 'alipay.trade.close': {
        if (await apiFault(ctx.faults, 'close', ctx.random) === 'fail')
          return aliFailure(ctx, method, UNAVAILABLE)
        const trade = lookup(params, 'close')
        if (isAliError(trade))
          return aliFailure(ctx, method, trade)
        const err = closeTrade(ctx, trade)
        return err ? aliFailure(ctx, method, err) : aliSuccess(ctx, method, { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo })
      }
      case 'alipay.trade.refund':
      case 'alipay.trade.fastpay.refund.query': {
        if (await apiFault(ctx.faults, 'refund', ctx.random) === 'fail')
          return aliFailure(ctx, method, UNAVAILABLE)
        const refund = method === 'alipay.trade.refund'
        const trade = lookup(params, refund ? 'refund' : 'refund_query')
        if (isAliError(trade))
          return aliFailure(ctx, method, trade)
        const biz = parseBizContent(params) as Record<string, unknown>
        const result = refund ? refundTrade(ctx, notifier, trade, biz) : queryRefund(trade, biz)
        return isAliError(result) ? aliFailure(ctx, method, result) : aliSuccess(ctx, method, result)
      }
      default: {
        // alipay.system.oauth.token (checkCommonParams only lets implemented methods through)
        if (await apiFault(ctx.faults, 'oauth', ctx.random) === 'fail')
          return aliFailure(ctx, method, UNAVAILABLE, true)
        const token = oauthToken(ctx, params)
        return isAliError(token) ? aliFailure(ctx, method, token, true) : aliSigned(ctx, method, token)
      }
    }
  }

  app.get(GATEWAY_PATH, handle)
  app.post(GATEWAY_PATH, handle)
  return app
}
