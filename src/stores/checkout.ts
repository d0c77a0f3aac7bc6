import type { MiniProgramPayParams, OrderView } from '../../contract/api'
import type { PayMethod } from '../../contract/methods'
import type { ApiClient } from '../api/client'
import type { Environment } from '../env/types'
import type { PayChoice, PayOption } from '../pay/choose'
import type { ActionHosts, QrState } from '../pay/next-action'
import type { Notice, Reaction } from '../pay/notice'
import type { PayOutcome } from '../pay/outcome'
import type { PendingKey, StartPaymentInput } from '../pay/start-payment'
import type { StatusWatcher, WatcherHost } from '../result/watcher'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import { isApiError } from '../api/errors'
import { beginAuthorization, consumeOAuthState, mayReauthorize, resetReauthorizeGuard, takeOAuthReturn } from '../auth/wechat-oauth'
import { choosePayMethods } from '../pay/choose'
import { runNextAction } from '../pay/next-action'
import { reactToError } from '../pay/notice'
import { startPayment } from '../pay/start-payment'
import { watchOrderStatus } from '../result/watcher'

export type { QrState } from '../pay/next-action'
export type CheckoutNotice = Notice

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

/** Everything the checkout touches outside itself, passed to `init` so the flow is tested without a browser. */
export interface CheckoutDeps extends Omit<ActionHosts, 'mpPay'> {
  api: ApiClient
  env: Environment
  newKey: () => string
  goToResult: (orderNo: string, from?: 'pay') => void
  /** Watches an order on the server while its QR code is shown, so the page moves on once the phone has paid. */
  watcherHost?: (orderNo: string) => WatcherHost
  /** Hands the order to the mini program (from a mini-program web-view). */
  handoff?: (orderNo: string) => Promise<void>
  /** Inside the mini program itself: login session and uni.requestPayment. */
  miniProgram?: {
    ensureSession: (opts?: { fresh?: boolean }) => Promise<string>
    pay: (params: MiniProgramPayParams) => Promise<PayOutcome>
  }
}

