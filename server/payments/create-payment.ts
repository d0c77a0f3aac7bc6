import type { CreatePaymentRequest, PaymentAction } from '../../contract/api'
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { OrderTransitions } from '../orders/transitions'
import type { AlipayClient } from '../providers/alipay/client'
import type { MiniProgramLogin, WechatOAuthClient } from '../providers/wechat/oauth'
import type { WechatPayClient } from '../providers/wechat/pay-client'
import type { SessionRow, SessionStore } from '../sessions/store'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { providerOf } from '../../contract/methods'
import { HttpError } from '../http/errors'
import { newAttemptId, newOutTradeNo } from '../orders/ids'
import { AlipayAuthCodeError } from '../providers/alipay/client'
import { ProviderError } from '../providers/errors'
import { OAuthCodeError } from '../providers/wechat/oauth'
import { checkoutUrl, resultUrl } from './urls'

export interface WechatProvider {
  appId: string
  pay: WechatPayClient
  oauth: WechatOAuthClient
  /** True when only a mini program is configured: JSAPI, H5 and Native need the official account. */
  mpOnly?: boolean
  /** Present when a mini program (appid + secret) is configured. */
  miniProgram?: { appId: string, login: MiniProgramLogin }
}

export interface PaymentDeps {
  config: ServerConfig
  db: Db
  log: Logger
  sessions: SessionStore
  transitions: OrderTransitions
  wechat?: WechatProvider
  alipay?: { client: AlipayClient }
}

export interface PaymentContext {
  session?: SessionRow
  clientIp: string
  /** The request's Idempotency-Key (see the payment_attempts.idempotency_key column). */
  idempotencyKey?: string
}

export interface PaymentResult {
  action: PaymentAction
  /** Set when the request created a session the response must hand out as a cookie. */
  newSession?: SessionRow
}

function randomState(): string {
  return randomBytes(16).toString('hex')
}

/** What a provider failure means for the cashier: retry later (502) or a refusal (502, not retryable). */
export function providerFailure(e: ProviderError): HttpError {
  return e.retryable
    ? new HttpError(502, 'provider_unavailable', `${e.message}; try again`, { retryable: true })
    : new HttpError(502, 'provider_error', e.message, { retryable: false })
}

/** How a provider identifies the payer in a browser: web OAuth, the id kept in the server session. */
interface PayerIdentity {
  provider: 'wechat' | 'alipay'
  /** The code this request carries from the provider's OAuth return, if any. */
  code: (req: CreatePaymentRequest) => string | undefined
  /** The payer id already in the session. */
  current: (session: SessionRow) => string | null
  /** Exchanges a code for the payer id; throws InvalidCode when the code cannot be used. */
  exchange: (code: string) => Promise<string>
  store: (payerId: string) => Partial<Pick<SessionRow, 'wechat_openid' | 'alipay_user_id'>>
  authorizeUrl: (redirectUri: string, state: string) => string
}

class InvalidCode extends Error {}

function wechatIdentity(wechat: WechatProvider): PayerIdentity {
  return {
    provider: 'wechat',
    code: req => req.wechatCode,
    current: s => s.wechat_openid,
    exchange: async (code) => {
      try {
        const { openid, isSnapshotUser } = await wechat.oauth.exchangeCode(code)
        if (isSnapshotUser)
          throw new HttpError(409, 'session_required', 'WeChat opened this page in snapshot mode; open the full page to pay')
        return openid
      }
      catch (e) {
        throw e instanceof OAuthCodeError ? new InvalidCode(`the WeChat authorisation code cannot be used (errcode ${e.errcode}); authorise again`) : e
      }
    },
    store: openid => ({ wechat_openid: openid }),
    authorizeUrl: (uri, state) => wechat.oauth.authorizeUrl(uri, state),
  }
}

function alipayIdentity(alipay: AlipayClient): PayerIdentity {
  return {
    provider: 'alipay',
    code: req => req.alipayAuthCode,
    current: s => s.alipay_user_id,
    exchange: async (code) => {
      try {
        const buyer = await alipay.exchangeAuthCode(code)
        const id = buyer.userId ?? (buyer.openId ? `open:${buyer.openId}` : undefined)
        if (!id)
          throw new ProviderError('rejected', 'NO_BUYER', 'Alipay answered without a user_id or open_id')
        return id
      }
      catch (e) {
        throw e instanceof AlipayAuthCodeError ? new InvalidCode('the Alipay authorisation code cannot be used; authorise again') : e
      }
    },
    store: id => ({ alipay_user_id: id }),
    authorizeUrl: (uri, state) => alipay.authorizeUrl(uri, state),
  }
}

/**
 * Finds who pays, inside WeChat or Alipay: the id kept in the session, or the OAuth code this request
 * brings back (checked against the state the session waits for), or else an authorisation to start.
 */
