import type { Page } from '@playwright/test'
import { expect, test } from '@playwright/test'
import jsQR from 'jsqr'
import { createOrder, newContext, orderStatus, sandbox, saveScreen, UA } from './support'

/** Reads the QR code drawn on the checkout's canvas. */
async function decodeQr(page: Page): Promise<{ text: string, codeUrl: string }> {
  const canvas = page.getByTestId('qr-canvas')
  await expect(canvas).toBeVisible()
  const { data, width, height, codeUrl } = await canvas.evaluate(async (el: HTMLCanvasElement) => {
    // drawing is async: wait until something dark is on the canvas
    for (let i = 0; i < 50; i++) {
      const img = el.getContext('2d')!.getImageData(0, 0, el.width, el.height)
      // Drawn means opaque dark modules: a blank canvas is transparent black (alpha 0).
      if (img.data.some((v, j) => j % 4 === 0 && v < 50 && img.data[j + 3]! > 200))
        return { data: Array.from(img.data), width: el.width, height: el.height, codeUrl: el.dataset.code ?? '' }
      await new Promise(r => setTimeout(r, 50))
    }
    throw new Error('nothing drawn')
  })
  const result = jsQR(Uint8ClampedArray.from(data), width, height)
  if (!result)
    throw new Error('no QR code found on the canvas')
  return { text: result.data, codeUrl }
}

/** Opens the sandbox's "scan this code" page in another tab; `pay()` taps Pay there and resolves when it was sent. */
async function openScanPage(page: Page, codeUrl: string) {
  const phone = await page.context().newPage()
  await phone.goto(`/sandbox/wechatpay/scan?code_url=${encodeURIComponent(codeUrl)}`)
  return {
    pay: async () => {
      await Promise.all([phone.waitForResponse(r => r.url().includes('/sandbox/api/wechat/pay')), phone.locator('#pay').click()])
    },
  }
}

async function payByScanning(page: Page, codeUrl: string) {
  await (await openScanPage(page, codeUrl)).pay()
}

test.describe('a PC: WeChat Native QR code', () => {
  test.afterEach(async () => {
    await sandbox('/api/faults', { method: 'DELETE' })
  })

  test('the QR on the canvas is the server\'s code_url; paying it shows paid within 1 s (SSE)', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder({ amountFen: 9900 })
    const created = page.waitForResponse(r => r.url().endsWith('/api/payments'))
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    const action = await (await created).json() as { kind: string, codeUrl: string }
    expect(action.kind).toBe('qrcode')
    const { text } = await decodeQr(page)
    expect(text).toBe(action.codeUrl)
    await expect(page.getByTestId('qr-canvas')).toHaveAttribute('aria-label', /¥99\.00/)
    await saveScreen(page, 'wechat-native-qr')
    const phone = await openScanPage(page, text)
    await page.bringToFront()
    await phone.pay()
    await expect(page.getByTestId('result-paid')).toBeVisible({ timeout: 1000 })
    expect(await orderStatus(orderNo)).toBe('paid')
    await saveScreen(page, 'wechat-native-paid')
    await context.close()
  })

  test('with server-sent events blocked, polling reaches paid', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const polls: string[] = []
    await page.route('**/api/orders/*/events', r => r.abort())
    page.on('request', (r) => {
      if (r.url().endsWith('/status'))
        polls.push(r.url())
    })
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    const { text } = await decodeQr(page)
    await payByScanning(page, text)
    await expect(page.getByTestId('result-paid')).toBeVisible({ timeout: 15_000 })
    expect(polls.length).toBeGreaterThan(0)
    await context.close()
  })

  test('with the sandbox dropping every notification, the order still ends paid (reconciliation)', async ({ browser }) => {
    await sandbox('/api/faults', { method: 'PUT', body: { dropNotifyRate: 1 } })
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    const { text } = await decodeQr(page)
    await payByScanning(page, text)
    await expect(page.getByTestId('result-paid')).toBeVisible({ timeout: 15_000 })
    expect(await orderStatus(orderNo)).toBe('paid')
    await context.close()
  })
})
