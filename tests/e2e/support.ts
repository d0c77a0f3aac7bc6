import type { Browser, BrowserContext, Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { expect } from '@playwright/test'
import { E2E_ORIGIN } from '../../playwright.config'

/** Real user agents (see tests/fixtures/user-agents.json for their sources). */
export const UA = {
  wechatIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003135) NetType/4G Language/zh_CN',
  iphoneSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  desktopChrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
} as const

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 }
const DESKTOP = { viewport: { width: 1280, height: 800 } }

export const origin = E2E_ORIGIN
const host = new URL(E2E_ORIGIN).host

/** A browser context that looks like `ua` and can reach nothing but the server under test. */
export async function newContext(browser: Browser, ua: string, opts: {
  bridge?: boolean
  outcome?: { wechat?: string, alipay?: string }
  /** Another browser language than zh-CN, a narrower or wider window, dark mode. */
  locale?: string
  viewport?: { width: number, height: number }
  colorScheme?: 'light' | 'dark'
} = {}): Promise<BrowserContext> {
  const phone = ua !== UA.desktopChrome
  const context = await browser.newContext({
    userAgent: ua,
    locale: opts.locale ?? 'zh-CN',
    ...(phone ? PHONE : DESKTOP),
    ...(opts.viewport ? { viewport: opts.viewport } : {}),
    colorScheme: opts.colorScheme ?? 'light',
  })
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    return url.host === host ? route.continue() : route.abort()
  })
  if (opts.outcome) {
    // What the sandbox's bridge answers, set before any page script runs.
    await context.addInitScript((o) => {
      (window as unknown as { __sandboxBridge: object }).__sandboxBridge = o
    }, opts.outcome)
  }
  if (opts.bridge) {
    const script = await (await fetch(`${origin}/sandbox/bridge.js`)).text()
    // Records each bridge call, so tests can count requests made before the wallet was invoked.
    await context.addInitScript(`window.__bridgeCalls = [];
${script}
(function () {
  var wrap = function () {
    var b = window.WeixinJSBridge;
    if (!b || b.__wrapped) return;
    var invoke = b.invoke.bind(b);
    b.invoke = function (name, params, cb) { window.__bridgeCalls.push({ name: name, params: params, at: performance.now() }); return invoke(name, params, cb); };
    b.__wrapped = true;
  };
  wrap();
  document.addEventListener('WeixinJSBridgeReady', wrap);
})();`)
  }
  return context
}

export async function setBridgeOutcome(page: Page, wechat: 'ok' | 'cancel' | 'fail'): Promise<void> {
  await page.evaluate((o) => {
    (window as unknown as { __sandboxBridge: Record<string, string> }).__sandboxBridge = { wechat: o }
  }, wechat)
}

export async function createOrder(body: Record<string, unknown> = {}): Promise<{ orderNo: string, checkoutUrl: string }> {
  const res = await fetch(`${origin}/api/demo/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (res.status !== 201)
    throw new Error(`demo order failed: ${res.status} ${await res.text()}`)
  return res.json() as Promise<{ orderNo: string, checkoutUrl: string }>
}

export async function sandbox(pathname: string, init?: { method?: string, body?: unknown }): Promise<unknown> {
  const res = await fetch(`${origin}/sandbox${pathname}`, {
    method: init?.method ?? (init?.body ? 'POST' : 'GET'),
    headers: init?.body ? { 'content-type': 'application/json' } : {},
    body: init?.body ? JSON.stringify(init.body) : undefined,
  })
  const text = await res.text()
  if (!res.ok)
    throw new Error(`sandbox ${pathname}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

export async function orderStatus(orderNo: string): Promise<string> {
  const res = await fetch(`${origin}/api/orders/${orderNo}/status`)
  return ((await res.json()) as { status: string }).status
}

/** Saves a screenshot of a final screen as a test artifact. */
export async function saveScreen(page: Page, name: string): Promise<void> {
  const dir = path.resolve('tests/artifacts')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true })
}

/** Waits until the QR canvas has dark pixels drawn on it. */
export async function qrDrawn(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('qr-canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]! > 200 && d[i]! < 50)
        return true
    }
    return false
  })).toBe(true)
}
