import type { EnvironmentKind } from '@/src/env'
import type { AppShellHost } from '@/src/pwa/app-shell'
import { describe, expect, it, vi } from 'vitest'
import { detectEnvironment } from '@/src/env'
import { SERVICE_WORKER_URL, startAppShell, wantsAppShell } from '@/src/pwa/app-shell'
import uaFixture from '../fixtures/user-agents.json'

function host(opts: { serviceWorker?: boolean } = {}) {
  let loaded: (() => void) | undefined
  const register = vi.fn(async () => ({}) as ServiceWorkerRegistration)
  const h = {
    serviceWorker: opts.serviceWorker === false ? undefined : { register },
    linkManifest: vi.fn(),
    afterLoad: vi.fn((fn: () => void) => {
      loaded = fn
    }),
    onError: vi.fn(),
  } satisfies AppShellHost
  return { h, register, load: () => loaded?.() }
}

const KINDS: Array<[EnvironmentKind, boolean]> = [
  ['mobile-browser', true],
  ['desktop-browser', true],
  ['wechat', false],
  ['wechat-miniprogram', false],
  ['wechat-desktop', false],
  ['wecom', false],
  ['alipay', false],
  ['alipay-hk', false],
  ['other-app', false],
]

describe('the app shell (manifest + service worker)', () => {
  it.each(KINDS)('%s: installed → %s', (kind, expected) => {
    const { h, register, load } = host()
    expect(startAppShell({ kind }, h)).toBe(expected)
    load()
    expect(h.afterLoad).toHaveBeenCalledTimes(expected ? 1 : 0)
    expect(h.linkManifest).toHaveBeenCalledTimes(expected ? 1 : 0)
    expect(register.mock.calls).toEqual(expected ? [[SERVICE_WORKER_URL]] : [])
  })

  it('does nothing before the page has loaded', () => {
    const { h, register } = host()
    startAppShell({ kind: 'mobile-browser' }, h)
    expect(h.linkManifest).not.toHaveBeenCalled()
    expect(register).not.toHaveBeenCalled()
  })

  it('registers relative to the page, so its scope is the cashier\'s directory wherever it is deployed', () => {
    expect(SERVICE_WORKER_URL).toBe('sw.js')
  })

  it('without service workers (an old browser, plain http), still links the manifest', () => {
    const { h, load } = host({ serviceWorker: false })
    startAppShell({ kind: 'mobile-browser' }, h)
    load()
    expect(h.linkManifest).toHaveBeenCalledTimes(1)
  })

  it('a refused registration is reported, not thrown', async () => {
    const { h, register, load } = host()
    register.mockRejectedValueOnce(new Error('SecurityError'))
    startAppShell({ kind: 'desktop-browser' }, h)
    load()
    await Promise.resolve()
    await Promise.resolve()
    expect(h.onError).toHaveBeenCalledTimes(1)
  })

  it('over every real user agent: only browsers get it — never WeChat, WeCom, Alipay or another app\'s WebView', () => {
    const cases = (uaFixture as { cases: Array<{ ua: string, expect: { kind: EnvironmentKind } }> }).cases
    const inApps = cases.filter(c => !wantsAppShell(detectEnvironment({ userAgent: c.ua, uniPlatform: 'h5' })))
    for (const c of cases) {
      const env = detectEnvironment({ userAgent: c.ua, uniPlatform: 'h5' })
      expect(wantsAppShell(env), c.ua).toBe(c.expect.kind === 'mobile-browser' || c.expect.kind === 'desktop-browser')
    }
    expect(inApps.some(c => /MicroMessenger/.test(c.ua))).toBe(true)
    expect(inApps.some(c => /AlipayClient/.test(c.ua))).toBe(true)
  })
})
