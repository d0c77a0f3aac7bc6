import type { OrderStatusView, OrderView, PaymentAction } from '@/contract/api'
import type { WatcherHost } from '@/src/result/watcher'
import type { ResultDeps } from '@/src/stores/result'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/src/api/errors'
import { savePendingAttempt } from '@/src/pay/pending-attempt'
import { useResultStore } from '@/src/stores/result'

const order: OrderView = { orderNo: 'O1', subject: 's', merchantName: 'm', amountFen: 100, currency: 'CNY', status: 'pending', expiresAt: new Date(Date.now() + 600_000).toISOString(), methods: ['wechat_h5'] }
const statusView = (status: OrderStatusView['status']): OrderStatusView => ({ orderNo: 'O1', status, amountFen: 100, serverTime: new Date().toISOString() })

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const m = new Map<string, string>()
  return { getItem: k => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: k => void m.delete(k) }
}

function setup(createPayment: ResultDeps['api']['createPayment'], status: OrderStatusView['status'] = 'pending') {
  const storage = memoryStorage()
  savePendingAttempt(storage, { orderNo: 'O1', method: 'wechat_h5', attemptId: 'a0', startedAt: 0 })
  const navigated: string[] = []
  const fetchStatus = vi.fn(async () => statusView(status))
  const host: WatcherHost = { fetchStatus, eventsUrl: '', setTimeout: () => 0, clearTimeout: () => {} }
  let n = 0
  const deps: ResultDeps = {
    api: { getOrder: vi.fn(async () => order), createPayment: vi.fn(createPayment) },
    newKey: () => `key-${++n}`,
    watcherHost: () => host,
    pendingAttempts: storage,
    redirect: { storage, navigate: url => void navigated.push(url) },
    goToCheckout: vi.fn(),
  }
  const store = useResultStore()
  return { store, deps, navigated, storage, fetchStatus }
}

const flush = () => new Promise(r => setTimeout(r, 0))

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('result page', () => {
  it('back from a wallet page it asks, and shows the server\'s status', async () => {
    const { store, deps } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }))
    store.open('O1', 'h5', deps)
    await flush()
    expect(store.askConfirm).toBe(true)
    expect(store.status).toBe('pending')
    await store.confirmPaid()
    expect(store.askConfirm).toBe(false)
    expect(store.message?.key).toBe('result.notYet')
  })

  it('pay again goes back to the wallet page with a fresh attempt', async () => {
    const { store, deps, navigated } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }))
    store.open('O1', 'h5', deps)
    await flush()
    await store.payAgain()
    expect(navigated).toEqual(['https://wx.example/h5'])
    expect(deps.api.createPayment).toHaveBeenCalledWith({ orderNo: 'O1', method: 'wechat_h5' }, 'key-1')
  })

  it('pay again after a network failure retries with the same key, and says why it failed', async () => {
    let calls = 0
    const { store, deps, navigated } = setup(async (): Promise<PaymentAction> => {
      if (calls++ === 0)
        throw new ApiError({ code: 'network', status: 0, message: 'offline' })
      return { kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }
    })
    store.open('O1', 'h5', deps)
    await flush()
    await store.payAgain()
    expect(store.message?.key).toBe('error.network')
    expect(store.busy).toBe(false)
    await store.payAgain()
    expect(vi.mocked(deps.api.createPayment).mock.calls.map(c => c[1])).toEqual(['key-1', 'key-1'])
    expect(navigated).toHaveLength(1)
  })

  it('pay again on an order already paid says so', async () => {
    const { store, deps } = setup(async () => {
      throw new ApiError({ code: 'order_already_paid', status: 409, message: 'paid' })
    })
    store.open('O1', 'h5', deps)
    await flush()
    await store.payAgain()
    expect(store.message?.key).toBe('error.order_already_paid')
  })

  it('without a wallet page to return to, pay again opens the checkout', async () => {
    const { store, deps, storage } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }))
    storage.removeItem('uc.pendingAttempt')
    store.open('O1', undefined, deps)
    await flush()
    await store.payAgain()
    expect(deps.goToCheckout).toHaveBeenCalledWith('O1')
    expect(deps.api.createPayment).not.toHaveBeenCalled()
  })

  it('a final status forgets the pending attempt', async () => {
    const { store, deps, storage } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }), 'paid')
    store.open('O1', 'h5', deps)
    await flush()
    expect(store.status).toBe('paid')
    expect(store.askConfirm).toBe(false)
    expect(storage.getItem('uc.pendingAttempt')).toBeNull()
  })

  it('opened offline: the order loads once the watcher hears from the server again', async () => {
    const { store, deps, fetchStatus } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }))
    const getOrder = vi.mocked(deps.api.getOrder)
    getOrder.mockRejectedValueOnce(new ApiError({ code: 'network', status: 0, message: 'request:fail' }))
    fetchStatus.mockRejectedValueOnce(new ApiError({ code: 'network', status: 0, message: 'request:fail' }))
    store.open('O1', undefined, deps)
    await flush()
    expect(store.problem?.key).toBe('error.network')
    expect(store.order).toBeUndefined()
    // Back online: the watcher's next answer brings the order back with it.
    await store.confirmPaid()
    await flush()
    expect(getOrder).toHaveBeenCalledTimes(2)
    expect(store.problem).toBeUndefined()
    expect(store.order?.orderNo).toBe('O1')
  })

  it('no order number: a problem, no request', () => {
    const { store, deps, fetchStatus } = setup(async () => ({ kind: 'redirect', attemptId: 'a1', url: 'https://wx.example/h5' }))
    store.open('', undefined, deps)
    expect(store.problem?.key).toBe('result.noOrder')
    expect(fetchStatus).not.toHaveBeenCalled()
  })
})
