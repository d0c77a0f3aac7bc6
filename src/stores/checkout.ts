import type { MiniProgramPayParams, OrderView, PaymentAction } from '../../contract/api'
import type { PayMethod } from '../../contract/methods'
import type { ApiClient } from '../api/client'
import type { OAuthHost } from '../auth/wechat-oauth'
import type { Environment } from '../env/types'
import type { MessageKey } from '../i18n'
import type { PayChoice, PayOption } from '../pay/choose'
import type { AlipayBridgeHost } from '../pay/drivers/alipay-app'
import type { RedirectHost } from '../pay/drivers/redirect'
import type { WeixinBridgeHost } from '../pay/drivers/wechat-jsapi'
import type { PayOutcome } from '../pay/outcome'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { isApiError } from '../api/errors'
import { beginAuthorization, consumeOAuthState, mayReauthorize, newOAuthState, resetReauthorizeGuard, takeOAuthReturn } from '../auth/wechat-oauth'
import { choosePayMethods } from '../pay/choose'
import { payWithAlipayApp } from '../pay/drivers/alipay-app'
import { payByRedirect } from '../pay/drivers/redirect'
import { payWithWechatJsapi } from '../pay/drivers/wechat-jsapi'
import { clockOffsetMs } from '../pay/qr-clock'

/** Where the checkout is; the page renders from this alone. */
export type CheckoutPhase
  = | 'loading'
    | 'ready'
    | 'starting'
    | 'authorizing'
    | 'qrcode'
    | 'redirecting'
    | 'handoff'
    | 'guide'
    | 'error'

export interface CheckoutNotice {
  key: MessageKey
  values?: Record<string, string | number>
  /** Whether a retry button belongs with it. */
  retry: boolean
  tone: 'info' | 'error'
}

export interface QrState {
  method: PayMethod
  codeUrl: string
  expiresAt: string
  /** Server clock minus ours, so the countdown is right on a wrong phone clock. */
  offsetMs: number
}

/** Everything the checkout touches outside itself, injected so the flow is tested without a browser. */
export interface CheckoutDeps {
  api: ApiClient
  env: Environment
  newKey: () => string
  goToResult: (orderNo: string, from?: 'pay') => void
  oauth?: OAuthHost
  bridge?: WeixinBridgeHost
  alipayBridge?: AlipayBridgeHost
  redirect?: RedirectHost
  /** Hands the order to the mini program (from a mini-program web-view). */
  handoff?: (orderNo: string) => Promise<void>
  /** Inside the mini program itself: login session and uni.requestPayment. */
  miniProgram?: {
    ensureSession: (opts?: { fresh?: boolean }) => Promise<string>
    pay: (params: MiniProgramPayParams) => Promise<PayOutcome>
  }
  now?: () => number
}

let deps: CheckoutDeps | undefined

/** Installs the page's dependencies (once per page load). */
export function provideCheckoutDeps(d: CheckoutDeps): void {
  deps = d
}

function need(): CheckoutDeps {
  if (!deps)
    throw new Error('provideCheckoutDeps() must run before the checkout store is used')
  return deps
}