export const useCheckoutStore = defineStore('checkout', () => {
  /** What `init` was given: this store's own, not a module's. */
  let deps: CheckoutDeps | undefined
  /** The order as the server sent it. */
  const order = ref<OrderView>()
  const orderNo = ref('')
  const phase = ref<CheckoutPhase>('loading')
  const notice = ref<CheckoutNotice>()
  const selected = ref<PayOption>()
  const qr = shallowRef<QrState>()
  /** True while a payment request is in flight: the button is disabled and taps are ignored. */
  const busy = ref(false)

  function need(): CheckoutDeps {
    if (!deps)
      throw new Error('init(orderNo, deps) must run before the checkout store is used')
    return deps
  }

  /**
   * The methods offered here. Kept as state, set with the order, rather than a computed: pinia 2.2's getter types
   * expect Vue 3.5's computed refs and read Vue 3.4's as `any`.
   */
  const choice = shallowRef<PayChoice>()

  // One key per payment intention: a retried request after a network error reuses it.
  const pendingKey: PendingKey = {}
  let inflight: Promise<void> | undefined

  function show(n: CheckoutNotice): void {
    notice.value = n
    phase.value = n.tone === 'info' || order.value ? 'ready' : 'error'
  }

  function react(reaction: Reaction): void {
    if (reaction.kind === 'notice')
      show(reaction.notice)
    else if (reaction.kind === 'result' && reaction.from)
      need().goToResult(orderNo.value, reaction.from)
    else if (reaction.kind === 'result')
      need().goToResult(orderNo.value)
  }

  async function loadOrder(): Promise<void> {
    try {
      const d = need()
      order.value = await d.api.getOrder(orderNo.value)
      choice.value = choosePayMethods(d.env, order.value.methods)
      selected.value ??= choice.value?.options[0]
      if (order.value.status === 'paid' || order.value.status === 'refunded') {
        d.goToResult(orderNo.value)
        return
      }
      if (order.value.status !== 'pending')
        return show({ key: new Date(order.value.expiresAt).getTime() <= Date.now() ? 'error.order_expired' : 'error.order_not_payable', retry: false, tone: 'error' })
      if (phase.value === 'loading' || phase.value === 'error')
        phase.value = 'ready'
    }
    catch (e) {
      react(reactToError(e))
    }
  }

  /** Takes the order from a payment's answer when the page has none yet (see `init`). */
  function takeOrder(view: OrderView): void {
    order.value = view
    choice.value = choosePayMethods(need().env, view.methods)
    selected.value ??= choice.value?.options[0]
  }

  /**
   * Asks for a payment and carries out its next step. `first`: the page has no order yet and asks for the payment
   * before it (a desktop browser's QR code); a refusal then answers false instead of showing a notice, and the page
   * loads the order the usual way.
   */
  async function request(method: PayMethod, extra: Omit<StartPaymentInput, 'orderNo' | 'method'> = {}, first = false): Promise<boolean> {
    const d = need()
    busy.value = true
    notice.value = undefined
    if (!first)
      phase.value = 'starting'
    try {
      const action = await startPayment({ api: d.api, newKey: d.newKey, ensureSession: d.miniProgram?.ensureSession }, pendingKey, { orderNo: orderNo.value, method, ...extra })
      if (first) {
        if (!action.order)
          await loadOrder()
        else
          takeOrder(action.order)
      }
      const step = await runNextAction(action, {
        orderNo: orderNo.value,
        method,
        hosts: { ...d, mpPay: d.miniProgram?.pay },
        onPhase: (p) => {
          phase.value = p
        },
      })
      if (step.kind === 'qrcode') {
        qr.value = step.qr
        phase.value = 'qrcode'
      }
      else if (step.kind === 'react') {
        react(step.reaction)
      }
      return true
    }
    catch (e) {
      if (first)
        return false
      if (isApiError(e) && e.code === 'oauth_code_invalid' && d.oauth && e.authorizeUrl && mayReauthorize(d.oauth, orderNo.value)) {
        phase.value = 'authorizing'
        beginAuthorization(d.oauth, e.authorizeUrl)
        return true
      }
      react(reactToError(e))
      return true
    }
    finally {
      busy.value = false
    }
  }

  // While a QR code is shown, watch the order so the page moves on as soon as the phone has paid.
  let watcher: StatusWatcher | undefined
  function stopWatching(): void {
    watcher?.stop()
    watcher = undefined
  }
  watch(() => phase.value === 'qrcode', (showing) => {
    stopWatching()
    const d = deps
    if (showing && order.value && d?.watcherHost) {
      const no = order.value.orderNo
      watcher = watchOrderStatus(d.watcherHost(no), {
        onStatus: (view) => {
          if (view.status !== 'pending')
            d.goToResult(no)
        },
      })
    }
  })

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
      return (need().handoff?.(orderNo.value) ?? Promise.resolve()).catch(e => react(reactToError(e)))
    }
    inflight = request(option.method).then(() => {}).finally(() => {
      inflight = undefined
    })
    return inflight
  }

  /** A new QR code (new attempt) after the last one expired. */
  function refreshQr(): Promise<void> {
    const method = qr.value?.method
    qr.value = undefined
    pendingKey.current = undefined
    return method ? pay({ method, action: 'pay' }) : Promise.resolve()
  }

  function closeGuide(): void {
    phase.value = 'ready'
  }

  /**
   * Opens the checkout for `orderNo` with the page's dependencies. Returning from WeChat OAuth, the code is taken
   * out of the URL first and sent with the one request that yields the JSAPI parameters; the order loads after.
   */
  async function init(no: string, d: CheckoutDeps): Promise<void> {
    deps = d
    orderNo.value = no
    if (!no) {
      phase.value = 'error'
      notice.value = { key: 'checkout.noOrder', retry: false, tone: 'error' }
      return
    }
    const returned = d.oauth ? takeOAuthReturn(d.oauth) : undefined
    if (returned && d.oauth) {
      if (!consumeOAuthState(d.oauth, returned.state)) {
        await loadOrder()
        return show({ key: 'error.oauth_state', retry: true, tone: 'error' })
      }
      if (returned.provider === 'alipay')
        await request('alipay_app', { alipayAuthCode: returned.code, oauthState: returned.state })
      else
        await request('wechat_jsapi', { wechatCode: returned.code, oauthState: returned.state })
      if (!order.value)
        await loadOrder()
      return
    }
    // A desktop browser shows a QR code (choose.ts), WeChat's when the order allows it: ask for it at once, and take
    // the order from the answer, so the code is one request away. A refusal (paid, expired, WeChat Pay not allowed)
    // goes the usual way: the order first, then what it allows.
    if (d.env.kind === 'desktop-browser' && await request('wechat_native', {}, true))
      return
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

  return { order, orderNo, phase, notice, selected, qr, busy, choice, init, pay, refreshQr, closeGuide, loadOrder, onPaymentSucceeded, stopWatching }
})

if (import.meta.hot)
  import.meta.hot.accept(acceptHMRUpdate(useCheckoutStore, import.meta.hot))
