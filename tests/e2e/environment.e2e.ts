import { expect, test } from '@playwright/test'
import { createOrder, newContext, UA } from './support'

test.describe('the checkout knows where it runs', () => {
  test('WeChat on an iPhone: the debug panel says wechat / ios', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    // No bridge and no way to WeChat's authorisation here: the page must still render and explain where it is.
    await page.route('**/sandbox/wechat/open/**', route => route.abort())
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}&debug=1`)
    await expect(page.getByTestId('debug-env')).toContainText('wechat / ios')
    await context.close()
  })

  test('WeChat on an iPhone: debug=1 survives the silent OAuth round trip, which comes back without it', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true, outcome: { wechat: 'cancel' } })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    const returns = new Set<string>()
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame() && /\?code=/.test(f.url()))
        returns.add(f.url())
    })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}&debug=1`)
    // Cancelled in the wallet: the checkout after the round trip, with its panel.
    await expect(page.getByTestId('notice')).toContainText('支付已取消')
    expect(returns.size).toBe(1)
    expect([...returns][0]).not.toContain('debug=1')
    await expect(page.getByTestId('debug-env')).toContainText('wechat / ios')
    await context.close()
  })

  test('desktop Chrome: the debug panel says desktop-browser', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}&debug=1`)
    await expect(page.getByTestId('debug-env')).toContainText('desktop-browser / windows')
    await context.close()
  })

  test('the landing page creates a demo order and opens its checkout', async ({ browser }) => {
    const context = await newContext(browser, UA.iphoneSafari)
    const page = await context.newPage()
    await page.goto('/')
    await page.getByTestId('start-demo').click()
    await expect(page).toHaveURL(/pages\/checkout\/checkout\?orderNo=O/)
    await expect(page.getByTestId('amount')).toHaveText('¥0.01')
    await expect(page.locator('[data-method="wechat_h5"]')).toBeVisible()
    await context.close()
  })
})

test.describe('language and accessibility', () => {
  test('an English browser gets English, and the pay button works from the keyboard', async ({ browser }) => {
    const context = await browser.newContext({ userAgent: UA.iphoneSafari, locale: 'en-US', viewport: { width: 390, height: 844 } })
    await context.route('**/*', r => new URL(r.request().url()).hostname === '127.0.0.1' ? r.continue() : r.abort())
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    const pay = page.getByRole('button', { name: /Pay now ¥0\.01/ })
    await expect(pay).toBeVisible()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await expect(page.getByRole('radio', { name: 'WeChat Pay' })).toHaveAttribute('aria-checked', 'true')
    await pay.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/sandbox\/wechatpay\/h5\/checkmweb\?/)
    await context.close()
  })

  test('?lang=en overrides a Chinese browser', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}&lang=en`)
    await expect(page.getByTestId('qr-panel')).toContainText('Scan with your phone to pay')
    await context.close()
  })
})
