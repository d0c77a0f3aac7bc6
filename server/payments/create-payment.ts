import type { CreatePaymentRequest, PaymentAction } from '../../contract/api'
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { OrderRow } from '../orders/views'
import type { Providers } from '../providers/registry'
import type { SessionRow, SessionStore } from '../sessions/store'
import type { AlongsideWrite } from './idempotency'
import type { KnownAttempt, PayableRead } from './payable'
import { HttpError } from '../http/errors'
import { ProviderError } from '../providers/errors'
import { markAttemptFailed, openAttempt, storeAction } from './attempts'
import { providerFailure } from './errors'
import { loadPayable, readAttempts } from './payable'
import { identifyPayer } from './payer'
import { checkoutUrl, resultUrl } from './urls'

export interface PaymentDeps {
  config: ServerConfig
  db: Db
  log: Logger
  sessions: SessionStore
  providers: Providers
  /** Closes an expired order (asking the provider about its attempts first). */
  expire: (orderNo: string) => Promise<void>
  /** Makes sure an earlier attempt can no longer be paid (see closeAttempt in orders/reconcile.ts). */
  closeAttempt: (attempt: { out_trade_no: string, provider: string }) => Promise<'paid' | 'closed' | 'unknown'>
}

/** An order keeps at most this many attempts open (attempts whose close a provider could not confirm yet). */
export const MAX_OPEN_ATTEMPTS = 3
/** Redirect actions (WeChat h5_url lives 5 minutes) are handed out again only while this fresh. */
const REDIRECT_REUSE_MS = 4 * 60_000

/**
 * Before a new attempt: the open attempt of the same method (and payer) is handed out again while it is valid — the
 * same QR code, the same prepay — so a reload or a second device does not open a second provider order; every
 * other open attempt is closed at its provider first (and a payment found there means the order is paid now).
 * Returns the action to hand out again, or undefined to go on with a new attempt. `known`: the order's attempts as
 * read with the order (loadPayable), newest first.
 */
async function settleEarlierAttempts(deps: PaymentDeps, orderNo: string, known: readonly KnownAttempt[], method: CreatePaymentRequest['method'], payerId: string | undefined, idempotencyKey: string | undefined): Promise<PaymentAction | undefined> {
  const open = known.filter(a => a.status === 'open')
  const now = Date.now()
  let stillOpen = 0
  for (const a of open) {
    if (idempotencyKey && a.idempotency_key === idempotencyKey)
      continue
    const action = a.action as Partial<PaymentAction>
    if (a.method === method && (a.payer_id ?? undefined) === payerId && new Date(a.expires_at).getTime() > now + 30_000) {
      if (!action.kind)
        throw new HttpError(409, 'payment_in_progress', 'a payment for this order is being started; try again in a moment', { retryable: true })
      if (action.kind !== 'redirect' || now - new Date(a.created_at).getTime() < REDIRECT_REUSE_MS)
        return action as PaymentAction
    }
    const outcome = await deps.closeAttempt(a)
    if (outcome === 'paid') {
      const order = await deps.db.selectFrom('orders').select('status').where('order_no', '=', orderNo).executeTakeFirst()
      if (order?.status !== 'pending')
        throw new HttpError(409, 'order_already_paid', 'this order is already paid')
    }
    if (outcome === 'unknown')
      stillOpen++
  }
  if (stillOpen >= MAX_OPEN_ATTEMPTS)
    throw new HttpError(429, 'too_many_attempts', 'this order has too many payments still open at the provider; try again in a minute', { retryable: true })
  return undefined
}

export interface PaymentContext {
  session?: SessionRow
  clientIp: string
  /** The OAuth state a browser without a session waits for (kept in its cookie, see identifyPayer). */
  pendingState?: string
  /** The request's Idempotency-Key (see the payment_attempts.idempotency_key column). */
  idempotencyKey?: string
  /** The order with its attempts, if already read for this request (readPayable, with the same Idempotency-Key). */
  read?: PayableRead
  /**
   * Called as soon as a payer id is bound to a new (or newly numbered) session, which the response must hand out as
   * a cookie even if a later step fails: the OAuth code is spent by then.
   */
  onNewSession?: (session: SessionRow) => void
}