async function identifyPayer(
  deps: PaymentDeps,
  orderNo: string,
  session: SessionRow | undefined,
  req: CreatePaymentRequest,
  id: PayerIdentity,
): Promise<{ session?: SessionRow, payerId: string } | { action: PaymentAction, newSession?: SessionRow }> {
  const returnTo = checkoutUrl(deps.config.publicUrl, orderNo)
  const code = id.code(req)
  if (code !== undefined) {
    if (!session?.oauth_state || req.oauthState !== session.oauth_state)
      throw new HttpError(400, 'oauth_state_mismatch', 'the OAuth state does not match the one this browser started with')
    const awaitedState = session.oauth_state
    let payerId: string
    try {
      payerId = await id.exchange(code)
    }
    catch (e) {
      // A fresh authorisation with the state this session already waits for: nothing is written.
      if (e instanceof InvalidCode)
        throw new HttpError(409, 'oauth_code_invalid', e.message, { authorizeUrl: id.authorizeUrl(returnTo, awaitedState) })
      if (e instanceof ProviderError)
        throw providerFailure(e)
      throw e
    }
    await deps.sessions.update(session.id, { ...id.store(payerId), oauth_state: null })
    return { session: { ...session, ...id.store(payerId), oauth_state: null }, payerId }
  }
  const known = session ? id.current(session) : null
  if (known)
    return { session, payerId: known }
  let newSession: SessionRow | undefined
  if (!session) {
    session = await deps.sessions.create()
    newSession = session
  }
  const state = req.oauthState ?? randomState()
  await deps.sessions.update(session.id, { oauth_state: state })
  return { action: { kind: 'oauth_required', provider: id.provider, authorizeUrl: id.authorizeUrl(returnTo, state) }, newSession }
}

