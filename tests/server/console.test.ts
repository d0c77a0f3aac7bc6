import type { MerchantClient, WebhookReceiver } from '../helpers/merchant'
import type { TestServer } from '../helpers/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config'
import { revokeApiKey } from '../../server/merchant/api-keys'
import { snapshotTables } from '../helpers/db-snapshot'
import { eventually, merchantClient, webhookReceiver } from '../helpers/merchant'
import { key, removeDir, startTestServer } from '../helpers/server'

const PASSWORD = 'console-password-for-tests'

let server: TestServer
let shop: MerchantClient
let hooks: WebhookReceiver
let ipSeq = 0

interface Page { status: number, text: string, headers: Headers, location: string | null }

/** A browser stand-in: one client IP (X-Forwarded-For, the server trusts it in these tests) and a cookie jar. */
class Browser {
  readonly ip = `203.0.113.${++ipSeq}`
  readonly cookies = new Map<string, string>()
  lang?: string

  async request(method: 'GET' | 'POST', pathname: string, opts: { form?: Record<string, string>, origin?: string | null, headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { 'X-Forwarded-For': this.ip, ...(this.lang ? { 'Accept-Language': this.lang } : {}), ...opts.headers }
    if (this.cookies.size > 0)
      headers.Cookie = Array.from(this.cookies, ([k, v]) => `${k}=${v}`).join('; ')
    if (method === 'POST') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
      if (opts.origin !== null)
        headers.Origin = opts.origin ?? server.url
    }
    const res = await fetch(`${server.url}${pathname}`, { method, headers, body: opts.form ? new URLSearchParams(opts.form).toString() : undefined, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';')
      const [name = '', value = ''] = pair.split('=')
      if (/max-age=0/i.test(c) || value === '')
        this.cookies.delete(name)
      else
        this.cookies.set(name, value)
    }
    return { status: res.status, text: await res.text(), headers: res.headers, location: res.headers.get('location') }
  }

  get(pathname: string, headers?: Record<string, string>): Promise<Page> {
    return this.request('GET', pathname, { headers })
  }

  post(pathname: string, form: Record<string, string>, origin?: string | null): Promise<Page> {
    return this.request('POST', pathname, { form, origin })
  }

  login(secret: string): Promise<Page> {
    return this.post('/console/login', { secret })
  }

  /** The CSRF token of the forms on `pathname`. */
  async csrf(pathname = '/console'): Promise<string> {
    const page = await this.get(pathname)
    const token = /name="_csrf" value="([\w-]+)"/.exec(page.text)?.[1]
    if (!token)
      throw new Error(`no CSRF token on ${pathname} (${page.status})`)
    return token
  }
}

async function loggedIn(secret = PASSWORD): Promise<Browser> {
  const b = new Browser()
  const res = await b.login(secret)
  expect(res.status).toBe(303)
  return b
}