export interface PaymentResult {
  action: PaymentAction
  /** The order being paid, as it was read for this request. */
  order: OrderRow
  /** Set when the request starts an authorisation in a browser without a session: the state its cookie keeps. */
  pendingState?: string
  /**
   * Set when a new (or retried) attempt got its action: the write that keeps the action with the attempt, which the
   * caller makes with the stored response of the request (withIdempotency's `alongside`).
   */
  storeAction?: AlongsideWrite
}

/** The payer id a method needs: web OAuth (JSAPI, Alipay in-app), the mini program's session, or none. */
async function payerFor(deps: PaymentDeps, req: CreatePaymentRequest, ctx: PaymentContext, identity: ReturnType<Providers['all'][number]['identity']>) {
  if (identity) {
    const payer = await identifyPayer(deps, identity, req, { session: ctx.session, pendingState: ctx.pendingState }, checkoutUrl(deps.config.publicUrl, req.orderNo))
    if ('newSession' in payer && payer.newSession)
      ctx.onNewSession?.(payer.newSession)
    return payer
  }
  if (req.method === 'wechat_mp') {
    const payerId = ctx.session?.wechat_mp_openid
    if (!payerId)
      throw new HttpError(401, 'session_required', 'log in through the mini program first (POST /api/mp/session), then send X-Session-Token')
    return { payerId }
  }
  return { payerId: undefined }
}

/** Creates one payment attempt for an order: the amount always comes from the order row. */
export async function createPayment(deps: PaymentDeps, req: CreatePaymentRequest, ctx: PaymentContext): Promise<PaymentResult> {
  const { order, adapter, attempts } = await loadPayable(deps, req.orderNo, req.method, ctx.idempotencyKey, ctx.read)
  const payer = await payerFor(deps, req, ctx, adapter.identity(req.method))
  if ('action' in payer)
    return { action: payer.action, pendingState: payer.pendingState, order }

  // An OAuth code was exchanged at the provider meanwhile: another request may have opened an attempt since.
  const known = 'newSession' in payer && payer.newSession ? await readAttempts(deps.db, order.order_no, ctx.idempotencyKey) : attempts
  const earlier = await settleEarlierAttempts(deps, order.order_no, known, req.method, payer.payerId, ctx.idempotencyKey)
  if (earlier)
    return { action: earlier, order }
  const attempt = await openAttempt(deps.db, { order, method: req.method, provider: adapter.name, payerId: payer.payerId, idempotencyKey: ctx.idempotencyKey, ttlSeconds: deps.config.qrTtlSeconds, known })
  const base = deps.config.publicUrl
  let action: PaymentAction
  try {
    action = await adapter.createAction(req.method, {
      outTradeNo: attempt.outTradeNo,
      amountFen: order.amount_fen,
      description: `${order.merchant_name}-${order.subject}`,
      notifyUrl: `${base}/api/notify/${adapter.notifyPath}`,
      timeExpire: attempt.expiresAt,
      resultUrl: from => resultUrl(base, order.order_no, from),
      checkoutUrl: checkoutUrl(base, order.order_no),
    }, { attemptId: attempt.id, payerId: payer.payerId, clientIp: ctx.clientIp })
  }
  catch (e) {
    await markAttemptFailed(deps.db, attempt.id)
    if (e instanceof ProviderError) {
      throw providerFailure(e, deps.log.child({ orderNo: order.order_no, outTradeNo: attempt.outTradeNo }), 'creating a payment')
    }
    throw e
  }
  deps.log.info({ orderNo: order.order_no, outTradeNo: attempt.outTradeNo, method: req.method }, 'payment attempt created')
  return { action, order, storeAction: storeAction(attempt.id, action) }
}
