import type { Browser, BrowserContext, Locator, Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test } from '@playwright/test'
import { E2E_PORT } from '../../playwright.config'
import { createOrder, newContext, origin, qrDrawn, sandbox, UA } from './support'

/**
 * Every state of every path, as the customer sees it: a PNG of each in tests/artifacts/screens/ (zh-Hans and en,
 * phone and PC, light and dark, down to 320 px), each held to WCAG 2.1 AA by axe, and a few compared with committed
 * baselines (tests/e2e/screens.e2e.ts-snapshots/) so a layout change is a reviewed change. States come from the
 * sandbox (paid, refunded, closed, expired are real orders); only "failed", which no sandbox path produces, and the
 * hostile texts, which the server's demo orders cannot carry in the merchant name, are answered by the test.
 */

interface Variant {
  name: string
  device: 'phone' | 'pc'
  lang: 'zh' | 'en'
  dark?: boolean
  viewport?: { width: number, height: number }
}

const PHONE: Variant[] = [
  { name: 'phone-zh', device: 'phone', lang: 'zh' },
  { name: 'phone-en', device: 'phone', lang: 'en' },
  { name: 'phone320-zh', device: 'phone', lang: 'zh', viewport: { width: 320, height: 640 } },
  { name: 'phone-zh-dark', device: 'phone', lang: 'zh', dark: true },
  { name: 'phone-en-dark', device: 'phone', lang: 'en', dark: true },
]
const PC: Variant[] = [
  { name: 'pc-zh', device: 'pc', lang: 'zh' },
  { name: 'pc-en', device: 'pc', lang: 'en' },
  { name: 'pc1440-en-dark', device: 'pc', lang: 'en', dark: true, viewport: { width: 1440, height: 900 } },
]
const ALL = [...PHONE, ...PC]

const SUBJECT = { zh: '拿铁咖啡 · 大杯', en: 'Caffè latte, large' }
const SCREENS = path.resolve('tests/artifacts/screens')
mkdirSync(SCREENS, { recursive: true })

/** The axe findings (WCAG 2.1 A and AA) of the running test's screens; each test ends by asserting there are none. */
const findings: string[] = []

async function open(browser: Browser, v: Variant, ua: string = v.device === 'pc' ? UA.desktopChrome : UA.iphoneSafari, extra: Parameters<typeof newContext>[2] = {}): Promise<{ context: BrowserContext, page: Page }> {
  const context = await newContext(browser, ua, { locale: v.lang === 'en' ? 'en-US' : 'zh-CN', colorScheme: v.dark ? 'dark' : 'light', viewport: v.viewport, ...extra })
  return { context, page: await context.newPage() }
}

function checkoutUrl(orderNo: string, v: Variant): string {
  return `/#/pages/checkout/checkout?orderNo=${orderNo}${v.lang === 'en' ? '&lang=en' : ''}`
}
function resultUrl(orderNo: string, v: Variant, from?: string): string {
  return `/#/pages/result/result?orderNo=${orderNo}${from ? `&from=${from}` : ''}${v.lang === 'en' ? '&lang=en' : ''}`
}

/** Waits until the wallet marks, icons and logo are painted and the fonts are in, so screenshots are whole. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => document.fonts.ready.then(() => undefined))
  await page.waitForFunction(() => Array.from(document.querySelectorAll('uni-image > div')).every(d => getComputedStyle(d).backgroundImage !== 'none'), undefined, { timeout: 5000 }).catch(() => {})
  await page.waitForTimeout(150)
}

/** Saves the screen, runs axe on it, and (for the few baselines) compares it with the committed picture. */
async function shot(page: Page, state: string, v: Variant, baseline?: { mask?: Locator[] }): Promise<void> {
  await settle(page)
  await page.screenshot({ path: path.join(SCREENS, `cashier-${state}-${v.name}.png`), fullPage: true })
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  for (const violation of axe.violations)
    findings.push(`${state} / ${v.name}: ${violation.id} (${violation.impact}) — ${violation.nodes.map(n => n.target.join(' ')).join(', ')}`)
  if (baseline)
    await expect(page).toHaveScreenshot(`${state}-${v.name}.png`, { fullPage: true, mask: baseline.mask ?? [] })
}

const apiKey = (): string => readFileSync(path.resolve(`.data/e2e-${E2E_PORT}/sandbox-api-key`), 'utf8').trim()
let seq = 0

