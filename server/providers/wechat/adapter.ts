/**
 * WeChat Pay behind the provider interface: JSAPI (official account and mini program), H5 and Native orders over
 * API v3, web OAuth for the payer's openid, refunds, and the signed, encrypted notifications.
 */
import type { PaymentAction, PayMethod } from '../../../contract/api'
import type { ProviderBases, WechatCredentials } from '../../config'
import type { NotificationVerdict, PayerIdentity, ProviderAdapter, RefundFacts, RefundState, TradeFacts, TradeState } from '../types'
import type { MiniProgramLogin, WechatOAuthClient } from './oauth'
import type { WechatPayClient, WechatRefund, WechatTransaction } from './pay-client'
import { HttpError } from '../../http/errors'
import { ProviderError } from '../errors'
import { InvalidPayerCode } from '../types'
import { verifyWechatNotification } from './notify'
import { createMiniProgramLogin, createWechatOAuthClient, OAuthCodeError } from './oauth'
import { createWechatPayClient } from './pay-client'
import { wechatPayVerifierKeys } from './verification'

const TRADE_STATES: Record<WechatTransaction['trade_state'], TradeState> = {
  SUCCESS: 'paid',
  REFUND: 'paid_refunded',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'closed',
}

const REFUND_STATES: Record<NonNullable<WechatRefund['status']>, RefundState> = {
  SUCCESS: 'succeeded',
  PROCESSING: 'processing',
  // ABNORMAL: the money could not reach the payer (closed card …); the merchant must act in the WeChat Pay console.
  ABNORMAL: 'failed',
  CLOSED: 'failed',
}

export interface WechatAdapter extends ProviderAdapter {
  readonly appId: string
  readonly pay: WechatPayClient
  /** The mini program's login (jscode2session), when one is configured. */
  readonly miniProgram?: { appId: string, login: MiniProgramLogin }
}