async function sandbox(pathname: string, body: unknown) {
  const res = await fetch(`${server.url}/sandbox${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return res.json() as Promise<Record<string, unknown>>
}

async function paidOrder(amountFen = 1000, extra: Record<string, unknown> = {}) {
  const order = await shop.order({ amountFen, ...extra })
  const res = await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  expect(res.status).toBe(200)
  await sandbox('/api/wechat/pay', { code_url: res.json.codeUrl })
  await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid')
  return order
}

/** Waits until no webhook delivery or refund is still in flight, so table snapshots compare only what a request did. */
async function settled(): Promise<void> {
  await eventually(async () => {
    const deliveries = await server.services.db.selectFrom('event_deliveries').select('status').where('status', '=', 'pending').execute()
    const refunds = await server.services.db.selectFrom('refunds').select('status').where('status', 'in', ['pending', 'processing']).execute()
    return deliveries.length + refunds.length
  }, n => n === 0)
}

beforeAll(async () => {
  server = await startTestServer({ env: { CONSOLE_PASSWORD: PASSWORD, TRUST_PROXY: 'true', WEBHOOK_TIME_SCALE: '0.01', WEBHOOK_TIMEOUT_MS: '1000', REFUND_CHECK_SECONDS: '0.2' } })
  shop = await merchantClient(server)
  hooks = await webhookReceiver()
  const endpoint = await shop.call('POST', '/webhook-endpoints', { body: { url: hooks.url, description: 'console tests' } })
  expect(endpoint.status).toBe(201)
})

afterAll(async () => {
  await hooks.close()
  await server.close()
  removeDir(server.dataDir)
})

describe('console login', () => {
  it('refuses to start with a CONSOLE_PASSWORD shorter than 12 characters, in live and sandbox mode alike', () => {
    for (const mode of ['sandbox', 'live'])
      expect(() => loadConfig({ CASHIER_MODE: mode, CONSOLE_PASSWORD: 'short-pass1' })).toThrow(ConfigError)
    expect(() => loadConfig({ CASHIER_MODE: 'sandbox', CONSOLE_PASSWORD: 'short-pass1' })).toThrow(/CONSOLE_PASSWORD/)
    expect(loadConfig({ CASHIER_MODE: 'sandbox' }).consolePassword).toBeUndefined()
  })

  it('sends a visitor without a session to the login page, with no-store and no framing', async () => {
    const b = new Browser()
    const list = await b.get('/console')
    expect(list.status).toBe(303)
    expect(list.location).toBe('/console/login')
    const deep = await b.get('/console/orders/O123?x=1')
    expect(deep.location).toBe(`/console/login?next=${encodeURIComponent('/console/orders/O123?x=1')}`)
    const login = await b.get('/console/login')
    expect(login.status).toBe(200)
    expect(login.headers.get('cache-control')).toBe('no-store')
    expect(login.headers.get('content-security-policy')).toContain('frame-ancestors \'none\'')
    expect(login.headers.get('content-security-policy')).toContain('default-src \'none\'')
    expect(login.headers.get('x-frame-options')).toBe('DENY')
    expect(login.text).toContain('<html lang="zh-CN">')
    expect(login.text).toContain('<label for="secret">')
  })

  it('speaks English by Accept-Language, and ?lang= switches and is remembered', async () => {
    const b = new Browser()
    b.lang = 'en-GB,en;q=0.9,zh;q=0.5'
    expect((await b.get('/console/login')).text).toContain('<html lang="en">')
    b.lang = 'fr-FR,zh-CN;q=0.8,en;q=0.5'
    expect((await b.get('/console/login')).text).toContain('<html lang="zh-CN">')
    expect((await b.get('/console/login?lang=en')).text).toContain('Password or API key')
    expect((await b.get('/console/login')).text).toContain('<html lang="en">')
  })

  it('refuses a wrong password, an unknown key and a revoked key, and sets no session', async () => {
    const b = new Browser()
    for (const secret of ['wrong password', `${PASSWORD} `.repeat(2), 'sk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '']) {
      const res = await b.login(secret)
      expect(res.status).toBe(401)
      expect(res.text).toContain('密码或 API 密钥不正确')
    }
    const revoked = await merchantClient(server, 'revoked shop')
    const row = await server.services.db.selectFrom('api_keys').select('id').where('name', '=', 'revoked shop').executeTakeFirstOrThrow()
    await revokeApiKey(server.services.db, row.id)
    expect((await b.login(revoked.apiKey)).status).toBe(401)
    expect(b.cookies.has('uc_console')).toBe(false)
  })

  it('logs in with the password or an API key: an HttpOnly, SameSite=Strict cookie on /console only', async () => {
    const b = new Browser()
    const res = await b.login(PASSWORD)
    expect(res.status).toBe(303)
    expect(res.location).toBe('/console')
    const cookie = res.headers.getSetCookie().find(c => c.startsWith('uc_console='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Strict/i)
    expect(cookie).toMatch(/Path=\/console(;|$)/)
    expect(cookie).not.toMatch(/Secure/i) // PUBLIC_URL is http here
    expect((await b.get('/console')).status).toBe(200)

    const withKey = await loggedIn(shop.apiKey)
    expect((await withKey.get('/console')).text).toContain('退出登录')
    // The session row does not hold the cookie's value.
    const rows = await server.services.db.selectFrom('console_sessions').select('id').execute()
    expect(rows.map(r => r.id)).not.toContain(withKey.cookies.get('uc_console'))
  })

  it('goes back to the page asked for, but never outside the console', async () => {
    const b = new Browser()
    expect((await b.request('POST', '/console/login', { form: { secret: PASSWORD, next: '/console?status=paid' } })).location).toBe('/console?status=paid')
    const c = new Browser()
    for (const next of ['https://evil.example/console', '//evil.example/console', '/api/merchant/v1/orders', '/consolex'])
      expect((await c.request('POST', '/console/login', { form: { secret: PASSWORD, next } })).location).toBe('/console')
  })

  it('refuses a login posted from another origin', async () => {
    const b = new Browser()
    const res = await b.post('/console/login', { secret: PASSWORD }, 'https://evil.example')
    expect(res.status).toBe(403)
    expect(b.cookies.has('uc_console')).toBe(false)
    expect((await b.post('/console/login', { secret: PASSWORD }, null)).status).toBe(403)
  })

  it('limits login attempts per client IP, even with the right password afterwards', async () => {
    const b = new Browser()
    for (let i = 0; i < 10; i++)
      expect((await b.login(`wrong-${i}`)).status).toBe(401)
    const limited = await b.login(PASSWORD)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.text).toContain('登录尝试过多')
    expect(b.cookies.has('uc_console')).toBe(false)
    // Another address is not affected.
    await loggedIn()
  })

  it('keeps the console and the other credentials apart', async () => {
    const b = await loggedIn()
    // The console's cookie opens nothing on the merchant API.
    const api = await fetch(`${server.url}/api/merchant/v1/orders`, { headers: { Cookie: `uc_console=${b.cookies.get('uc_console')}` } })
    expect(api.status).toBe(401)
    // The cashier's session opens nothing in the console, under either cookie name.
    const cashier = await server.services.sessions.create()
    for (const cookie of [`uc_sid=${cashier.id}`, `uc_console=${cashier.id}`]) {
      const res = await fetch(`${server.url}/console`, { headers: { Cookie: cookie }, redirect: 'manual' })
      expect(res.status).toBe(303)
    }
  })

  it('ends the session at logout (with its CSRF token) and when its API key is revoked', async () => {
    const b = await loggedIn()
    const cookie = b.cookies.get('uc_console')!
    expect((await b.post('/console/logout', {})).status).toBe(403)
    const out = await b.post('/console/logout', { _csrf: await b.csrf() })
    expect([out.status, out.location]).toEqual([303, '/console/login?bye=1'])
    b.cookies.set('uc_console', cookie)
    expect((await b.get('/console')).status).toBe(303)

    const other = await merchantClient(server, 'soon revoked')
    const k = await loggedIn(other.apiKey)
    expect((await k.get('/console')).status).toBe(200)
    const row = await server.services.db.selectFrom('api_keys').select('id').where('name', '=', 'soon revoked').executeTakeFirstOrThrow()
    await revokeApiKey(server.services.db, row.id)
    expect((await k.get('/console')).status).toBe(303)
  })
})

describe('console orders', () => {
  it('finds an order by its merchant order id, its number or a word of its subject, and filters by status', async () => {
    const b = await loggedIn()
    const mine = await shop.order({ subject: '蓝色杯子 blue mug', merchantOrderId: `FIND-${Date.now()}` })
    const other = await shop.order({ subject: '红色盘子' })
    const byId = await b.get(`/console?q=${encodeURIComponent(mine.merchantOrderId)}`)
    expect(byId.text).toContain(mine.orderNo)
    expect(byId.text).not.toContain(other.orderNo)
    expect((await b.get(`/console?q=${mine.orderNo}`)).text).toContain('蓝色杯子')
    expect((await b.get(`/console?q=${encodeURIComponent('blue')}`)).text).toContain(mine.orderNo)
    const paid = await b.get('/console?status=paid')
    expect(paid.text).not.toContain(mine.orderNo)
    const pending = await b.get('/console?status=pending')
    expect(pending.text).toContain(mine.orderNo)
    expect(pending.text).toContain('<caption>')
    // A search for the LIKE wildcard finds only subjects that contain it.
    expect((await b.get('/console?q=%25')).text).not.toContain(mine.orderNo)
    // A made-up cursor is a message, not a crash.
    const bad = await b.get('/console?cursor=nonsense')
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('class="error"')
  })

  it('escapes what the merchant wrote (subject, description, metadata, refund reason) everywhere', async () => {
    const b = await loggedIn()
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'
    const order = await paidOrder(500, { subject: hostile, description: `</dd>${hostile}`, metadata: { '<b>k</b>': `"><svg onload=alert(3)>` } })
    const confirm = await b.get(`/console/orders/${order.orderNo}/refund?amount=1&reason=${encodeURIComponent(hostile)}`)
    expect(confirm.status).toBe(200)
    const formKey = /name="formKey" value="([\w-]+)"/.exec(confirm.text)![1]!
    await b.post(`/console/orders/${order.orderNo}/refund`, { _csrf: await b.csrf(), amount: '100', reason: hostile, formKey })
    for (const page of [await b.get(`/console?q=${order.orderNo}`), await b.get(`/console/orders/${order.orderNo}`), confirm]) {
      expect(page.text).not.toMatch(/<script>alert|<img src=x|<svg onload|<b>k<\/b>|<\/dd><script/)
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;')
    }
    expect((await b.get(`/console/orders/${order.orderNo}`)).text).toContain('&lt;b&gt;k&lt;/b&gt;')
  })

  it('refunds part of a paid order after a confirmation, once per form, and lists the refund and its webhook', async () => {
    const b = await loggedIn()
    const order = await paidOrder(1000)
    const detail = await b.get(`/console/orders/${order.orderNo}`)
    expect(detail.text).toContain('¥10.00')
    expect(detail.text).toContain(`action="/console/orders/${order.orderNo}/refund"`)

    const confirm = await b.get(`/console/orders/${order.orderNo}/refund?amount=3.00&reason=${encodeURIComponent('少发一件')}`)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain('确认退款 ¥3.00')
    // Looking at the confirmation changes nothing.
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.refunds).toEqual([])
    const form = {
      _csrf: /name="_csrf" value="([\w-]+)"/.exec(confirm.text)![1]!,
      amount: /name="amount" value="(\d+)"/.exec(confirm.text)![1]!,
      reason: '少发一件',
      formKey: /name="formKey" value="([\w-]+)"/.exec(confirm.text)![1]!,
    }
    expect(form.amount).toBe('300')
    const done = await b.post(`/console/orders/${order.orderNo}/refund`, form)
    expect([done.status, done.location]).toEqual([303, `/console/orders/${order.orderNo}?done=refund`])
    // The same form again (a double click) refunds once.
    expect((await b.post(`/console/orders/${order.orderNo}/refund`, form)).status).toBe(303)
    const after = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refundedFen === 300 && r.json.webhooks.some((e: { type: string, deliveries: Array<{ status: string }> }) => e.type === 'refund.succeeded' && e.deliveries[0]?.status === 'delivered'))
    expect(after.json.refunds).toHaveLength(1)
    expect(after.json.refunds[0]).toMatchObject({ amountFen: 300, reason: '少发一件', status: 'succeeded' })

    const page = await b.get(`/console/orders/${order.orderNo}?done=refund`)
    expect(page.text).toContain('退款已提交')
    expect(page.text).toContain('少发一件')
    expect(page.text).toContain('refund.succeeded')
    expect(page.text).toContain(hooks.url)
    expect(page.text).toContain('已送达')
    expect(page.text).toContain('HTTP 200')
    expect(page.text).toContain('¥7.00') // what remains
  })

  it('explains a refund over what remains, of an unpaid order, or of a malformed amount, and changes nothing', async () => {
    const b = await loggedIn()
    const order = await paidOrder(800)
    const over = await b.get(`/console/orders/${order.orderNo}/refund?amount=8.01`)
    expect(over.status).toBe(409)
    expect(over.text).toContain('退款金额超过可退金额（¥8.00）')
    for (const amount of ['abc', '0', '-1', '1.234'])
      expect((await b.get(`/console/orders/${order.orderNo}/refund?amount=${amount}`)).status).toBe(400)
    // Posted directly (an old confirmation page), the server still refuses it.
    const form = { _csrf: await b.csrf(), amount: '801', reason: '', formKey: 'k'.repeat(20) }
    const refused = await b.post(`/console/orders/${order.orderNo}/refund`, form)
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('（¥8.00）')
    // Its language link leads to the order, not to a GET of the form's address.
    expect(refused.text).toContain(`href="/console/orders/${order.orderNo}?lang=en"`)
    expect(refused.text).not.toMatch(/at \w+ \(|\.ts:\d+/) // never a stack

    const unpaid = await shop.order()
    const notPaid = await b.get(`/console/orders/${unpaid.orderNo}/refund`)
    expect(notPaid.status).toBe(409)
    expect(notPaid.text).toContain('只有已支付的订单可以退款')
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.refunds).toEqual([])
  })

  it('in English too', async () => {
    const b = await loggedIn()
    b.lang = 'en'
    const order = await paidOrder(200)
    const over = await b.get(`/console/orders/${order.orderNo}/refund?amount=5`)
    expect(over.text).toContain('The amount is more than what remains to refund (¥2.00).')
    expect((await b.get(`/console/orders/${order.orderNo}`)).text).toContain('Webhook deliveries')
  })

  it('refuses a form without or with a wrong CSRF token, or from another origin, and changes nothing', async () => {
    const b = await loggedIn()
    const order = await paidOrder(600)
    const pending = await shop.order()
    const token = await b.csrf()
    const other = await loggedIn()
    const otherToken = await other.csrf()
    await settled()
    const before = await snapshotTables(server.services.db)
    const attempts: Array<[string, Record<string, string>, string | null | undefined]> = [
      [`/console/orders/${order.orderNo}/refund`, { amount: '100', formKey: 'a'.repeat(20) }, undefined],
      [`/console/orders/${order.orderNo}/refund`, { _csrf: 'x'.repeat(43), amount: '100', formKey: 'b'.repeat(20) }, undefined],
      [`/console/orders/${order.orderNo}/refund`, { _csrf: otherToken, amount: '100', formKey: 'c'.repeat(20) }, undefined],
      [`/console/orders/${order.orderNo}/refund`, { _csrf: token, amount: '100', formKey: 'd'.repeat(20) }, 'https://evil.example'],
      [`/console/orders/${order.orderNo}/refund`, { _csrf: token, amount: '100', formKey: 'e'.repeat(20) }, null],
      [`/console/orders/${pending.orderNo}/close`, {}, undefined],
      [`/console/orders/${pending.orderNo}/close`, { _csrf: `${token}x` }, undefined],
      [`/console/orders/${pending.orderNo}/close`, { _csrf: token }, 'http://127.0.0.1:1'],
    ]
    for (const [path, form, origin] of attempts) {
      const res = await b.post(path, form, origin)
      expect(res.status, `${path} ${JSON.stringify(form)} from ${origin}`).toBe(403)
      expect(res.text).toContain('未做任何更改')
    }
    // A form without any session goes to the login page.
    const anonymous = new Browser()
    expect((await anonymous.post(`/console/orders/${pending.orderNo}/close`, { _csrf: token })).location).toBe('/console/login?expired=1')
    expect(await snapshotTables(server.services.db)).toBe(before)
  })

  it('closes a pending order after a confirmation, and explains why a paid one cannot be closed', async () => {
    const b = await loggedIn()
    const order = await shop.order()
    const confirm = await b.get(`/console/orders/${order.orderNo}/close`)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain('确认关闭订单')
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.status).toBe('pending')
    const done = await b.post(`/console/orders/${order.orderNo}/close`, { _csrf: /name="_csrf" value="([\w-]+)"/.exec(confirm.text)![1]! })
    expect([done.status, done.location]).toEqual([303, `/console/orders/${order.orderNo}?done=close`])
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json).toMatchObject({ status: 'closed', closedReason: 'merchant' })
    expect((await b.get(`/console/orders/${order.orderNo}?done=close`)).text).toContain('订单已关闭')

    const paid = await paidOrder(300)
    expect((await b.get(`/console/orders/${paid.orderNo}/close`)).status).toBe(409)
    const refused = await b.post(`/console/orders/${paid.orderNo}/close`, { _csrf: await b.csrf() })
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('此订单已支付，不能关闭')
    expect((await shop.call('GET', `/orders/${paid.orderNo}`)).json.status).toBe('paid')
  })

  it('says so when a provider cannot confirm a close yet, and leaves the order pending', async () => {
    const b = await loggedIn()
    const order = await shop.order()
    const pay = await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
    expect(pay.status).toBe(200)
    await fetch(`${server.url}/sandbox/api/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failApiRate: 1, apiOps: ['close'] }) })
    try {
      const res = await b.post(`/console/orders/${order.orderNo}/close`, { _csrf: await b.csrf() })
      expect(res.status).toBe(502)
      expect(res.text).toContain('支付渠道暂时无法确认，请稍后再试')
    }
    finally {
      await fetch(`${server.url}/sandbox/api/faults`, { method: 'DELETE' })
    }
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.status).toBe('pending')
  })

  it('refuses an oversized form with a page', async () => {
    const b = await loggedIn()
    const order = await paidOrder(100)
    const res = await b.post(`/console/orders/${order.orderNo}/refund`, { _csrf: await b.csrf(), amount: '100', formKey: 'f'.repeat(20), reason: 'x'.repeat(20_000) })
    expect(res.status).toBe(413)
    expect(res.text).toContain('表单内容太长')
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.refunds).toEqual([])
  })

  it('answers an unknown order or page with a page, not an error dump', async () => {
    const b = await loggedIn()
    const missing = await b.get('/console/orders/O0000NOPE')
    expect(missing.status).toBe(404)
    expect(missing.text).toContain('找不到此页面或订单')
    expect((await b.get(`/console/orders/${encodeURIComponent('<x>')}`)).status).toBe(404)
    expect((await b.get('/console/nowhere')).status).toBe(404)
  })
})