async function merchant(method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}/api/merchant/v1${pathname}`, {
    method,
    headers: { 'Authorization': `Bearer ${apiKey()}`, 'Content-Type': 'application/json', ...(method === 'POST' ? { 'Idempotency-Key': `e2e-screens-${Date.now()}-${seq++}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok)
    throw new Error(`merchant ${method} ${pathname}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<Record<string, unknown>>
}

async function status(orderNo: string): Promise<string> {
  return ((await (await fetch(`${origin}/api/orders/${orderNo}/status`)).json()) as { status: string }).status
}

/** A paid order: its Native QR code paid in the sandbox, as a customer's phone would. */
async function paidOrder(v: Variant): Promise<string> {
  const { orderNo } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
  const res = await fetch(`${origin}/api/payments`, { method: 'POST', headers: { 'content-type': 'application/json', 'Idempotency-Key': `screens-${orderNo}` }, body: JSON.stringify({ orderNo, method: 'wechat_native' }) })
  const action = await res.json() as { codeUrl: string }
  await sandbox('/api/wechat/pay', { body: { code_url: action.codeUrl } })
  await expect.poll(() => status(orderNo), { timeout: 15_000 }).toBe('paid')
  return orderNo
}

/** The hostile order: markup, a very long unbroken word, emoji and right-to-left text, and a logo that fails. */
const HOSTILE = {
  merchantName: '<b>Bold</b><img src=x onerror="window.__xss=1"> 超长商户名称有限公司Supercalifragilisticexpialidocious 🏪🎉 متجر القهوة',
  subject: '<script>window.__xss=1</script>訂單🎁 مرحبا بكم في متجرنا — AVeryLongProductNameWithoutAnySpacesThatCouldOverflowItsBoxAndBreakTheLayoutCompletely ✨ '.repeat(2),
  merchantLogoUrl: '/no-such-logo.png',
}

/** Answers for the server with `overrides` in the order: its view, and the one a PC's payment answer carries. */
async function withHostileOrder(page: Page, overrides: Record<string, unknown> = HOSTILE): Promise<void> {
  await page.context().route(/\/api\/orders\/[\w-]+$/, async (route) => {
    const res = await route.fetch()
    await route.fulfill({ response: res, json: { ...(await res.json()), ...overrides } })
  })
  await page.context().route('**/api/payments', async (route) => {
    const res = await route.fetch()
    const body = await res.json() as { order?: Record<string, unknown> }
    await route.fulfill({ response: res, json: body.order ? { ...body, order: { ...body.order, ...overrides } } : body })
  })
}

/** Checks what the customer cannot see in a picture: no markup came alive, nothing sticks out of its box. */
async function expectContained(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
  expect(await page.locator('uni-page-body b, uni-page-body script, uni-page-body img[src="x"]').count()).toBe(0)
  const overflow = await page.evaluate(() => {
    const out: string[] = []
    if (document.documentElement.scrollWidth > window.innerWidth)
      out.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`)
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.uc-user-text'))) {
      const box = el.getBoundingClientRect()
      const parent = el.parentElement!.getBoundingClientRect()
      if (box.left < parent.left - 1 || box.right > parent.right + 1)
        out.push(`${el.className}: ${Math.round(box.left)}–${Math.round(box.right)} outside ${Math.round(parent.left)}–${Math.round(parent.right)}`)
    }
    return out
  })
  expect(overflow).toEqual([])
}

test.describe.configure({ timeout: 240_000 })