export function createWechatAdapter(creds: WechatCredentials, bases: ProviderBases, timeoutMs: number): WechatAdapter {
  const pay = createWechatPayClient(creds, bases.wechatPay, timeoutMs)
  // Without an official account (a mini-program-only merchant) only wechat_mp is served and there is no web OAuth.
  const officialAppId = creds.appId
  const oauth: WechatOAuthClient | undefined = creds.appId && creds.appSecret
    ? createWechatOAuthClient({ appId: creds.appId, appSecret: creds.appSecret, oauthBase: bases.wechatOAuth, apiBase: bases.wechatApi })
    : undefined
  const miniProgram = creds.miniProgramAppId && creds.miniProgramSecret
    ? { appId: creds.miniProgramAppId, login: createMiniProgramLogin({ appId: creds.miniProgramAppId, secret: creds.miniProgramSecret, apiBase: bases.wechatApi }) }
    : undefined
  const appIds = [officialAppId, miniProgram?.appId].filter((id): id is string => !!id)
  const verifierKeys = wechatPayVerifierKeys(creds)

  /** The transaction as provider-neutral facts, after checking it is ours; a reason string when it is not. */
  function tradeFacts(txn: WechatTransaction): TradeFacts | string {
    if (txn.mchid !== creds.mchId)
      return `mchid ${txn.mchid} is not ours`
    if (!appIds.includes(txn.appid))
      return `appid ${txn.appid} is not ours`
    if (typeof txn.out_trade_no !== 'string' || !txn.out_trade_no)
      return 'out_trade_no missing'
    const state = TRADE_STATES[txn.trade_state]
    if (!state)
      return `unknown trade_state ${String(txn.trade_state)}`
    return {
      outTradeNo: txn.out_trade_no,
      state,
      providerTxnId: txn.transaction_id,
      amountFen: txn.amount?.total,
      currency: txn.amount?.currency ?? 'CNY',
      paidAt: txn.success_time ? new Date(txn.success_time) : undefined,
    }
  }

  function refundFacts(r: WechatRefund): RefundFacts | string {
    const status = r.status ?? r.refund_status
    if (r.mchid !== undefined && r.mchid !== creds.mchId)
      return `mchid ${r.mchid} is not ours`
    if (!status || !REFUND_STATES[status])
      return `unknown refund status ${String(status)}`
    if (typeof r.out_refund_no !== 'string' || typeof r.out_trade_no !== 'string')
      return 'out_refund_no or out_trade_no missing'
    return {
      outTradeNo: r.out_trade_no,
      outRefundNo: r.out_refund_no,
      state: REFUND_STATES[status],
      providerRefundId: r.refund_id,
      amountFen: r.amount?.refund,
      succeededAt: r.success_time ? new Date(r.success_time) : undefined,
      failure: status === 'ABNORMAL' || status === 'CLOSED' ? `WeChat refund ${status}` : undefined,
    }
  }

  const webOAuth: PayerIdentity | undefined = oauth && {
    provider: 'wechat',
    sessionField: 'wechat_openid',
    code: req => req.wechatCode,
    async exchange(code) {
      try {
        const { openid, isSnapshotUser } = await oauth.exchangeCode(code)
        if (isSnapshotUser)
          throw new HttpError(409, 'session_required', 'WeChat opened this page in snapshot mode; open the full page to pay')
        return openid
      }
      catch (e) {
        throw e instanceof OAuthCodeError ? new InvalidPayerCode(`the WeChat authorisation code cannot be used (errcode ${e.errcode}); authorise again`) : e
      }
    },
    authorizeUrl: (uri, state) => oauth.authorizeUrl(uri, state),
  }

  const methods: PayMethod[] = [...(officialAppId ? ['wechat_jsapi', 'wechat_h5', 'wechat_native'] as const : []), ...(miniProgram ? ['wechat_mp' as const] : [])]

  return {
    name: 'wechat',
    notifyPath: 'wechatpay',
    methods,
    appId: officialAppId ?? miniProgram?.appId ?? '',
    pay,
    miniProgram,
    identity: method => (method === 'wechat_jsapi' ? webOAuth : undefined),

    async createAction(method, order, ctx): Promise<PaymentAction> {
      const input = {
        appId: (method === 'wechat_mp' ? miniProgram?.appId : officialAppId) ?? '',
        description: order.description,
        outTradeNo: order.outTradeNo,
        amountFen: order.amountFen,
        notifyUrl: order.notifyUrl,
        timeExpire: order.timeExpire,
      }
      switch (method) {
        case 'wechat_jsapi': {
          const { prepayId } = await pay.createJsapi({ ...input, openid: ctx.payerId ?? '' })
          return { kind: 'jsapi', attemptId: ctx.attemptId, params: pay.jsapiParams(input.appId, prepayId) }
        }
        case 'wechat_mp': {
          const { prepayId } = await pay.createJsapi({ ...input, openid: ctx.payerId ?? '' })
          const { appId: _signedFor, ...params } = pay.jsapiParams(input.appId, prepayId)
          return { kind: 'mp', attemptId: ctx.attemptId, params }
        }
        case 'wechat_h5': {
          const { h5Url } = await pay.createH5({ ...input, payerClientIp: ctx.clientIp })
          return { kind: 'redirect', attemptId: ctx.attemptId, url: `${h5Url}&redirect_url=${encodeURIComponent(order.resultUrl('h5'))}` }
        }
        case 'wechat_native': {
          const { codeUrl } = await pay.createNative(input)
          return { kind: 'qrcode', attemptId: ctx.attemptId, codeUrl, expiresAt: order.timeExpire.toISOString(), serverTime: new Date().toISOString() }
        }
        default:
          throw new HttpError(422, 'method_not_allowed', `WeChat Pay does not serve ${method}`)
      }
    },

    async query(outTradeNo) {
      const txn = await pay.query(outTradeNo)
      if (!txn)
        return null
      const facts = tradeFacts(txn)
      if (typeof facts === 'string')
        throw new ProviderError('rejected', 'MISMATCH', `WeChat Pay query of ${outTradeNo} does not match: ${facts}`)
      return facts
    },

    async close(outTradeNo) {
      try {
        await pay.close(outTradeNo)
        return 'closed'
      }
      catch (e) {
        // Closing a paid order: 400 ORDERPAID. An order WeChat never created has nothing to pay.
        if (e instanceof ProviderError && e.providerCode === 'ORDERPAID')
          return 'paid'
        if (e instanceof ProviderError && e.kind === 'not_found')
          return 'closed'
        throw e
      }
    },

    async refund(req) {
      const answer = await pay.refund({ ...req })
      const facts = refundFacts({ ...answer, out_trade_no: answer.out_trade_no ?? req.outTradeNo, out_refund_no: answer.out_refund_no ?? req.outRefundNo })
      if (typeof facts === 'string')
        throw new ProviderError('unavailable', 'MALFORMED', `WeChat Pay refund answer: ${facts}`)
      return facts
    },

    async queryRefund(_outTradeNo, outRefundNo) {
      const answer = await pay.queryRefund(outRefundNo)
      if (!answer)
        return null
      const facts = refundFacts(answer)
      if (typeof facts === 'string')
        throw new ProviderError('unavailable', 'MALFORMED', `WeChat Pay refund query: ${facts}`)
      return facts
    },

    verifyNotification(n): NotificationVerdict {
      const verdict = verifyWechatNotification({
        headers: n.header,
        rawBody: n.rawBody,
        keys: verifierKeys,
        apiV3Key: creds.apiV3Key,
      })
      if (!verdict.ok)
        return verdict
      const { notification } = verdict
      const base = { eventId: `wechat:${notification.id}`, eventType: notification.event_type, replayKey: `wechat:${verdict.nonce}` }
      if (notification.event_type?.startsWith('REFUND.')) {
        const facts = refundFacts(verdict.resource as WechatRefund)
        return typeof facts === 'string' ? { ok: false, status: 400, reason: facts } : { ok: true, ...base, facts: { kind: 'refund', refund: facts } }
      }
      const facts = tradeFacts(verdict.transaction)
      return typeof facts === 'string' ? { ok: false, status: 400, reason: facts } : { ok: true, ...base, facts: { kind: 'trade', trade: facts } }
    },

    reply(outcome) {
      // 200 (or 204) acknowledges; anything else, with {code, message}, makes WeChat retry.
      if (outcome.ok)
        return { status: 200, contentType: 'application/json', body: JSON.stringify({ code: 'SUCCESS', message: '成功' }) }
      return { status: outcome.status, contentType: 'application/json', body: JSON.stringify({ code: outcome.code, message: outcome.message }) }
    },
  }
}
