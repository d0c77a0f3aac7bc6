import type { OrderView, PaymentAction } from '@/contract/api'
import type { ApiClient } from '@/src/api/client'
import type { OAuthHost } from '@/src/auth/wechat-oauth'
import type { Environment } from '@/src/env'
import type { CheckoutDeps } from '@/src/stores/checkout'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/src/api/errors'
import { useCheckoutStore } from '@/src/stores/checkout'

const order: OrderView = { orderNo: 'O1', subject: 's', merchantName: 'm', amountFen: 100, currency: 'CNY', status: 'pending', expiresAt: new Date(Date.now() + 600_000).toISOString(), methods: ['wechat_jsapi', 'wechat_h5', 'wechat_native', 'wechat_mp'] }
const env = (kind: Environment['kind'], native = false): Environment => ({ kind, os: 'ios', mobile: true, native, reasons: [] })
const jsapi: PaymentAction = { kind: 'jsapi', attemptId: 'a1', params: { appId: 'wx1', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' } }

function oauthHost(search = ''): OAuthHost & { replaced: string[], store: Map<string, string> } {
  const store = new Map<string, string>()
  const replaced: string[] = []
  const loc = { href: `https://p.example/${search}#/c`, search, hash: '#/c', pathname: '/', replace: (u: string) => void replaced.push(u) }
  return {
    replaced,
    store,
    location: loc,
    history: { state: null, replaceState: () => { loc.search = '' } },
    storage: { getItem: k => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: k => void store.delete(k) },
  }
}

/** A createPayment stand-in that always rejects with `make()`. */
function failWith(make: () => Error): ApiClient['createPayment'] {
  return async () => {
    throw make()
  }
}

function setup(over: Partial<CheckoutDeps> & { createPayment?: ApiClient['createPayment'] } = {}) {
  const createPayment = vi.fn(over.createPayment ?? (async () => jsapi))
  const api = { getOrder: vi.fn(async () => order), createPayment } as unknown as ApiClient
  const invoked: unknown[] = []
  const bridge = { WeixinJSBridge: { invoke: (_: string, p: unknown, cb: (r: { err_msg: string }) => void) => {
    invoked.push(p)
    cb({ err_msg: 'get_brand_wcpay_request:ok' })
  } }, document: { addEventListener: () => {}, removeEventListener: () => {} } }
  const goToResult = vi.fn()
  let n = 0
  const deps: CheckoutDeps = { api, env: env('wechat'), newKey: () => `key-${++n}`, goToResult, bridge, ...over }
  const store = useCheckoutStore()
  return { store, deps, createPayment, goToResult, invoked }
}

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('checkout flow', () => {
  it('returning from OAuth: the code goes out in the one request that yields JSAPI params, then the bridge', async () => {
    const oauth = oauthHost('?code=C1&state=S1')
    oauth.store.set('uc.oauthState', 'S1')
    const { store, deps, createPayment, invoked, goToResult } = setup({ oauth })
    await store.init('O1', deps)
    expect(createPayment).toHaveBeenCalledTimes(1)
    expect(createPayment.mock.calls[0]![0]).toEqual({ orderNo: 'O1', method: 'wechat_jsapi', wechatCode: 'C1', oauthState: 'S1' })
    expect(invoked).toHaveLength(1)
    expect(goToResult).toHaveBeenCalledWith('O1', 'pay')
    expect(oauth.location.search).toBe('')
  })

  it('a state that does not match stops before any payment request', async () => {
    const oauth = oauthHost('?code=C1&state=EVIL')
    oauth.store.set('uc.oauthState', 'S1')
    const { store, deps, createPayment } = setup({ oauth })
    await store.init('O1', deps)
    expect(createPayment).not.toHaveBeenCalled()
    expect(store.notice?.key).toBe('error.oauth_state')
  })

  it('a used code leads to one fresh authorisation, then a clear error — never a loop', async () => {
    const invalid = () => new ApiError({ code: 'oauth_code_invalid', status: 409, message: 'used', authorizeUrl: 'https://open.example/connect?state=NEW1#wechat_redirect' })
    const oauth = oauthHost('?code=C1&state=S1')
    oauth.store.set('uc.oauthState', 'S1')
    const first = setup({ oauth, createPayment: failWith(invalid) })
    await first.store.init('O1', first.deps)
    expect(oauth.replaced).toEqual(['https://open.example/connect?state=NEW1#wechat_redirect'])
    expect(oauth.store.get('uc.oauthState')).toBe('NEW1')
    // Back again with another bad code: no second redirect.
    setActivePinia(createPinia())
    oauth.location.search = '?code=C2&state=NEW1'
    const second = setup({ oauth, createPayment: failWith(invalid) })
    await second.store.init('O1', second.deps)
    expect(oauth.replaced).toHaveLength(1)
    expect(second.store.notice?.key).toBe('error.oauth_failed')
  })

  it('in a desktop browser the QR code is one request away: the payment\'s answer carries the order', async () => {
    const qrcode: PaymentAction = { kind: 'qrcode', attemptId: 'a1', codeUrl: 'weixin://wxpay/bizpayurl?pr=x', expiresAt: order.expiresAt, serverTime: new Date().toISOString() }
    const { store, deps, createPayment } = setup({ env: { ...env('desktop-browser'), mobile: false }, createPayment: async () => ({ ...qrcode, order }) })
    await store.init('O1', deps)
    expect(createPayment).toHaveBeenCalledTimes(1)
    expect(createPayment.mock.calls[0]![0]).toMatchObject({ orderNo: 'O1', method: 'wechat_native' })
    expect(deps.api.getOrder).not.toHaveBeenCalled()
    expect(store.order).toEqual(order)
    expect(store.phase).toBe('qrcode')
    expect(store.qr?.codeUrl).toBe(qrcode.codeUrl)
  })

  it('in a desktop browser a refused first payment (here: the order is paid) goes the usual way, order first', async () => {
    const { store, deps, createPayment, goToResult } = setup({ env: { ...env('desktop-browser'), mobile: false }, createPayment: failWith(() => new ApiError({ code: 'order_already_paid', status: 409, message: 'paid' })) })
    ;(deps.api.getOrder as ReturnType<typeof vi.fn>).mockResolvedValueOnce({ ...order, status: 'paid' })
    await store.init('O1', deps)
    expect(createPayment).toHaveBeenCalledTimes(1)
    expect(deps.api.getOrder).toHaveBeenCalledTimes(1)
    expect(goToResult).toHaveBeenCalledWith('O1')
    expect(store.notice).toBeUndefined()
  })

  it('a double tap makes one request with one Idempotency-Key', async () => {
    let release!: () => void
    const gate = new Promise<void>(r => (release = r))
    const { store, deps, createPayment } = setup({ env: env('mobile-browser'), redirect: { storage: { setItem: () => {} }, navigate: () => {} }, createPayment: async () => {
      await gate
      return { kind: 'redirect', attemptId: 'a', url: 'https://wx.example/h5' }
    } })
    await store.init('O1', deps)
    const a = store.pay()
    const b = store.pay()
    expect(store.busy).toBe(true)
    release()
    await Promise.all([a, b])
    expect(createPayment).toHaveBeenCalledTimes(1)
  })

  it('a network failure keeps the key so the retry is the same request', async () => {
    let calls = 0
    const { store, deps, createPayment } = setup({ env: env('mobile-browser'), redirect: { storage: { setItem: () => {} }, navigate: () => {} }, createPayment: async () => {
      if (calls++ === 0)
        throw new ApiError({ code: 'network', status: 0, message: 'offline' })
      return { kind: 'redirect', attemptId: 'a', url: 'https://wx.example/h5' }
    } })
    await store.init('O1', deps)
    await store.pay()
    expect(store.notice?.key).toBe('error.network')
    await store.pay()
    expect(createPayment.mock.calls.map(c => c[1])).toEqual(['key-1', 'key-1'])
    expect(store.phase).toBe('redirecting')
  })

  it('an order already paid goes straight to the result page', async () => {
    const { store, deps, goToResult } = setup({ env: env('mobile-browser'), createPayment: async () => {
      throw new ApiError({ code: 'order_already_paid', status: 409, message: 'paid' })
    } })
    await store.init('O1', deps)
    await store.pay()
    expect(goToResult).toHaveBeenCalledWith('O1')
  })

  it('in the mini program an expired session is renewed once and the payment retried', async () => {
    let n = 0
    const ensureSession = vi.fn(async () => 'tok')
    const pay = vi.fn(async () => ({ status: 'submitted' as const }))
    const { store, deps, createPayment, goToResult } = setup({ env: env('wechat-miniprogram', true), miniProgram: { ensureSession, pay }, createPayment: async () => {
      if (n++ === 0)
        throw new ApiError({ code: 'session_required', status: 401, message: 'login' })
      return { kind: 'mp', attemptId: 'a', params: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' } }
    } })
    await store.init('O1', deps)
    await store.pay()
    expect(ensureSession.mock.calls).toEqual([[], [{ fresh: true }]])
    expect(createPayment).toHaveBeenCalledTimes(2)
    expect(pay).toHaveBeenCalledTimes(1)
    expect(goToResult).toHaveBeenCalledWith('O1', 'pay')
  })

  it('inside WeChat, choosing Alipay opens the browser guide and makes no request', async () => {
    const oauth = oauthHost()
    const { store, deps, createPayment } = setup({ oauth, createPayment: async () => ({ kind: 'oauth_required', provider: 'wechat', authorizeUrl: 'https://open.example/a?state=X1' }) })
    await store.init('O1', deps)
    // Inside WeChat the JSAPI path started by itself (and went to authorise).
    expect(oauth.replaced).toEqual(['https://open.example/a?state=X1'])
    createPayment.mockClear()
    await store.pay({ method: 'alipay_wap', action: 'open-in-browser' })
    expect(store.phase).toBe('guide')
    expect(createPayment).not.toHaveBeenCalled()
  })
})