test.describe('every screen, looked at and checked', () => {
  test.afterEach(() => {
    const found = findings.splice(0)
    expect(found, `axe: WCAG 2.1 AA violations\n${found.join('\n')}`).toEqual([])
  })

  test('checkout on a phone: ready, order details, paying', async ({ browser }) => {
    for (const v of PHONE) {
      const { context, page } = await open(browser, v)
      const { orderNo } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      await page.goto(checkoutUrl(orderNo, v))
      await expect(page.locator('.checkout[data-phase=ready]')).toBeVisible()
      await expect(page.getByTestId('pay')).toBeEnabled()
      await shot(page, 'checkout-ready', v, v.name === 'phone-zh' || v.name === 'phone-en-dark' ? {} : undefined)

      await page.getByTestId('details-toggle').click()
      await expect(page.getByTestId('order-details')).toContainText(orderNo)
      await shot(page, 'checkout-details', v)
      await page.getByTestId('details-toggle').click()

      // Paying: the request is held, so the busy button stays on screen.
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      await page.route('**/api/payments', async (route) => {
        await held
        await route.abort()
      })
      await page.getByTestId('pay').click()
      await expect(page.locator('.checkout[data-phase=starting]')).toBeVisible()
      await shot(page, 'checkout-paying', v)
      release()
      await context.close()
    }
  })

  test('checkout inside WeChat: cancelled in the wallet, then the open-in-browser guide for Alipay', async ({ browser }) => {
    for (const v of PHONE) {
      const { context, page } = await open(browser, v, UA.wechatIphone, { bridge: true, outcome: { wechat: 'cancel' } })
      const { orderNo } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      await page.goto(checkoutUrl(orderNo, v))
      await expect(page.getByTestId('notice')).toBeVisible({ timeout: 15_000 })
      await shot(page, 'checkout-cancelled', v)
      await page.locator('[data-method="alipay_wap"]').click()
      await page.getByTestId('pay').click()
      await expect(page.getByTestId('browser-guide')).toBeVisible()
      await shot(page, 'guide', v)
      await context.close()
    }
  })

  test('checkout on a PC: QR code on its way, WeChat and Alipay QR codes, an expired QR code', async ({ browser }) => {
    for (const v of PC) {
      const { context, page } = await open(browser, v)
      const { orderNo } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      // The code on its way: the panel holds its place, so nothing moves when it arrives.
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      await page.route('**/api/payments', async (route) => {
        await held
        await route.continue()
      })
      await page.goto(checkoutUrl(orderNo, v))
      await expect(page.getByTestId('qr-panel')).toBeVisible()
      await shot(page, 'checkout-qr-loading', v)
      const before = await page.getByTestId('qr-panel').boundingBox()
      release()
      await qrDrawn(page)
      expect(await page.getByTestId('qr-panel').boundingBox()).toEqual(before)
      await shot(page, 'checkout-qr', v, v.name === 'pc-zh' ? { mask: [page.getByTestId('qr-canvas'), page.getByTestId('qr-countdown'), page.locator('.details .mono'), page.locator('.details .row:last-child .value')] } : undefined)

      await page.locator('[data-method="alipay_qr"]').click()
      await page.getByTestId('pay').click()
      await expect(page.getByTestId('qr-canvas')).toHaveAttribute('data-code', /alipay|qr\.alipay|https?:/i)
      await qrDrawn(page)
      await shot(page, 'checkout-qr-alipay', v)
      await context.close()

      // Expired: the server's code, with an expiry a second away.
      const second = await open(browser, v)
      const { orderNo: no2 } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      await second.page.route('**/api/payments', async (route) => {
        const res = await route.fetch()
        const body = await res.json() as { serverTime: string }
        await route.fulfill({ response: res, json: { ...body, expiresAt: new Date(Date.parse(body.serverTime) + 1000).toISOString() } })
      })
      await second.page.goto(checkoutUrl(no2, v))
      await expect(second.page.getByTestId('qr-refresh')).toBeVisible({ timeout: 10_000 })
      await shot(second.page, 'checkout-qr-expired', v)
      await second.context.close()
    }
  })

  test('result: paid, waiting (and the have-you-paid question), closed, expired, failed, refunded', async ({ browser }) => {
    for (const v of ALL) {
      const { context } = await open(browser, v)
      // One page per state: a new hash on the same page would not load the result page afresh.
      let page = await context.newPage()
      const visit = async (url: string): Promise<void> => {
        await page.close()
        page = await context.newPage()
        await page.goto(url)
      }

      const paid = await paidOrder(v)
      await visit(resultUrl(paid, v))
      await expect(page.getByTestId('result-paid')).toBeVisible()
      await shot(page, 'result-paid', v, v.name === 'phone-zh' ? { mask: [page.locator('.final .meta')] } : undefined)

      const { orderNo: waiting } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      await visit(resultUrl(waiting, v))
      await expect(page.getByTestId('result-pending')).toBeVisible()
      await shot(page, 'result-waiting', v)
      if (v.device === 'phone') {
        await visit(resultUrl(waiting, v, 'h5'))
        await expect(page.getByTestId('confirm-dialog')).toBeVisible()
        await shot(page, 'result-confirm', v)
      }

      const { orderNo: closed } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang], returnUrl: `${origin}/#/pages/index/index` })
      await merchant('POST', `/orders/${closed}/close`)
      await visit(resultUrl(closed, v))
      await expect(page.locator('[data-testid=result-closed][data-reason=closed]')).toBeVisible()
      await shot(page, 'result-closed', v)

      const { orderNo: expired } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang], expiresInSeconds: 1 })
      await new Promise(r => setTimeout(r, 1200))
      await visit(resultUrl(expired, v))
      await expect(page.locator('[data-testid=result-closed][data-reason=expired]')).toBeVisible()
      await shot(page, 'result-expired', v, v.name === 'pc-en' ? {} : undefined)

      // No sandbox path ends in "failed" (the provider reports a payment error): the test answers for the server.
      const { orderNo: failed } = await createOrder({ amountFen: 1234, subject: SUBJECT[v.lang] })
      await context.route(`**/api/orders/${failed}**`, async (route) => {
        const url = route.request().url()
        if (url.endsWith('/events'))
          return route.abort()
        const res = await route.fetch()
        await route.fulfill({ response: res, json: { ...(await res.json()), status: 'failed' } })
      })
      await visit(resultUrl(failed, v))
      await expect(page.getByTestId('result-failed')).toBeVisible()
      await shot(page, 'result-failed', v)

      const refunded = await paidOrder(v)
      await merchant('POST', `/orders/${refunded}/refunds`, { reason: 'screens' })
      await expect.poll(() => status(refunded), { timeout: 15_000 }).toBe('refunded')
      await visit(resultUrl(refunded, v))
      await expect(page.getByTestId('result-refunded')).toBeVisible()
      await shot(page, 'result-refunded', v)
      await context.close()
    }
  })

  test('hostile order texts render as text, stay in their boxes, and a logo that fails leaves no broken image', async ({ browser }) => {
    for (const v of [PHONE[2]!, PHONE[1]!, PHONE[3]!, PC[0]!]) {
      const { context, page } = await open(browser, v)
      await withHostileOrder(page)
      const { orderNo } = await createOrder({ amountFen: 1234 })
      await page.goto(checkoutUrl(orderNo, v))
      await expect(page.getByTestId('merchant-name')).toContainText('<b>Bold</b>')
      await expect(page.getByTestId('subject')).toContainText('<script>')
      // The logo failed: the name's first letter stands in, no image is left behind.
      await expect(page.getByTestId('merchant-logo')).toHaveCount(0)
      await expect(page.getByTestId('merchant-mark')).toHaveText('<')
      // A PC shows the details without a toggle.
      if (v.device === 'phone')
        await page.getByTestId('details-toggle').click()
      await expect(page.getByTestId('order-details')).toBeVisible()
      await expectContained(page)
      await shot(page, 'hostile-checkout', v, v.name === 'phone320-zh' ? { mask: [page.locator('.details .mono'), page.locator('.details .row:last-child .value')] } : undefined)

      const paid = await paidOrder(v)
      const result = await context.newPage()
      await result.goto(resultUrl(paid, v))
      await expect(result.getByTestId('result-paid')).toBeVisible()
      await expectContained(result)
      await shot(result, 'hostile-result', v)
      await context.close()
    }
  })

  test('a merchant logo that loads is shown; without a logo the first letter stands in', async ({ browser }) => {
    const v = PHONE[0]!
    const { context, page } = await open(browser, v)
    await page.route('**/e2e-logo.svg', route => route.fulfill({
      contentType: 'image/svg+xml',
      body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" fill="#6f4e37"/><path d="M11 15h15v8a7 7 0 0 1-7 7h-1a7 7 0 0 1-7-7z" fill="#fff"/><path d="M26 17h2a3 3 0 0 1 0 6h-2" fill="none" stroke="#fff" stroke-width="2"/></svg>',
    }))
    await withHostileOrder(page, { merchantName: 'Example Coffee', merchantLogoUrl: '/e2e-logo.svg' })
    const { orderNo } = await createOrder({ amountFen: 1234, subject: SUBJECT.zh })
    await page.goto(checkoutUrl(orderNo, v))
    await expect(page.getByTestId('merchant-logo')).toBeVisible()
    await shot(page, 'checkout-logo', v)
    await context.close()

    const plain = await open(browser, v)
    const { orderNo: no2 } = await createOrder({ amountFen: 1234, subject: SUBJECT.zh })
    await plain.page.goto(checkoutUrl(no2, v))
    await expect(plain.page.getByTestId('merchant-mark')).toHaveText('U')
    await expect(plain.page.getByTestId('merchant-logo')).toHaveCount(0)
    await plain.context.close()
  })
})
