import type { EnvironmentKind } from '@/src/env'
import type { AppShellHost, AppShellStarter } from '@/src/pwa/app-shell'
import { describe, expect, it, vi } from 'vitest'
import { detectEnvironment } from '@/src/env'
import { installAppShell, SERVICE_WORKER_URL, startAppShell, wantsAppShell } from '@/src/pwa/app-shell'
import uaFixture from '../fixtures/user-agents.json'

function starter() {
  let loaded: (() => void) | undefined
  const s = {
    afterLoad: vi.fn((fn: () => void) => {
      loaded = fn
    }),
    install: vi.fn(),
  } satisfies AppShellStarter
  return { s, load: () => loaded?.() }
}

function host(opts: { serviceWorker?: boolean } = {}) {
  const register = vi.fn(async () => ({}) as ServiceWorkerRegistration)
  const h = {
    serviceWorker: opts.serviceWorker === false ? undefined : { register },
    linkManifest: vi.fn(),
    onError: vi.fn(),
  } satisfies AppShellHost
  return { h, register }
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
    const { s, load } = starter()
    expect(startAppShell({ kind }, s)).toBe(expected)
    load()
    expect(s.afterLoad).toHaveBeenCalledTimes(expected ? 1 : 0)
    expect(s.install).toHaveBeenCalledTimes(expected ? 1 : 0)
  })

  it('loads nothing before the page has loaded', () => {
    const { s } = starter()
    startAppShell({ kind: 'mobile-browser' }, s)
    expect(s.install).not.toHaveBeenCalled()
  })

  it('links the manifest and registers sw.js relative to the page, so its scope is the cashier\'s directory wherever it is deployed', () => {
    const { h, register } = host()
    installAppShell(h)
    expect(h.linkManifest).toHaveBeenCalledTimes(1)
    expect(register.mock.calls).toEqual([['sw.js']])
    expect(SERVICE_WORKER_URL).toBe('sw.js')
  })

  it('without service workers (an old browser, plain http), still links the manifest', () => {
    const { h } = host({ serviceWorker: false })
    installAppShell(h)
    expect(h.linkManifest).toHaveBeenCalledTimes(1)
  })

  it('a refused registration is reported, not thrown', async () => {
    const { h, register } = host()
    register.mockRejectedValueOnce(new Error('SecurityError'))
    installAppShell(h)
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
