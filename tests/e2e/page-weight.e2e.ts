import type { Page } from '@playwright/test'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { kb, libraryMarkerProblems, recordWeight, summarizeWeight } from '../../bench/lib/weight'
import { createOrder, newContext, origin, qrDrawn, UA } from './support'

/**
 * Page weight budget (byte counts only, no timings). Accounting as in `npm run bench` (bench/lib/weight.ts): every
 * response from the server counted, static bodies gzip -9, API raw, repeats of immutable assets left out (a real
 * browser has them cached; Playwright's routing turns Chromium's cache off). Libraries are recognised by strings
 * from their own source, so the verdicts do not depend on chunk names.
 */
const WECHAT_BUDGET_BYTES = 90_000
const host = new URL(origin).host

/** Resolves when the page invokes getBrandWCPayRequest; `onCall` runs first, before anything the call triggers. */
async function onWalletInvoked(page: Page, onCall: () => void): Promise<{ invoked: Promise<void> }> {
  let signal!: () => void
  const invoked = new Promise<void>((resolve) => {
    signal = resolve
  })
  await page.exposeBinding('__weightBridge', (_source, name: unknown) => {
    if (name === 'getBrandWCPayRequest') {
      onCall()
      signal()
    }
  })
  await page.addInitScript(() => {
    const w = window as unknown as { WeixinJSBridge?: { invoke: (...a: unknown[]) => unknown }, __weightBridge?: (name: unknown) => void }
    const bridge = w.WeixinJSBridge
    if (!bridge)
      return
    const inner = bridge.invoke.bind(bridge)
    bridge.invoke = (...a: unknown[]) => {
      w.__weightBridge?.(a[0])
      return inner(...a)
    }
  })
  return { invoked }
}

test.describe('page weight budget', () => {
  test('the library markers still occur in the installed qrcode and weixin-js-sdk', () => {
    // Otherwise every "absent" verdict below would pass for the wrong reason.
    expect(libraryMarkerProblems(path.resolve(__dirname, '../../node_modules'))).toEqual([])
  })

  test('WeChat JSAPI: ≤ 90 KB gzip in all until getBrandWCPayRequest; no qrcode, no weixin-js-sdk', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true })
    const page = await context.newPage()
    const recorder = recordWeight(page, host)
    const { invoked } = await onWalletInvoked(page, recorder.freeze)
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await invoked
    const s = summarizeWeight(await recorder.stop())
    // It went through OAuth and back: two HTML documents, the payment asked for twice.
    expect(s.byKind.html.requests).toBe(2)
    expect(s.byKind.js.requests).toBeGreaterThan(0)
    expect(s.total.gzip, `WeChat path: ${kb(s.total.gzip)} KB gzip (JS ${kb(s.byKind.js.gzip)}, CSS ${kb(s.byKind.css.gzip)}, HTML ${kb(s.byKind.html.gzip)}, API ${kb(s.byKind.api.gzip)})`).toBeLessThanOrEqual(WECHAT_BUDGET_BYTES)
    expect(s.libraryChunks.qrcode).toEqual([])
    expect(s.libraryChunks['weixin-js-sdk']).toEqual([])
    await context.close()
  })

  test('mobile H5: no qrcode, no weixin-js-sdk until the pay button is ready', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    const recorder = recordWeight(page, host)
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.locator('.checkout[data-phase=ready]')).toBeVisible()
    await expect(page.getByTestId('pay')).toBeEnabled()
    const s = summarizeWeight(await recorder.stop())
    expect(s.byKind.js.requests).toBeGreaterThan(0)
    expect(s.libraryChunks.qrcode).toEqual([])
    expect(s.libraryChunks['weixin-js-sdk']).toEqual([])
    await context.close()
  })

  test('PC Native: qrcode loaded (and only there), no weixin-js-sdk, until the QR is drawn', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const recorder = recordWeight(page, host)
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('qr-canvas')).toBeVisible()
    await qrDrawn(page)
    const entries = await recorder.stop()
    const s = summarizeWeight(entries)
    expect(s.libraries.qrcode, 'qrcode bytes on the PC path').toBeGreaterThan(0)
    // One API round trip before the QR code: the payment's answer carries the order (the status stream beside it
    // is not needed to draw it).
    expect(entries.filter(e => e.kind === 'api' && !e.path.endsWith('/events')).map(e => e.path)).toEqual(['/api/payments'])
    expect(s.libraryChunks['weixin-js-sdk']).toEqual([])
    await context.close()
  })
})