export const useCheckoutStore = defineStore('checkout', () => {
  /** The order as the server sent it. */
  const order = ref<OrderView>()
  const orderNo = ref('')
  const phase = ref<CheckoutPhase>('loading')
  const notice = ref<CheckoutNotice>()
  const selected = ref<PayOption>()
  const qr = shallowRef<QrState>()
  /** True while a payment request is in flight: the button is disabled and taps are ignored. */
  const busy = ref(false)

  const choice = computed<PayChoice | undefined>(() => order.value ? choosePayMethods(need().env, order.value.methods) : undefined)

  // One key per payment intention: a retried request after a network error reuses it.
  let pendingKey: { method: PayMethod, key: string } | undefined
  let inflight: Promise<void> | undefined

  function fail(key: MessageKey, values?: Record<string, string | number>, retry = true): void {
    notice.value = { key, values, retry, tone: 'error' }
    phase.value = order.value ? 'ready' : 'error'
  }

  function explain(e: unknown): void {
    if (!isApiError(e)) {
      fail('error.generic', { message: e instanceof Error ? e.message : String(e) })
      return
    }
    switch (e.code) {
      case 'order_not_found': return fail('error.order_not_found', undefined, false)
      case 'order_expired': return fail('error.order_expired', undefined, false)
      case 'order_not_payable': return fail('error.order_not_payable', undefined, false)
      case 'order_already_paid':
        need().goToResult(orderNo.value)
        return
      case 'network':
      case 'timeout': return fail('error.network')
      case 'provider_unavailable':
      case 'provider_error': return fail('error.provider')
      case 'rate_limited': return fail('error.rate_limited')
      case 'oauth_state_mismatch': return fail('error.oauth_state')
      default: return fail('error.generic', { message: e.message })
    }
  }

  async function loadOrder(): Promise<void> {
    try {
      order.value = await need().api.getOrder(orderNo.value)
      selected.value ??= choice.value?.options[0]
      if (order.value.status === 'paid' || order.value.status === 'refunded') {
        need().goToResult(orderNo.value)
        return
      }
      if (order.value.status !== 'pending')
        return fail(new Date(order.value.expiresAt).getTime() <= Date.now() ? 'error.order_expired' : 'error.order_not_payable', undefined, false)
      if (phase.value === 'loading' || phase.value === 'error')
        phase.value = 'ready'
    }
    catch (e) {
      explain(e)
    }
  }

  /** Acts on what the server said to do next. */
  async function act(action: PaymentAction, method: PayMethod): Promise<void> {
    const d = need()
    switch (action.kind) {
      case 'oauth_required':
        if (!d.oauth)
          return fail('error.generic', { message: 'authorisation is not possible here' })
        phase.value = 'authorizing'
        beginAuthorization(d.oauth, action.authorizeUrl)
        return
      case 'jsapi': {
        if (!d.bridge)
          return fail('error.bridge_missing')
        phase.value = 'starting'
        const outcome = await payWithWechatJsapi(action.params, d.bridge)
        return afterWallet(outcome)
      }
      case 'redirect': {
        if (!d.redirect)
          return fail('error.generic', { message: 'cannot leave this page' })
        phase.value = 'redirecting'
        return afterWallet(payByRedirect({ orderNo: orderNo.value, method, attemptId: action.attemptId, url: action.url }, d.redirect))
      }
      case 'alipay_trade': {
        if (!d.alipayBridge)
          return fail('error.bridge_missing_alipay')
        phase.value = 'starting'
        return afterWallet(await payWithAlipayApp(action.tradeNo, d.alipayBridge))
      }
      case 'mp': {
        if (!d.miniProgram)
          return fail('error.bridge_missing')
        phase.value = 'starting'
        return afterWallet(await d.miniProgram.pay(action.params))
      }
      case 'qrcode':
        qr.value = { method, codeUrl: action.codeUrl, expiresAt: action.expiresAt, offsetMs: clockOffsetMs(action.serverTime, (d.now ?? Date.now)()) }
        phase.value = 'qrcode'
        return
      default: {
        // Every kind is handled above; a server speaking a newer contract gets a clear message.
        const unknown: { kind?: string } = action
        return fail('error.generic', { message: `unsupported action ${unknown.kind}` })
      }
    }
  }

  function afterWallet(outcome: PayOutcome): void {
    switch (outcome.status) {
      case 'submitted':
      case 'unknown':
        // The wallet's word is not proof: the result page asks the server.
        need().goToResult(orderNo.value, 'pay')
        return
      case 'redirected':
        return
      case 'cancelled':
        notice.value = { key: 'checkout.cancelled', retry: true, tone: 'info' }
        phase.value = 'ready'
        return
      case 'failed':
        if (outcome.error.type === 'unsupported')
          return fail(selected.value?.method === 'alipay_app' ? 'error.bridge_missing_alipay' : 'error.bridge_missing')
        if (outcome.error.type === 'network')
          return fail('error.network')
        return fail('error.wallet_failed', { message: outcome.error.message })
    }
  }

  async function request(method: PayMethod, extra: { wechatCode?: string, alipayAuthCode?: string, oauthState?: string } = {}): Promise<void> {
    const d = need()
    if (!pendingKey || pendingKey.method !== method || extra.wechatCode || extra.alipayAuthCode)
      pendingKey = { method, key: d.newKey() }
    const key = pendingKey.key
    busy.value = true
    notice.value = undefined
    phase.value = 'starting'
    try {
      const oauthState = extra.oauthState ?? (method === 'wechat_jsapi' || method === 'alipay_app' ? newOAuthState() : undefined)
      const body = { orderNo: orderNo.value, method, ...extra, ...(oauthState ? { oauthState } : {}) }
      let action: PaymentAction
      if (method === 'wechat_mp' && d.miniProgram) {
        await d.miniProgram.ensureSession()
        try {
          action = await d.api.createPayment(body, key)
        }
        catch (e) {
          // An expired or unknown session: log in once more, then try the same request again.
          if (!isApiError(e) || e.code !== 'session_required')
            throw e
          await d.miniProgram.ensureSession({ fresh: true })
          action = await d.api.createPayment(body, key)
        }
      }
      else {
        action = await d.api.createPayment(body, key)
      }
      pendingKey = undefined
      await act(action, method)
    }
    catch (e) {
      if (isApiError(e) && !e.retryable)
        pendingKey = undefined
      if (isApiError(e) && e.code === 'oauth_code_invalid' && d.oauth && e.authorizeUrl && mayReauthorize(d.oauth, orderNo.value)) {
        phase.value = 'authorizing'
        beginAuthorization(d.oauth, e.authorizeUrl)
        return
      }
      if (isApiError(e) && e.code === 'oauth_code_invalid')
        return fail('error.oauth_failed')
      if (e instanceof Error && e.name === 'MiniProgramLoginError')
        return fail('error.login_failed')
      explain(e)
    }
    finally {
      busy.value = false
    }
  }

  /** The pay button (and the auto-start inside WeChat). A second tap while busy does nothing. */
  function pay(option: PayOption | undefined = selected.value): Promise<void> {
    if (!option || busy.value)
      return inflight ?? Promise.resolve()
    selected.value = option
    if (option.action === 'open-in-browser') {
      phase.value = 'guide'
      return Promise.resolve()
    }
    if (option.action === 'handoff') {
      phase.value = 'handoff'
      return (need().handoff?.(orderNo.value) ?? Promise.resolve()).catch(e => explain(e))
    }
    inflight = request(option.method).finally(() => {
      inflight = undefined
    })
    return inflight
  }

  /** A new QR code (new attempt) after the last one expired. */
  function refreshQr(): Promise<void> {
    const method = qr.value?.method
    qr.value = undefined
    pendingKey = undefined
    return method ? pay({ method, action: 'pay' }) : Promise.resolve()
  }

  function closeGuide(): void {
    phase.value = 'ready'
  }

  /**
   * Opens the checkout for `orderNo`. Returning from WeChat OAuth, the code is taken out of the URL
   * first and sent with the one request that yields the JSAPI parameters; the order loads after.
   */
  async function init(no: string): Promise<void> {
    const d = need()
    orderNo.value = no
    if (!no) {
      phase.value = 'error'
      notice.value = { key: 'checkout.noOrder', retry: false, tone: 'error' }
      return
    }
    const returned = d.oauth ? takeOAuthReturn(d.oauth) : undefined
    if (returned) {
      if (!consumeOAuthState(d.oauth!, returned.state)) {
        await loadOrder()
        return fail('error.oauth_state')
      }
      if (returned.provider === 'alipay')
        await request('alipay_app', { alipayAuthCode: returned.code, oauthState: returned.state })
      else
        await request('wechat_jsapi', { wechatCode: returned.code, oauthState: returned.state })
      if (!order.value)
        await loadOrder()
      return
    }
    await loadOrder()
    if (phase.value !== 'ready')
      return
    const first = choice.value?.options[0]
    // Inside WeChat JSAPI starts by itself; on a PC the QR code appears without a click;
    // in a mini-program web-view the hand-off starts at once.
    if (first && ((d.env.kind === 'wechat' && first.method === 'wechat_jsapi')
      || ((d.env.kind === 'alipay' || d.env.kind === 'alipay-hk') && first.method === 'alipay_app')
      || first.method === 'wechat_native' || first.method === 'alipay_qr' || first.action === 'handoff')) {
      await pay(first)
    }
  }

  function onPaymentSucceeded(): void {
    if (deps?.oauth)
      resetReauthorizeGuard(deps.oauth)
  }

  return { order, orderNo, phase, notice, selected, qr, busy, choice, init, pay, refreshQr, closeGuide, loadOrder, onPaymentSucceeded }
})

/** The store's public surface, stated explicitly (what the page reads and calls). */
export interface CheckoutStore {
  readonly order: OrderView | undefined
  readonly orderNo: string
  readonly phase: CheckoutPhase
  readonly notice: CheckoutNotice | undefined
  selected: PayOption | undefined
  readonly qr: QrState | undefined
  readonly busy: boolean
  readonly choice: PayChoice | undefined
  init: (orderNo: string) => Promise<void>
  pay: (option?: PayOption) => Promise<void>
  refreshQr: () => Promise<void>
  closeGuide: () => void
  loadOrder: () => Promise<void>
  onPaymentSucceeded: () => void
}

/** The checkout store, typed by its explicit surface (pinia's inference widens it under this toolchain). */
export function useCheckout(): CheckoutStore {
  return useCheckoutStore() as unknown as CheckoutStore
}
