import type { MiniProgramPayParams, PaymentAction, PaymentActionKind } from '../../contract/api'
import type { PayMethod } from '../../contract/methods'
import type { OAuthHost } from '../auth/wechat-oauth'
import type { AlipayBridgeHost } from './drivers/alipay-app'
import type { RedirectHost } from './drivers/redirect'
import type { WeixinBridgeHost } from './drivers/wechat-jsapi'
import type { Reaction } from './notice'
import type { PayOutcome } from './outcome'
import { beginAuthorization } from '../auth/wechat-oauth'
import { payWithAlipayApp } from './drivers/alipay-app'
import { payByRedirect } from './drivers/redirect'
import { payWithWechatJsapi } from './drivers/wechat-jsapi'
import { reactToOutcome } from './notice'
import { clockOffsetMs } from './qr-clock'

export interface QrState {
  method: PayMethod
  codeUrl: string
  expiresAt: string
  /** Server clock minus ours, so the countdown is right on a wrong phone clock. */
  offsetMs: number
}

/** The wallets and windows an action may need; each is present only where it exists. */
export interface ActionHosts {
  oauth?: OAuthHost
  bridge?: WeixinBridgeHost
  alipayBridge?: AlipayBridgeHost
  redirect?: RedirectHost
  /** Inside the mini program: `uni.requestPayment`. */
  mpPay?: (params: MiniProgramPayParams) => Promise<PayOutcome>
  now?: () => number
}

export interface ActionContext {
  orderNo: string
  method: PayMethod
  hosts: ActionHosts
  /** Told before the wallet or the navigation starts, so the page shows it meanwhile. */
  onPhase: (phase: 'starting' | 'redirecting' | 'authorizing') => void
}

/** Where an action leaves the checkout: on its way out, showing a QR code, or reacting to a wallet's answer. */
export type ActionStep
  = | { kind: 'authorizing' }
    | { kind: 'qrcode', qr: QrState }
    | { kind: 'react', reaction: Reaction }

export type ActionHandlers = {
  readonly [K in PaymentActionKind]: (action: Extract<PaymentAction, { kind: K }>, ctx: ActionContext) => ActionStep | Promise<ActionStep>
}

const cannot = (message: string): ActionStep => ({ kind: 'react', reaction: { kind: 'notice', notice: { key: 'error.generic', values: { message }, retry: true, tone: 'error' } } })
const missing = (key: 'error.bridge_missing' | 'error.bridge_missing_alipay'): ActionStep => ({ kind: 'react', reaction: { kind: 'notice', notice: { key, retry: true, tone: 'error' } } })

/** One handler per kind of `PaymentAction` the server can answer (a type test checks none is missing). */
export const actionHandlers: ActionHandlers = {
  oauth_required: (action, { hosts, onPhase }) => {
    if (!hosts.oauth)
      return cannot('authorisation is not possible here')
    onPhase('authorizing')
    beginAuthorization(hosts.oauth, action.authorizeUrl)
    return { kind: 'authorizing' }
  },
  jsapi: async (action, { hosts, method, onPhase }) => {
    if (!hosts.bridge)
      return missing('error.bridge_missing')
    onPhase('starting')
    return wallet(await payWithWechatJsapi(action.params, hosts.bridge), method)
  },
  redirect: (action, { hosts, method, orderNo, onPhase }) => {
    if (!hosts.redirect)
      return cannot('cannot leave this page')
    onPhase('redirecting')
    return wallet(payByRedirect({ orderNo, method, attemptId: action.attemptId, url: action.url }, hosts.redirect), method)
  },
  alipay_trade: async (action, { hosts, method, onPhase }) => {
    if (!hosts.alipayBridge)
      return missing('error.bridge_missing_alipay')
    onPhase('starting')
    return wallet(await payWithAlipayApp(action.tradeNo, hosts.alipayBridge), method)
  },
  mp: async (action, { hosts, method, onPhase }) => {
    if (!hosts.mpPay)
      return missing('error.bridge_missing')
    onPhase('starting')
    return wallet(await hosts.mpPay(action.params), method)
  },
  qrcode: (action, { hosts, method }) => ({
    kind: 'qrcode',
    qr: { method, codeUrl: action.codeUrl, expiresAt: action.expiresAt, offsetMs: clockOffsetMs(action.serverTime, (hosts.now ?? Date.now)()) },
  }),
}

const byKind = new Map<string, unknown>(Object.entries(actionHandlers))

function wallet(outcome: PayOutcome, method: PayMethod): ActionStep {
  return { kind: 'react', reaction: reactToOutcome(outcome, method) }
}

/** Acts on what the server said to do next. A server speaking a newer contract gets a clear message. */
export async function runNextAction(action: PaymentAction, ctx: ActionContext): Promise<ActionStep> {
  // A Map, so that a kind from a newer server cannot find `toString` or `constructor`. The handler for a kind takes
  // that very action; TypeScript cannot follow the correlation through the table.
  const handler = byKind.get(action.kind) as ((a: PaymentAction, c: ActionContext) => ActionStep | Promise<ActionStep>) | undefined
  if (!handler)
    return cannot(`unsupported action ${(action as { kind?: string }).kind}`)
  return handler(action, ctx)
}
