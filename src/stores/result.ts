import type { OrderStatus, OrderStatusView, OrderView } from '../../contract/api'
import type { ApiClient } from '../api/client'
import type { RedirectHost } from '../pay/drivers/redirect'
import type { Notice } from '../pay/notice'
import type { PendingKey } from '../pay/start-payment'
import type { StatusWatcher, WatcherHost } from '../result/watcher'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { isApiError } from '../api/errors'
import { runNextAction } from '../pay/next-action'
import { reactToError } from '../pay/notice'
import { clearPendingAttempt, readPendingAttempt } from '../pay/pending-attempt'
import { startPayment } from '../pay/start-payment'
import { watchOrderStatus } from '../result/watcher'

/** Everything the result page touches outside itself, passed to `open`. */
export interface ResultDeps {
  api: Pick<ApiClient, 'getOrder' | 'createPayment'>
  newKey: () => string
  /** How this platform watches an order: server-sent events and visibility on H5, polling in the mini program. */
  watcherHost: (orderNo: string) => WatcherHost
  /** H5: the attempt remembered before leaving for a wallet's page (sessionStorage). */
  pendingAttempts?: Pick<Storage, 'getItem' | 'removeItem'>
  /** H5: the way back to a wallet's page. */
  redirect?: RedirectHost
  goToCheckout: (orderNo: string) => void
}

export const useResultStore = defineStore('result', () => {
  let deps: ResultDeps | undefined
  let watcher: StatusWatcher | undefined
  const pendingKey: PendingKey = {}

  const orderNo = ref('')
  /** The order as the server sent it (amount, merchant, return URL). */
  const order = shallowRef<OrderView>()
  /** The order's status: the server's word, from the watcher or the order. */
  const status = ref<OrderStatus>()
  const paidAt = ref<string>()
  /** Back from a wallet's page: WeChat requires asking "have you paid?" rather than concluding. */
  const askConfirm = ref(false)
  const checking = ref(false)
  /** True while "pay again" asks the server. */
  const busy = ref(false)
  /** A line under the status (not yet paid, pay again failed). */
  const message = ref<Notice>()
  /** Nothing to show: no order number, or the order could not be loaded. */
  const problem = ref<Notice>()

  function need(): ResultDeps {
    if (!deps)
      throw new Error('open(orderNo, from, deps) must run before the result store is used')
    return deps
  }

  function onStatus(view: Pick<OrderStatusView, 'status' | 'paidAt'>): void {
    status.value = view.status
    paidAt.value = view.paidAt
    // The server answers again (the page opened offline): load the order that could not be loaded then.
    if (problem.value?.key === 'error.network' && !order.value)
      void load()
    if (view.status !== 'pending') {
      askConfirm.value = false
      if (deps?.pendingAttempts)
        clearPendingAttempt(deps.pendingAttempts)
    }
  }

  async function load(): Promise<void> {
    problem.value = undefined
    try {
      order.value = await need().api.getOrder(orderNo.value)
      status.value ??= order.value.status
      paidAt.value ??= order.value.paidAt
    }
    catch (e) {
      problem.value = { key: isApiError(e) && e.code === 'order_not_found' ? 'error.order_not_found' : 'error.network', retry: true, tone: 'error' }
    }
  }

  /** Opens the result of `orderNo`: loads the order and watches it until it is final. */
  function open(no: string, from: string | undefined, d: ResultDeps): void {
    stop()
    deps = d
    orderNo.value = no
    order.value = undefined
    status.value = undefined
    paidAt.value = undefined
    checking.value = false
    busy.value = false
    message.value = undefined
    problem.value = undefined
    pendingKey.current = undefined
    if (!no) {
      askConfirm.value = false
      problem.value = { key: 'result.noOrder', retry: false, tone: 'error' }
      return
    }
    askConfirm.value = from === 'h5' || from === 'wap'
    void load()
    watcher = watchOrderStatus(d.watcherHost(no), { onStatus })
  }

  /** "I have paid": ask the server now (it queries the provider if the notification is late). */
  async function confirmPaid(): Promise<void> {
    checking.value = true
    message.value = undefined
    const view = await watcher?.checkNow()
    checking.value = false
    if (view?.status === 'pending') {
      askConfirm.value = false
      message.value = { key: 'result.notYet', retry: false, tone: 'info' }
    }
  }

  /**
   * "Pay again": back on a wallet's page with the same method (through startPayment, like the checkout: the same
   * Idempotency-Key rules and the same error table), or else back to the checkout.
   */
  async function payAgain(): Promise<void> {
    const d = need()
    const pending = d.pendingAttempts ? readPendingAttempt(d.pendingAttempts, orderNo.value) : undefined
    if (d.redirect && pending && (pending.method === 'wechat_h5' || pending.method === 'alipay_wap') && status.value === 'pending') {
      busy.value = true
      try {
        const action = await startPayment(d, pendingKey, { orderNo: orderNo.value, method: pending.method })
        if (action.kind === 'redirect') {
          const step = await runNextAction(action, { orderNo: orderNo.value, method: pending.method, hosts: { redirect: d.redirect }, onPhase: () => {} })
          if (step.kind === 'react' && step.reaction.kind === 'notice') {
            message.value = step.reaction.notice
            busy.value = false
          }
          return
        }
      }
      catch (e) {
        const reaction = reactToError(e)
        // Already paid: this page is where that shows; say so until the watcher brings the status.
        message.value = reaction.kind === 'notice' ? reaction.notice : { key: 'error.order_already_paid', retry: false, tone: 'info' }
        busy.value = false
        return
      }
      busy.value = false
    }
    d.goToCheckout(orderNo.value)
  }

  function resume(): void {
    watcher?.resume()
  }

  function pause(): void {
    watcher?.pause()
  }

  function stop(): void {
    watcher?.stop()
    watcher = undefined
  }

  return { orderNo, order, status, paidAt, askConfirm, checking, busy, message, problem, open, load, confirmPaid, payAgain, resume, pause, stop }
})

if (import.meta.hot)
  import.meta.hot.accept(acceptHMRUpdate(useResultStore, import.meta.hot))
