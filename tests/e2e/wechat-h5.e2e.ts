import { expect, test } from '@playwright/test'
import { createOrder, newContext, orderStatus, origin, sandbox, saveScreen, UA } from './support'

test.describe('a mobile browser: WeChat H5 pay', () => {
  test.afterEach(async () => {
    await sandbox('/api/faults', { method: 'DELETE' })
  })

  test('checkout → WeChat H5 page → pay → back on the result → "I have paid" → paid', async ({ browser }) => {
    // The notification is lost and the page cannot reach the server until the customer answers,
    // so the dialog is what resolves it: "I have paid" makes the server ask WeChat.
    await sandbox('/api/faults', { method: 'PUT', body: { dropNotifyRate: 1 } })
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    let serverReachable = true
    await page.route(/\/api\/orders\/[^/]+\/(status|events)$/, route => serverReachable ? route.continue() : route.abort())
    const { orderNo } = await createOrder({ amountFen: 250 })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.locator('[data-method="wechat_h5"]')).toHaveAttribute('aria-checked', 'true')
    await page.getByTestId('pay').click()
    await page.waitForURL(/\/sandbox\/wechatpay\/h5\/checkmweb\?/)
    expect(new URL(page.url()).searchParams.get('redirect_url')).toContain(`orderNo=${orderNo}`)
    serverReachable = false
    await page.locator('#pay').click()
    await page.waitForURL(/pages\/result\/result/)
    // WeChat requires asking, not concluding, on return.
    await expect(page.getByTestId('confirm-dialog')).toBeVisible()
    await saveScreen(page, 'wechat-h5-confirm-dialog')
    serverReachable = true
    await page.getByTestId('i-have-paid').click()
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await expect(page.getByTestId('result-paid')).toContainText('¥2.50')
    expect(await orderStatus(orderNo)).toBe('paid')
    await saveScreen(page, 'wechat-h5-paid')
    await context.close()
  })

  test('cancel on the H5 page → "Pay again" goes back to the same, still valid provider order, and paying it works', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await page.getByTestId('pay').click()
    await page.waitForURL(/\/sandbox\/wechatpay\/h5\/checkmweb\?/)
    const first = new URL(page.url()).searchParams.get('prepay_id')
    await page.locator('#cancel').click()
    await page.waitForURL(/pages\/result\/result/)
    await expect(page.getByTestId('confirm-dialog')).toBeVisible()
    await page.getByTestId('pay-again').click()
    await page.waitForURL(/\/sandbox\/wechatpay\/h5\/checkmweb\?/)
    const second = new URL(page.url()).searchParams.get('prepay_id')
    expect(second).toBeTruthy()
    // The h5_url is valid for 5 minutes: the server hands the open attempt out again instead of a second provider order.
    expect(second).toBe(first)
    await page.locator('#pay').click()
    await page.waitForURL(/pages\/result\/result/)
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await context.close()
  })

  test('"I have paid" before paying keeps watching and says so', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/result/result?orderNo=${orderNo}&from=h5`)
    await page.getByTestId('i-have-paid').click()
    await expect(page.getByTestId('result-pending')).toContainText('暂未查到支付结果')
    expect(await orderStatus(orderNo)).toBe('pending')
    await context.close()
  })
})

test.describe('a closed order', () => {
  test('the result page says so and offers the way back to the merchant', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    const { orderNo } = await createOrder({ returnUrl: `${origin}/#/pages/index/index`, expiresInSeconds: 1 })
    await new Promise(r => setTimeout(r, 1500))
    await page.goto(`/#/pages/result/result?orderNo=${orderNo}`)
    // The server closes the expired order on the first status read.
    await expect(page.getByTestId('result-closed')).toBeVisible()
    await expect(page.getByTestId('order-again')).toHaveAttribute('href', `${origin}/#/pages/index/index`)
    expect(await orderStatus(orderNo)).toBe('closed')
    await saveScreen(page, 'order-closed')
    await context.close()
  })
})
