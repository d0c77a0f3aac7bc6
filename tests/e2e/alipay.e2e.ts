import type { Page } from '@playwright/test'
import { expect, test } from '@playwright/test'
import jsQR from 'jsqr'
import { createOrder, newContext, orderStatus, saveScreen, UA } from './support'

const ALIPAY_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/16E227 ChannelId(21) NebulaSDK/1.8.100112 Nebula WK PSDType(1) AlipayDefined(nt:WIFI,ws:375|603|2.0) AliApp(AP/10.1.60.6001) AlipayClient/10.1.60.6001 Alipay Language/zh-Hans'

async function alipayContext(browser: Parameters<typeof newContext>[0], resultCode: string) {
  return newContext(browser, ALIPAY_IPHONE, { bridge: true, outcome: { alipay: resultCode } })
}

async function decodeQr(page: Page): Promise<string> {
  const canvas = page.getByTestId('qr-canvas')
  await expect(canvas).toBeVisible()
  const img = await canvas.evaluate(async (el: HTMLCanvasElement) => {
    for (let i = 0; i < 50; i++) {
      const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height)
      if (d.data.some((v, j) => j % 4 === 0 && v < 50 && d.data[j + 3]! > 200))
        return { data: Array.from(d.data), width: el.width, height: el.height }
      await new Promise(r => setTimeout(r, 50))
    }
    throw new Error('nothing drawn')
  })
  return jsQR(Uint8ClampedArray.from(img.data), img.width, img.height)?.data ?? ''
}

test.describe('inside the Alipay app: tradePay', () => {
  for (const [code, expectation] of [
    ['9000', 'paid'],
    ['8000', 'paid'],
    ['6004', 'paid'],
    ['6001', 'cancelled'],
    ['6002', 'network'],
    ['4000', 'failed'],
  ] as const) {
    test(`resultCode ${code} → ${expectation}, decided by the server`, async ({ browser }) => {
      const context = await alipayContext(browser, code)
      const page = await context.newPage()
      const { orderNo } = await createOrder({ amountFen: 1500 })
      await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
      if (expectation === 'paid') {
        // 8000 / 6004 are not final for the wallet: the result page keeps watching and the server says paid.
        await expect(page.getByTestId('result-paid')).toBeVisible()
        await expect(page.getByTestId('result-paid')).toContainText('¥15.00')
        expect(await orderStatus(orderNo)).toBe('paid')
        if (code === '9000')
          await saveScreen(page, 'alipay-app-paid')
      }
      else {
        const notice = page.getByTestId('notice')
        await expect(notice).toContainText(expectation === 'cancelled' ? '支付已取消' : expectation === 'network' ? '网络' : '支付未完成')
        await expect(page.getByTestId('pay')).toBeEnabled()
        expect(await orderStatus(orderNo)).toBe('pending')
      }
      await context.close()
    })
  }
})

test.describe('Alipay in a mobile browser and on a PC', () => {
  test('iPhone Safari: WAP pay round trip', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    const { orderNo } = await createOrder({ amountFen: 88 })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await page.locator('[data-method="alipay_wap"]').click()
    await page.getByTestId('pay').click()
    await page.waitForURL(/\/sandbox\/alipay\/gateway\.do\?/)
    await page.locator('#pay').click()
    await page.waitForURL(/pages\/result\/result/)
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await expect(page.getByTestId('result-paid')).toContainText('¥0.88')
    await saveScreen(page, 'alipay-wap-paid')
    await context.close()
  })

  test('desktop: the Alipay QR decodes to the precreate qr_code and paying it shows paid', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('qr-canvas')).toBeVisible()
    await page.locator('[data-method="alipay_qr"]').click()
    const created = page.waitForResponse(r => r.url().endsWith('/api/payments'))
    await page.getByTestId('pay').click()
    const action = await (await created).json() as { codeUrl: string }
    await expect(page.getByTestId('qr-canvas')).toHaveAttribute('data-code', action.codeUrl)
    const text = await decodeQr(page)
    expect(text).toBe(action.codeUrl)
    expect(text).toMatch(/^https:\/\/qr\.alipay\.com\//)
    const phone = await context.newPage()
    await phone.goto(`/sandbox/alipay/scan?qr_code=${encodeURIComponent(text)}`)
    await phone.locator('#pay').click()
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await context.close()
  })

  test('WeChat: choosing Alipay shows the open-in-browser guide and goes nowhere', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone)
    // Stay on the checkout: the bridge never arrives here, so JSAPI cannot take the page away.
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    // No bridge in this context: the automatic JSAPI start leads to OAuth and back, then fails to find the bridge.
    await expect(page.getByTestId('notice')).toBeVisible({ timeout: 15_000 })
    const before = page.url()
    const navigations: string[] = []
    page.on('framenavigated', f => f === page.mainFrame() && navigations.push(f.url()))
    await page.locator('[data-method="alipay_wap"]').click()
    await page.getByTestId('pay').click()
    await expect(page.getByTestId('browser-guide')).toBeVisible()
    await expect(page.getByTestId('browser-guide')).toContainText('在浏览器中打开')
    await saveScreen(page, 'wechat-alipay-guide')
    expect(navigations).toEqual([])
    expect(page.url()).toBe(before)
    await context.close()
  })
})
