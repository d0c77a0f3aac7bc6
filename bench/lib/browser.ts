/**
 * Chromium as the end-to-end tests drive it (same binary and launch flags), for the browser benchmarks.
 * Page-side code is written as strings: bench/ is type-checked without the DOM library.
 */
import type { Buffer } from 'node:buffer'
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../playwright.config'

/** Real user agents (the first three are tests/e2e/support.ts's). */
export const UA = {
  wechatIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003135) NetType/4G Language/zh_CN',
  iphoneSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  desktopChrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  alipayIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/16E227 ChannelId(21) NebulaSDK/1.8.100112 Nebula WK PSDType(1) AlipayDefined(nt:WIFI,ws:375|603|2.0) AliApp(AP/10.1.60.6001) AlipayClient/10.1.60.6001 Alipay Language/zh-Hans',
} as const

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 }
const DESKTOP = { viewport: { width: 1280, height: 800 } }

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}

export interface ContextOptions {
  /**
   * Inject the sandbox's WeixinJSBridge and AlipayJSBridge (the wallet app's own, so not counted as page weight)
   * plus a call recorder.
   */
  bridge?: boolean
  /**
   * Answer repeat requests for immutable assets from memory, as Chromium's HTTP cache would: Playwright's routing
   * disables that cache. Used where wall time matters (round trips); page weight flags repeats instead.
   */
  emulateCache?: boolean
}

/**
 * The page-side recorder of wallet calls — WeixinJSBridge.invoke(name, …) and AlipayJSBridge.call(name, …):
 * `window.__benchBridgeCalls` gets `{name, at}` (at = ms since the document's time origin) and the Node binding
 * `__benchBridge` is told first, so a stop condition can cut off the measurement before anything the call triggers.
 */
const BRIDGE_RECORDER = `(function () {
  window.__benchBridgeCalls = [];
  function wrap(bridge, method) {
    var b = window[bridge];
    if (!b || b.__benchWrapped) return;
    var inner = b[method].bind(b);
    b[method] = function (name, params, cb) {
      window.__benchBridgeCalls.push({ name: name, at: performance.now() });
      if (typeof window.__benchBridge === 'function') window.__benchBridge(name);
      return inner(name, params, cb);
    };
    b.__benchWrapped = true;
  }
  wrap('WeixinJSBridge', 'invoke');
  wrap('AlipayJSBridge', 'call');
})();`

/** A context that looks like `ua` and can reach nothing but `origin` (every other host: route.abort()). */
export async function newContext(browser: Browser, origin: string, ua: string, opts: ContextOptions = {}): Promise<BrowserContext> {
  const phone = ua !== UA.desktopChrome
  const context = await browser.newContext({ userAgent: ua, locale: 'zh-CN', ...(phone ? PHONE : DESKTOP) })
  const host = new URL(origin).host
  const cache = new Map<string, { status: number, headers: Record<string, string>, body: Buffer }>()
  await context.route('**/*', (route: Route) => {
    const url = new URL(route.request().url())
    if (url.host !== host)
      return route.abort()
    const hit = opts.emulateCache ? cache.get(url.href) : undefined
    return hit ? route.fulfill(hit) : route.continue()
  })
  if (opts.emulateCache) {
    // Fill the stand-in cache from what the browser itself downloaded (throttled like everything else).
    context.on('response', async (res) => {
      const url = new URL(res.url())
      const headers = await res.allHeaders().catch(() => ({} as Record<string, string>))
      if (url.host !== host || res.status() !== 200 || cache.has(url.href) || !/immutable|max-age=[1-9]/.test(headers['cache-control'] ?? ''))
        return
      const body = await res.body().catch(() => undefined)
      if (body)
        cache.set(url.href, { status: 200, headers, body })
    })
  }
  if (opts.bridge) {
    const script = await (await fetch(`${origin}/sandbox/bridge.js`)).text()
    await context.addInitScript(`${script}\n${BRIDGE_RECORDER}`)
  }
  return context
}

/** The wallet calls that ask to pay: WeChat's `invoke('getBrandWCPayRequest', …)`, Alipay's `call('tradePay', …)`. */
export type WalletPayCall = 'getBrandWCPayRequest' | 'tradePay'

/**
 * Installs a binding; `invoked` resolves when the page makes the wallet call `name` (by default WeChat's
 * getBrandWCPayRequest), and `onCall` runs synchronously on the Node side first. (An object, not a bare promise:
 * an async function would adopt it.)
 */
