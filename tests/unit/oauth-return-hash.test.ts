import type { OAuthHost } from '@/src/auth/wechat-oauth'
import { describe, expect, it } from 'vitest'
import { takeOAuthReturn } from '@/src/auth/wechat-oauth'

function fakeHost(href: string): OAuthHost & { current: () => string } {
  let url = new URL(href)
  return {
    current: () => url.href,
    location: {
      get href() { return url.href },
      get search() { return url.search },
      get hash() { return url.hash },
      get pathname() { return url.pathname },
      replace: () => {},
    },
    history: { state: null, replaceState: (_d, _u, next) => { url = new URL(next!, url) } },
    storage: { getItem: () => null, setItem: () => {}, removeItem: () => {} },
  }
}

describe('an OAuth return appended after the hash route (redirect_uri with a #)', () => {
  it('takes Alipay\'s auth_code and state from the hash route\'s query and removes only what Alipay added', () => {
    const h = fakeHost('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1&app_id=2021&source=alipay_wallet&scope=auth_base&auth_code=A1&state=S2')
    expect(takeOAuthReturn(h)).toEqual({ code: 'A1', state: 'S2', provider: 'alipay' })
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1')
    // A refresh, or the page's own onLoad running again, finds nothing to replay: no authorisation loop.
    expect(takeOAuthReturn(h)).toBeUndefined()
  })

  it('keeps the route when Alipay\'s parameters were its whole query', () => {
    const h = fakeHost('https://pay.example.com/#/pages/checkout/checkout?auth_code=A1&state=S2')
    expect(takeOAuthReturn(h)).toMatchObject({ code: 'A1', provider: 'alipay' })
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout')
  })

  it('prefers the query before the #, and then leaves the hash alone', () => {
    const h = fakeHost('https://pay.example.com/?auth_code=A1&state=S1#/pages/checkout/checkout?orderNo=O1&state=page-state')
    expect(takeOAuthReturn(h)).toEqual({ code: 'A1', state: 'S1', provider: 'alipay' })
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1&state=page-state')
  })

  it('a hash route with its own state but no code is not an OAuth return', () => {
    const h = fakeHost('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1&state=x')
    expect(takeOAuthReturn(h)).toBeUndefined()
    expect(h.current()).toBe('https://pay.example.com/#/pages/checkout/checkout?orderNo=O1&state=x')
  })
})
