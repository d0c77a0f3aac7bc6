import type { Locator, Page } from '@playwright/test'
import { expect, test } from '@playwright/test'
import { createOrder, newContext, orderStatus, sandbox, UA } from './support'

/** Presses Tab until `target` has the focus (at most `max` times); fails if it never does. */
async function tabTo(page: Page, target: Locator, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await target.evaluate(el => el === document.activeElement || el.contains(document.activeElement)))
      return
  }
  throw new Error(`${target} never received the focus from the keyboard`)
}

test.describe('a PC with the keyboard and a screen reader', () => {
  test('pays with the keyboard alone: choose Alipay, start it, a new code after expiry, then the paid page', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome, { locale: 'en-US' })
    const page = await context.newPage()
    // The first Alipay code expires a second after it is made; the one asked for after it is the server's own.
    let alipayCodes = 0
    await page.route('**/api/payments', async (route) => {
      const method = (route.request().postDataJSON() as { method: string }).method
      const res = await route.fetch()
      const body = await res.json() as { serverTime: string }
      if (method === 'alipay_qr' && alipayCodes++ === 0)
        return route.fulfill({ response: res, json: { ...body, expiresAt: new Date(Date.parse(body.serverTime) + 1500).toISOString() } })
      return route.fulfill({ response: res, json: body })
    })
    const { orderNo } = await createOrder({ amountFen: 1234, subject: 'Caffè latte, large' })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}&lang=en`)
    await expect(page.getByRole('img', { name: 'WeChat Pay QR code for ¥12.34' })).toBeVisible()

    const alipay = page.getByRole('radio', { name: 'Alipay (scan)' })
    await tabTo(page, alipay)
    await page.keyboard.press('Space')
    await expect(alipay).toHaveAttribute('aria-checked', 'true')
    const pay = page.getByRole('button', { name: 'Pay now ¥12.34' })
    await tabTo(page, pay)
    await page.keyboard.press('Enter')
    await expect(page.getByRole('img', { name: 'Alipay QR code for ¥12.34' })).toBeVisible()

    // Expired: the way to a new code is a button the keyboard reaches.
    const refresh = page.getByRole('button', { name: 'New QR code' })
    await expect(refresh).toBeVisible({ timeout: 10_000 })
    await tabTo(page, refresh)
    await page.keyboard.press('Enter')
    const canvas = page.getByRole('img', { name: 'Alipay QR code for ¥12.34' })
    await expect(canvas).toBeVisible()
    await expect(refresh).toHaveCount(0)

    await sandbox('/api/alipay/pay', { body: { qr_code: await canvas.getAttribute('data-code') } })
    await expect(page.getByTestId('result-paid')).toBeVisible({ timeout: 15_000 })
    expect(await orderStatus(orderNo)).toBe('paid')
    await tabTo(page, page.getByRole('link', { name: 'Back to the merchant' }))
    await context.close()
  })

  test('the QR code is named for the wallet and the amount, and the countdown is not read out every second', async ({ browser }) => {
    const context = await newContext(browser, UA.desktopChrome)
    const page = await context.newPage()
    const { orderNo } = await createOrder({ amountFen: 1234 })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByRole('img', { name: '微信支付二维码，金额 ¥12.34' })).toBeVisible()
    const countdown = page.getByTestId('qr-countdown')
    await expect(countdown).toContainText('后失效')
    // The visible countdown is no live region, nor inside one; the panel's polite region stays quiet meanwhile.
    expect(await countdown.evaluate(el => el.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="timer"]'))).toBeNull()
    const polite = page.getByTestId('qr-panel').locator('[aria-live="polite"]')
    await expect(polite).toHaveCount(1)
    const heard: string[] = []
    for (let i = 0; i < 3; i++) {
      heard.push((await countdown.textContent()) ?? '', (await polite.textContent()) ?? '')
      await page.waitForTimeout(1100)
    }
    expect(new Set(heard.filter((_, i) => i % 2 === 0)).size).toBeGreaterThan(1) // the countdown moved …
    expect(heard.filter((_, i) => i % 2 === 1).every(t => t.trim() === '')).toBe(true) // … and nothing was said
    await context.close()
  })
})
