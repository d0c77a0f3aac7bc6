import type { OAuthHost } from '@/src/auth/wechat-oauth'
import { describe, expect, it } from 'vitest'
import { beginAuthorization, consumeOAuthState, mayReauthorize, newOAuthState, takeOAuthReturn } from '@/src/auth/wechat-oauth'

function fakeHost(href: string): OAuthHost & { replaced: string[], store: Map<string, string>, current: () => string } {
  let url = new URL(href)
  const store = new Map<string, string>()
  const replaced: string[] = []
  return {
    replaced,
    store,
    current: () => url.href,
    location: {
      get href() { return url.href },
      get search() { return url.search },
      get hash() { return url.hash },
      get pathname() { return url.pathname },
      replace: (u: string) => void replaced.push(u),
    },
    history: { state: null, replaceState: (_d, _u, next) => { url = new URL(next!, url) } },
    storage: { getItem: k => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: k => void store.delete(k) },
  }
}

describe('weChat OAuth return', () => {
  it('takes code and state from before the # and removes them from the address bar at once', () => {
    const h = fakeHost('https://pay.example.com/?code=C1&state=S1#/pages/checkout/checkout?orderNo=O1')
    expect(takeOAuthReturn(h)).toEqual({ code: 'C1', state: 'S1', provider: 'wechat' })
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1')
    // A refresh now has nothing to replay.
    expect(takeOAuthReturn(h)).toBeUndefined()
  })

  it('keeps other query parameters', () => {
    const h = fakeHost('https://pay.example.com/?from=qr&code=C1&state=S1#/x')
    takeOAuthReturn(h)
    expect(h.current()).toBe('https://pay.example.com/?from=qr#/x')
  })

  it('accepts only the state this tab stored, once', () => {
    const h = fakeHost('https://pay.example.com/')
    beginAuthorization(h, 'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&redirect_uri=x&response_type=code&scope=snsapi_base&state=abc123#wechat_redirect')
    expect(h.replaced).toHaveLength(1)
    expect(consumeOAuthState(h, 'evil')).toBe(false)
    beginAuthorization(h, 'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&state=abc123#wechat_redirect')
    expect(consumeOAuthState(h, 'abc123')).toBe(true)
    expect(consumeOAuthState(h, 'abc123')).toBe(false)
  })

  it('allows one fresh authorisation per order, never a loop', () => {
    const h = fakeHost('https://pay.example.com/')
    expect(mayReauthorize(h, 'O1')).toBe(true)
    expect(mayReauthorize(h, 'O1')).toBe(false)
    expect(mayReauthorize(h, 'O2')).toBe(true)
  })

  it('makes 32-hex-digit states WeChat accepts', () => {
    expect(newOAuthState()).toMatch(/^[a-f0-9]{32}$/)
    expect(newOAuthState()).not.toBe(newOAuthState())
  })
})

describe('alipay OAuth return', () => {
  it('takes auth_code and removes everything Alipay added', () => {
    const h = fakeHost('https://pay.example.com/?app_id=2021&source=alipay_wallet&scope=auth_base&auth_code=A1&state=S2#/pages/checkout/checkout?orderNo=O1')
    expect(takeOAuthReturn(h)).toEqual({ code: 'A1', state: 'S2', provider: 'alipay' })
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1')
  })
})