export async function onBridgeInvoke(page: Page, onCall: () => void, name: WalletPayCall = 'getBrandWCPayRequest'): Promise<{ invoked: Promise<void> }> {
  let resolve!: () => void
  const invoked = new Promise<void>((r) => {
    resolve = r
  })
  await page.exposeBinding('__benchBridge', (_source, called: unknown) => {
    if (called === name) {
      onCall()
      resolve()
    }
  })
  return { invoked }
}

/**
 * Polls a page-side expression until it is truthy and returns its value. (page.waitForFunction would need either
 * a string — which it evals in the page, refused by the cashier's CSP — or a function, which tsx compiles with
 * helpers that do not exist in the page; page.evaluate of a string goes through CDP and is not affected.)
 */
export async function waitFor(page: Page, expression: string, opts: { timeoutMs: number, intervalMs?: number, what?: string }): Promise<unknown> {
  const deadline = Date.now() + opts.timeoutMs
  while (true) {
    // A navigation in between destroys the context the expression ran in: just ask again.
    const value: unknown = await page.evaluate(expression).catch((e: Error) => {
      if (/context was destroyed|navigat/i.test(e.message))
        return undefined
      throw e
    })
    if (value)
      return value
    if (Date.now() > deadline)
      throw new Error(`${opts.what ?? expression.slice(0, 60)}: not true within ${opts.timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, opts.intervalMs ?? 20))
  }
}

/** Page-side: true once the QR canvas has opaque dark pixels on it (the code is drawn; a fresh canvas is transparent). */
export const QR_DRAWN = `(() => {
  const c = document.querySelector('[data-testid=qr-canvas]');
  if (!c || !c.width) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && d[i] < 50) return true;
  return false;
})()`

/**
 * Init script: stamps window.__benchQrAt (ms since the document's time origin) at the first animation frame in
 * which the QR canvas has dark pixels.
 */
export const QR_STAMP = `(() => {
  const tick = () => {
    if (window.__benchQrAt) return;
    if (${QR_DRAWN}) { window.__benchQrAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`

/** Page-side: true once the pay button is shown, enabled and not busy, on a ready checkout. */
export const PAY_READY = `(() => {
  const root = document.querySelector('.checkout[data-phase=ready]');
  const b = document.querySelector('[data-testid=pay]');
  if (!root || !b) return false;
  const disabled = b.hasAttribute('disabled') && b.getAttribute('disabled') !== 'false';
  const r = b.getBoundingClientRect();
  return !disabled && b.getAttribute('aria-busy') !== 'true' && r.width > 0 && r.height > 0;
})()`

/**
 * Every API call the benchmarks make themselves is bounded, and on a fresh connection: a pooled keep-alive
 * socket the server has just timed out answers ECONNRESET.
 */
const API_TIMEOUT_MS = 30_000
const JSON_HEADERS = { 'content-type': 'application/json', 'connection': 'close' }

export interface DemoOrder { orderNo: string, checkoutUrl: string }

export async function createOrder(origin: string, body: Record<string, unknown> = {}): Promise<DemoOrder> {
  const res = await fetch(`${origin}/api/demo/orders`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), signal: AbortSignal.timeout(API_TIMEOUT_MS) })
  if (res.status !== 201)
    throw new Error(`demo order failed: ${res.status} ${await res.text()}`)
  return res.json() as Promise<DemoOrder>
}

let keySeq = 0
export function idempotencyKey(): string {
  return `bench-${process.pid}-${Date.now()}-${keySeq++}`
}

/** Starts a WeChat Native payment for an order; returns its code_url. */
export async function createNativePayment(origin: string, orderNo: string): Promise<string> {
  const res = await fetch(`${origin}/api/payments`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'idempotency-key': idempotencyKey() },
    body: JSON.stringify({ orderNo, method: 'wechat_native' }),
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  })
  const action = await res.json() as { kind?: string, codeUrl?: string }
  if (res.status !== 200 || action.kind !== 'qrcode' || !action.codeUrl)
    throw new Error(`payment failed: ${res.status} ${JSON.stringify(action)}`)
  return action.codeUrl
}

/** The sandbox pays a Native code_url (the customer tapped Pay on the phone). */
export async function sandboxPay(origin: string, codeUrl: string, timeoutMs = API_TIMEOUT_MS): Promise<void> {
  const res = await fetch(`${origin}/sandbox/api/wechat/pay`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ code_url: codeUrl }), signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok)
    throw new Error(`sandbox pay failed: ${res.status} ${await res.text()}`)
}

export function checkoutPath(orderNo: string): string {
  return `/#/pages/checkout/checkout?orderNo=${encodeURIComponent(orderNo)}`
}