/** Creates one payment attempt for an order: the amount always comes from the order row. */
export async function createPayment(deps: PaymentDeps, req: CreatePaymentRequest, ctx: PaymentContext): Promise<PaymentResult> {
  const order = await deps.db.selectFrom('orders').selectAll().where('order_no', '=', req.orderNo).executeTakeFirst()
  if (!order)
    throw new HttpError(404, 'order_not_found', `order ${req.orderNo} does not exist`)
  if (order.status === 'paid' || order.status === 'refunded')
    throw new HttpError(409, 'order_already_paid', 'this order is already paid')
  if (order.status === 'closed' && new Date(order.expires_at).getTime() <= Date.now())
    throw new HttpError(410, 'order_expired', 'this order has expired')
  if (order.status !== 'pending')
    throw new HttpError(409, 'order_not_payable', `this order is ${order.status} and can no longer be paid`)
  if (new Date(order.expires_at).getTime() <= Date.now()) {
    await deps.transitions.close(order.order_no, 'closed')
    throw new HttpError(410, 'order_expired', 'this order has expired')
  }
  if (!order.methods.includes(req.method))
    throw new HttpError(422, 'method_not_allowed', `method ${req.method} is not allowed for this order (allowed: ${order.methods.join(', ')})`)

  const provider = providerOf(req.method)
  if (provider === 'wechat' && !deps.wechat)
    throw new HttpError(422, 'method_not_allowed', 'WeChat Pay is not configured on this server')
  if (provider === 'alipay' && !deps.alipay)
    throw new HttpError(422, 'method_not_allowed', 'Alipay is not configured on this server')
  if (req.method === 'wechat_mp' && !deps.wechat?.miniProgram)
    throw new HttpError(422, 'method_not_allowed', 'no mini program is configured on this server')
  if (provider === 'wechat' && req.method !== 'wechat_mp' && deps.wechat?.mpOnly)
    throw new HttpError(422, 'method_not_allowed', `${req.method} needs a WeChat official account, and this server has only a mini program`)

  let session = ctx.session
  let payerId: string | undefined

  if (req.method === 'wechat_jsapi' || req.method === 'alipay_app') {
    const identity = await identifyPayer(deps, order.order_no, session, req, req.method === 'wechat_jsapi' ? wechatIdentity(deps.wechat!) : alipayIdentity(deps.alipay!.client))
    if ('action' in identity)
      return { action: identity.action, newSession: identity.newSession }
    session = identity.session
    payerId = identity.payerId
  }

  if (req.method === 'wechat_mp') {
    payerId = session?.wechat_mp_openid ?? undefined
    if (!payerId)
      throw new HttpError(401, 'session_required', 'log in through the mini program first (POST /api/mp/session), then send X-Session-Token')
  }

  const now = new Date()
  // The same request retried after the provider failed or timed out: ask again for the same
  // out_trade_no with the same body, so the provider keeps one order (and one prepay).
  const retried = ctx.idempotencyKey
    ? await deps.db.selectFrom('payment_attempts').selectAll().where('idempotency_key', '=', ctx.idempotencyKey).where('order_no', '=', order.order_no).where('method', '=', req.method).where('status', 'in', ['open', 'failed']).executeTakeFirst()
    : undefined
  const expiresAt = retried ? new Date(retried.expires_at) : new Date(Math.min(new Date(order.expires_at).getTime(), now.getTime() + deps.config.qrTtlSeconds * 1000))
  const attemptId = retried?.id ?? newAttemptId()
  const outTradeNo = retried?.out_trade_no ?? newOutTradeNo(now)
  if (retried) {
    await deps.db.updateTable('payment_attempts').set({ status: 'open', updated_at: sql`now()` }).where('id', '=', retried.id).execute()
  }
  else {
    // Recorded before the provider is asked, so a notification for it always finds its attempt.
    await deps.db.insertInto('payment_attempts').values({
      id: attemptId,
      order_no: order.order_no,
      method: req.method,
      provider,
      out_trade_no: outTradeNo,
      status: 'open',
      action: JSON.stringify({}),
      payer_id: payerId ?? null,
      expires_at: expiresAt,
      idempotency_key: ctx.idempotencyKey ?? null,
    }).execute()
  }

  const wechat = deps.wechat
  const common = {
    appId: req.method === 'wechat_mp' ? wechat?.miniProgram?.appId ?? '' : wechat?.appId ?? '',
    description: `${order.merchant_name}-${order.subject}`,
    outTradeNo,
    amountFen: order.amount_fen,
    notifyUrl: `${deps.config.publicUrl}/api/notify/wechatpay`,
    timeExpire: expiresAt,
  }
  const alipayOrder = {
    outTradeNo,
    amountFen: order.amount_fen,
    subject: `${order.merchant_name}-${order.subject}`.slice(0, 256),
    notifyUrl: `${deps.config.publicUrl}/api/notify/alipay`,
    timeExpire: expiresAt,
  }
  let action: PaymentAction
  try {
    switch (req.method) {
      case 'alipay_wap': {
        const url = deps.alipay!.client.wapPayUrl({ ...alipayOrder, returnUrl: resultUrl(deps.config.publicUrl, order.order_no, 'wap'), quitUrl: checkoutUrl(deps.config.publicUrl, order.order_no) })
        action = { kind: 'redirect', attemptId, url }
        break
      }
      case 'alipay_qr': {
        const { qrCode } = await deps.alipay!.client.precreate(alipayOrder)
        action = { kind: 'qrcode', attemptId, codeUrl: qrCode, expiresAt: expiresAt.toISOString(), serverTime: new Date().toISOString() }
        break
      }
      case 'alipay_app': {
        const buyer = payerId!.startsWith('open:') ? { openId: payerId!.slice(5) } : { userId: payerId! }
        const { tradeNo } = await deps.alipay!.client.create({ ...alipayOrder, buyer })
        action = { kind: 'alipay_trade', attemptId, tradeNo }
        break
      }
      case 'wechat_jsapi': {
        const { prepayId } = await wechat!.pay.createJsapi({ ...common, openid: payerId! })
        action = { kind: 'jsapi', attemptId, params: wechat!.pay.jsapiParams(common.appId, prepayId) }
        break
      }
      case 'wechat_mp': {
        const { prepayId } = await wechat!.pay.createJsapi({ ...common, openid: payerId! })
        const { appId: _signedFor, ...params } = wechat!.pay.jsapiParams(common.appId, prepayId)
        action = { kind: 'mp', attemptId, params }
        break
      }
      case 'wechat_h5': {
        const { h5Url } = await wechat!.pay.createH5({ ...common, payerClientIp: ctx.clientIp })
        action = { kind: 'redirect', attemptId, url: `${h5Url}&redirect_url=${encodeURIComponent(resultUrl(deps.config.publicUrl, order.order_no, 'h5'))}` }
        break
      }
      case 'wechat_native': {
        const { codeUrl } = await wechat!.pay.createNative(common)
        action = { kind: 'qrcode', attemptId, codeUrl, expiresAt: expiresAt.toISOString(), serverTime: new Date().toISOString() }
        break
      }
      default:
        throw new HttpError(422, 'method_not_allowed', `method ${req.method} is not available on this server`)
    }
  }
  catch (e) {
    await deps.db.updateTable('payment_attempts').set({ status: 'failed', updated_at: sql`now()` }).where('id', '=', attemptId).execute()
    if (e instanceof ProviderError) {
      deps.log.warn({ orderNo: order.order_no, outTradeNo, providerCode: e.providerCode, kind: e.kind }, 'provider refused or failed to create a payment')
      throw providerFailure(e)
    }
    throw e
  }
  await deps.db.updateTable('payment_attempts').set({ action: JSON.stringify(action), updated_at: sql`now()` }).where('id', '=', attemptId).execute()
  deps.log.info({ orderNo: order.order_no, outTradeNo, method: req.method }, 'payment attempt created')
  return { action }
}
