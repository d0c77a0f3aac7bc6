import type { Browser, BrowserContext, Page } from '@playwright/test'
import type { AddressInfo } from 'node:net'
import { mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { CONSOLE_PASSWORD, E2E_PORT } from '../../playwright.config'
import { origin, sandbox } from './support'

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
const DESKTOP = { viewport: { width: 1280, height: 800 } }
const host = new URL(origin).host

/** The key the server makes for the examples in sandbox mode (in the e2e server's data directory). */
const apiKey = (): string => readFileSync(path.resolve(`.data/e2e-${E2E_PORT}/sandbox-api-key`), 'utf8').trim()

let seq = 0
async function merchant(method: string, pathname: string, body?: unknown): Promise<Record<string, any>> { // any: answers are read field by field
  const res = await fetch(`${origin}/api/merchant/v1${pathname}`, {
    method,
    headers: { 'Authorization': `Bearer ${apiKey()}`, 'Content-Type': 'application/json', ...(method === 'POST' ? { 'Idempotency-Key': `e2e-console-${Date.now()}-${seq++}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = await res.json() as Record<string, any> // any: as above
  if (res.status >= 300)
    throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

async function order(body: Record<string, unknown>): Promise<{ orderNo: string, merchantOrderId: string }> {
  return merchant('POST', '/orders', { amountFen: 1000, merchantOrderId: `E2E-CONSOLE-${Date.now()}-${seq++}`, ...body }) as Promise<{ orderNo: string, merchantOrderId: string }>
}

async function paidOrder(body: Record<string, unknown>): Promise<{ orderNo: string, merchantOrderId: string }> {
  const o = await order(body)
  const res = await fetch(`${origin}/api/payments`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `e2e-console-pay-${Date.now()}-${seq++}` }, body: JSON.stringify({ orderNo: o.orderNo, method: 'wechat_native' }) })
  const action = await res.json() as { codeUrl: string }
  await sandbox('/api/wechat/pay', { body: { code_url: action.codeUrl } })
  await expect.poll(async () => (await merchant('GET', `/orders/${o.orderNo}`)).status, { timeout: 10_000 }).toBe('paid')
  return o
}

async function consoleContext(browser: Browser, opts: { phone: boolean, lang: 'zh' | 'en' }): Promise<BrowserContext> {
  const context = await browser.newContext({ ...(opts.phone ? PHONE : DESKTOP), locale: opts.lang === 'en' ? 'en-US' : 'zh-CN' })
  await context.route('**/*', route => new URL(route.request().url()).host === host ? route.continue() : route.abort())
  return context
}

async function screen(page: Page, name: string): Promise<void> {
  const dir = path.resolve('tests/artifacts/screens')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `console-${name}.png`), fullPage: true })
}

async function logIn(page: Page, secret: string): Promise<void> {
  await page.goto('/console')
  await expect(page).toHaveURL(/\/console\/login$/)
  await page.getByLabel(/密码或 API 密钥|Password or API key/).fill(secret)
  await page.getByRole('button', { name: /^(登录|Log in)$/ }).click()
  await expect(page).toHaveURL(/\/console$/)
}

/** A loopback webhook endpoint that answers 200 to everything. */
async function webhookSink(): Promise<{ url: string, received: string[], close: () => Promise<void> }> {
  const received: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      body += c
    })
    req.on('end', () => {
      received.push(body)
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  }
}

let sink: Awaited<ReturnType<typeof webhookSink>>
let endpointId: string

test.beforeAll(async () => {
  sink = await webhookSink()
  endpointId = (await merchant('POST', '/webhook-endpoints', { url: sink.url, description: 'console e2e' })).id as string
})

test.afterAll(async () => {
  await merchant('DELETE', `/webhook-endpoints/${endpointId}`).catch(() => {})
  await sink.close()
})

test('log in, find an order, refund part of it after a confirmation, and see the refund and its webhook delivery', async ({ browser }) => {
  const target = await paidOrder({ amountFen: 2580, subject: '手冲咖啡豆 500g <深烘>', metadata: { sku: 'BEAN-500', gift: true } })
  await order({ amountFen: 990, subject: '滤纸 100 张' })
  const context = await consoleContext(browser, { phone: false, lang: 'zh' })
  const page = await context.newPage()

  await page.goto('/console/login')
  await screen(page, 'login-desktop-zh')
  await logIn(page, CONSOLE_PASSWORD)

  // Find it by the shop's own order id.
  await page.getByLabel('订单号、商户订单号或商品名').fill(target.merchantOrderId)
  await page.getByLabel('状态').selectOption('paid')
  await page.getByRole('button', { name: '筛选' }).click()
  const table = page.getByRole('table', { name: /订单/ })
  await expect(table.getByRole('row')).toHaveCount(2) // the header and the order
  await expect(table).toContainText('手冲咖啡豆 500g <深烘>')
  await screen(page, 'orders-desktop-zh')
  await table.getByRole('link', { name: target.orderNo }).click()

  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`订单 ${target.orderNo}`)
  await expect(page.getByText('¥25.80').first()).toBeVisible()
  await page.getByLabel(/退款金额/).fill('8.8')
  await page.getByLabel(/退款原因/).fill('缺货，部分退款')
  await page.getByRole('button', { name: '检查退款…' }).click()

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('确认退款')
  await expect(page.getByText('将向付款人退还 ¥8.80')).toBeVisible()
  await screen(page, 'refund-confirm-desktop-zh')
  await page.getByRole('button', { name: '确认退款 ¥8.80' }).click()

  await expect(page.getByRole('status')).toHaveText('退款已提交，结果见下方退款列表。')
  const refunds = page.getByRole('table', { name: '退款' })
  await expect(refunds).toContainText('¥8.80')
  await expect(refunds).toContainText('缺货，部分退款')
  // The refund settles and its webhook is delivered: reload until the page shows it.
  await expect(async () => {
    await page.reload()
    const hooks = page.getByRole('table', { name: 'Webhook 投递' })
    await expect(hooks.getByRole('row').filter({ hasText: 'refund.succeeded' }).filter({ hasText: sink.url })).toContainText('已送达', { timeout: 500 })
    await expect(page.getByRole('table', { name: '退款' })).toContainText('成功', { timeout: 500 })
  }).toPass({ timeout: 15_000 })
  await expect(page.getByRole('table', { name: 'Webhook 投递' }).getByRole('row').filter({ hasText: 'order.paid' }).filter({ hasText: sink.url })).toContainText('已送达')
  await expect(page.locator('dl')).toContainText('¥17.00') // what remains
  expect(sink.received.some(b => b.includes('"refund.succeeded"') && b.includes(target.orderNo))).toBe(true)
  await screen(page, 'order-desktop-zh')

  // Log out: the console is closed again.
  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page.getByRole('status')).toHaveText('已退出登录。')
  await page.goto(`/console/orders/${target.orderNo}`)
  await expect(page).toHaveURL(/\/console\/login\?next=/)
  await context.close()
})

test('on a phone in English: log in with an API key, refund in full after a confirmation', async ({ browser }) => {
  const target = await paidOrder({ amountFen: 1200, subject: 'Pour-over kettle' })
  const context = await consoleContext(browser, { phone: true, lang: 'en' })
  const page = await context.newPage()
  await page.goto('/console/login')
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in')
  await screen(page, 'login-phone-en')
  await logIn(page, apiKey())

  await page.getByLabel('Order no., merchant order id or subject').fill(target.orderNo)
  await page.getByRole('button', { name: 'Filter' }).click()
  await expect(page.getByRole('link', { name: target.orderNo })).toBeVisible()
  await screen(page, 'orders-phone-en')
  await page.getByRole('link', { name: target.orderNo }).click()
  await page.getByRole('button', { name: 'Review refund…' }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm the refund')
  await screen(page, 'refund-confirm-phone-en')
  await page.getByRole('button', { name: 'Refund ¥12.00' }).click()
  await expect(page.getByRole('status')).toContainText('The refund was sent')
  await expect(async () => {
    await page.reload()
    await expect(page.getByRole('table', { name: 'Webhook deliveries' }).getByRole('row').filter({ hasText: 'refund.succeeded' })).toContainText('Delivered', { timeout: 500 })
  }).toPass({ timeout: 15_000 })
  await expect(page.locator('.badge').first()).toHaveText('Refunded')
  // Nothing is wider than the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await screen(page, 'order-phone-en')

  // A paid order cannot be closed: the page says why.
  await page.goto(`/console/orders/${target.orderNo}/close`)
  await expect(page.getByRole('alert')).toContainText('cannot be closed')
  await context.close()
})

test('the other screens: phone in Chinese, desktop in English, and closing an order', async ({ browser }) => {
  const pending = await order({ amountFen: 4999, subject: '露营灯 (预售) — 一个很长很长的商品名称用来检查窄屏上的换行是否正常显示', metadata: { campaign: 'double-12', note: '<b>not bold</b>' } })
  for (const [phone, lang] of [[true, 'zh'], [false, 'en']] as const) {
    const context = await consoleContext(browser, { phone, lang })
    const page = await context.newPage()
    await logIn(page, CONSOLE_PASSWORD)
    const name = `${phone ? 'phone' : 'desktop'}-${lang}`
    await screen(page, `orders-${name}`)
    await page.goto(`/console/orders/${pending.orderNo}`)
    await expect(page.getByText('<b>not bold</b>', { exact: false })).toBeVisible()
    await screen(page, `order-pending-${name}`)
    if (phone)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    if (lang === 'en') {
      await page.getByRole('link', { name: 'Close order…' }).click()
      await screen(page, `close-confirm-${name}`)
      await page.getByRole('button', { name: 'Close the order' }).click()
      await expect(page.getByRole('status')).toHaveText('The order is closed.')
      await expect(page.locator('dl')).toContainText('Closed')
    }
    // The ?lang= switch.
    await page.getByRole('link', { name: lang === 'en' ? '中文' : 'English' }).click()
    await expect(page.locator('html')).toHaveAttribute('lang', lang === 'en' ? 'zh-CN' : 'en')
    await context.close()
  }
  expect((await merchant('GET', `/orders/${pending.orderNo}`)).status).toBe('closed')

  // The narrowest phones: nothing wider than 320 px.
  const narrow = await browser.newContext({ ...PHONE, viewport: { width: 320, height: 640 }, locale: 'zh-CN' })
  const page = await narrow.newPage()
  await logIn(page, CONSOLE_PASSWORD)
  for (const url of ['/console', `/console/orders/${pending.orderNo}`]) {
    await page.goto(url)
    expect(await page.evaluate(() => document.documentElement.scrollWidth), url).toBeLessThanOrEqual(320)
  }
  await screen(page, 'order-320-zh')
  await narrow.close()
})
