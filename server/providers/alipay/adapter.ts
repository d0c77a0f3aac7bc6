/**
 * Alipay behind the provider interface: `alipay.trade.create` + tradePay inside the Alipay app (after `auth_base`
 * web OAuth), WAP pay in mobile browsers, precreate QR codes on PCs, refunds with out_request_no, and the RSA2-signed
 * form notifications (payments, and refunds: `out_biz_no` + `refund_fee`).
 */
import type { PaymentAction, PayMethod } from '../../../contract/api'
import type { AlipayCredentials, ProviderBases } from '../../config'
import type { NotificationVerdict, PayerIdentity, ProviderAdapter, TradeFacts, TradeState } from '../types'
import type { AlipayClient, AlipayTradeStatus } from './client'
import { yuanStringToFen } from '../../../contract/money'
import { HttpError } from '../../http/errors'
import { ProviderError } from '../errors'
import { InvalidPayerCode } from '../types'
import { AlipayAuthCodeError, createAlipayClient } from './client'
import { checkAlipayNotification } from './notify'

const TRADE_STATES: Record<AlipayTradeStatus, TradeState> = {
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  WAIT_BUYER_PAY: 'pending',
  TRADE_CLOSED: 'closed',
}

/** "2026-11-23 08:00:05" (Beijing time) → Date; undefined when absent or malformed. */
export function fromAlipayTime(s: string | undefined): Date | undefined {
  const m = s && /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s)
  if (!m)
    return undefined
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`)
}

export interface AlipayAdapter extends ProviderAdapter {
  readonly client: AlipayClient
  readonly appId: string
}

export function createAlipayAdapter(creds: AlipayCredentials, bases: ProviderBases, timeoutMs: number): AlipayAdapter {
  const client = createAlipayClient(creds, { gateway: bases.alipayGateway, oauthBase: bases.alipayOAuth, timeoutMs })

  const webOAuth: PayerIdentity = {
    provider: 'alipay',
    sessionField: 'alipay_user_id',
    code: req => req.alipayAuthCode,
    async exchange(code) {
      try {
        const buyer = await client.exchangeAuthCode(code)
        const id = buyer.userId ?? (buyer.openId ? `open:${buyer.openId}` : undefined)
        if (!id)
          throw new ProviderError('rejected', 'NO_BUYER', 'Alipay answered without a user_id or open_id')
        return id
      }
      catch (e) {
        throw e instanceof AlipayAuthCodeError ? new InvalidPayerCode('the Alipay authorisation code cannot be used; authorise again') : e
      }
    },
    authorizeUrl: (uri, state) => client.authorizeUrl(uri, state),
  }

  const methods: PayMethod[] = ['alipay_app', 'alipay_wap', 'alipay_qr']

  return {
    name: 'alipay',
    notifyPath: 'alipay',
    methods,
    client,
    appId: creds.appId,
    identity: method => (method === 'alipay_app' ? webOAuth : undefined),

    async createAction(method, order, ctx): Promise<PaymentAction> {
      const input = {
        outTradeNo: order.outTradeNo,
        amountFen: order.amountFen,
        subject: order.description,
        notifyUrl: order.notifyUrl,
        timeExpire: order.timeExpire,
      }
      switch (method) {
        case 'alipay_wap':
          return { kind: 'redirect', attemptId: ctx.attemptId, url: client.wapPayUrl({ ...input, returnUrl: order.resultUrl('wap'), quitUrl: order.checkoutUrl }) }
        case 'alipay_qr': {
          const { qrCode } = await client.precreate(input)
          return { kind: 'qrcode', attemptId: ctx.attemptId, codeUrl: qrCode, expiresAt: order.timeExpire.toISOString(), serverTime: new Date().toISOString() }
        }
        case 'alipay_app': {
          const payer = ctx.payerId ?? ''
          const buyer = payer.startsWith('open:') ? { openId: payer.slice(5) } : { userId: payer }
          const { tradeNo } = await client.create({ ...input, buyer })
          return { kind: 'alipay_trade', attemptId: ctx.attemptId, tradeNo }
        }
        default:
          throw new HttpError(422, 'method_not_allowed', `Alipay does not serve ${method}`)
      }
    },

    async query(outTradeNo) {
      const trade = await client.query(outTradeNo)
      if (!trade)
        return null
      if (trade.appId && trade.appId !== creds.appId)
        throw new ProviderError('rejected', 'MISMATCH', `Alipay query of ${outTradeNo}: app_id ${trade.appId} is not ours`)
      const state = TRADE_STATES[trade.tradeStatus]
      if (!state)
        throw new ProviderError('unavailable', 'MALFORMED', `Alipay query of ${outTradeNo}: unknown trade_status ${String(trade.tradeStatus)}`)
      return { outTradeNo: trade.outTradeNo, state, providerTxnId: trade.tradeNo, amountFen: yuanStringToFen(trade.totalAmount) ?? undefined, currency: 'CNY' }
    },

    async close(outTradeNo) {
      try {
        await client.close(outTradeNo)
        return 'closed'
      }
      catch (e) {
        // A paid trade cannot be closed: ACQ.TRADE_STATUS_ERROR.
        if (e instanceof ProviderError && e.providerCode === 'ACQ.TRADE_STATUS_ERROR')
          return 'paid'
        throw e
      }
    },

    async refund(req) {
      const answer = await client.refund({ outTradeNo: req.outTradeNo, outRequestNo: req.outRefundNo, refundFen: req.refundFen, reason: req.reason })
      if (answer.fundChange)
        return { outTradeNo: req.outTradeNo, outRefundNo: req.outRefundNo, state: 'succeeded', amountFen: req.refundFen, succeededAt: new Date() }
      // fund_change N: nothing moved with this call — refunded before under the same out_request_no, or not (yet).
      const found = await client.queryRefund(req.outTradeNo, req.outRefundNo)
      if (found && (found.refundStatus === undefined || found.refundStatus === 'REFUND_SUCCESS'))
        return { outTradeNo: req.outTradeNo, outRefundNo: req.outRefundNo, state: 'succeeded', amountFen: yuanStringToFen(found.refundAmount ?? '') ?? req.refundFen, succeededAt: fromAlipayTime(found.gmtRefundPay) ?? new Date() }
      return { outTradeNo: req.outTradeNo, outRefundNo: req.outRefundNo, state: 'processing' }
    },

    async queryRefund(outTradeNo, outRefundNo) {
      const found = await client.queryRefund(outTradeNo, outRefundNo)
      if (!found)
        return null
      const succeeded = found.refundStatus === undefined || found.refundStatus === 'REFUND_SUCCESS'
      return {
        outTradeNo,
        outRefundNo,
        state: succeeded ? 'succeeded' : 'processing',
        amountFen: yuanStringToFen(found.refundAmount ?? '') ?? undefined,
        succeededAt: succeeded ? fromAlipayTime(found.gmtRefundPay) ?? new Date() : undefined,
      }
    },

    verifyNotification(n): NotificationVerdict {
      if (!(n.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'))
        return { ok: false, status: 415, reason: 'Alipay notifications are application/x-www-form-urlencoded' }
      const params = Object.fromEntries(new URLSearchParams(n.rawBody))
      const verdict = checkAlipayNotification(params, { appId: creds.appId, sellerId: creds.sellerId, verify: p => client.verifyNotify(p) })
      if (!verdict.ok)
        return verdict
      const base = { eventId: `alipay:${verdict.notifyId}:${verdict.tradeStatus}`, eventType: verdict.tradeStatus }
      // A refund is announced on the trade's own notification: out_biz_no is our out_request_no, refund_fee the total refunded.
      if (params.out_biz_no && params.refund_fee) {
        return {
          ok: true,
          ...base,
          eventId: `${base.eventId}:${params.out_biz_no}`,
          facts: { kind: 'refund', refund: { outTradeNo: verdict.outTradeNo, outRefundNo: params.out_biz_no, state: 'succeeded', providerRefundId: verdict.tradeNo, succeededAt: fromAlipayTime(params.gmt_refund) } },
        }
      }
      const trade: TradeFacts = {
        outTradeNo: verdict.outTradeNo,
        state: TRADE_STATES[verdict.tradeStatus],
        providerTxnId: verdict.tradeNo,
        amountFen: yuanStringToFen(verdict.totalAmount) ?? undefined,
        currency: 'CNY',
        paidAt: fromAlipayTime(params.gmt_payment),
      }
      return { ok: true, ...base, facts: { kind: 'trade', trade } }
    },

    reply(outcome) {
      // Alipay stops retrying only on the exact text `success`.
      if (outcome.ok)
        return { status: 200, contentType: 'text/plain', body: 'success' }
      return { status: outcome.status, contentType: 'application/json', body: JSON.stringify({ code: outcome.code, message: outcome.message }) }
    },
  }
}
