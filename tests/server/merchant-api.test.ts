import type { MerchantClient, WebhookReceiver } from '../helpers/merchant'
import type { TestServer } from '../helpers/server'
import { Buffer } from 'node:buffer'
import jsQR from 'jsqr'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { verifyWebhook } from '../../server/events/signature'
import { revokeApiKey } from '../../server/merchant/api-keys'
import { snapshotTables } from '../helpers/db-snapshot'
import { eventually, merchantClient, webhookReceiver } from '../helpers/merchant'
import { key, removeDir, startTestServer } from '../helpers/server'

let server: TestServer
let shop: MerchantClient
let hooks: WebhookReceiver
let secret: string

async function sandbox(pathname: string, body?: unknown) {
  const res = await fetch(`${server.url}/sandbox${pathname}`, body === undefined ? {} : { method: body === null ? 'DELETE' : pathname === '/api/faults' ? 'PUT' : 'POST', headers: { 'content-type': 'application/json' }, body: body === null ? undefined : JSON.stringify(body) })
  return res.json() as Promise<Record<string, any>> // any: sandbox answers are read field by field
}

/** Starts a Native payment of the order through the cashier's API; answers its action. */
async function native(orderNo: string) {
  const res = await server.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  expect(res.status).toBe(200)
  return res.json as { codeUrl: string, attemptId: string }
}

async function paidOrder(amountFen = 1000) {
  const order = await shop.order({ amountFen })
  const action = await native(order.orderNo)
  await sandbox('/api/wechat/pay', { code_url: action.codeUrl })
  await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid')
  return order
}

const eventsOf = (orderNo: string) => hooks.received.map(r => JSON.parse(r.body) as { id: string, type: string, data: { order: { orderNo: string, status: string, refundedFen: number }, refund?: { status: string, amountFen: number, kind: string } } }).filter(e => e.data.order.orderNo === orderNo)

beforeAll(async () => {
  server = await startTestServer({ env: { WEBHOOK_TIME_SCALE: '0.01', WEBHOOK_TIMEOUT_MS: '1000', REFUND_CHECK_SECONDS: '0.2', SWEEP_INTERVAL_SECONDS: '0.5' } })
  shop = await merchantClient(server)
  hooks = await webhookReceiver()
  const endpoint = await shop.call('POST', '/webhook-endpoints', { body: { url: hooks.url, description: 'tests' } })
  expect(endpoint.status).toBe(201)
  expect(endpoint.json.secret).toMatch(/^whsec_/)
  secret = endpoint.json.secret
})

beforeEach(async () => {
  hooks.answer(() => 200)
  await sandbox('/api/faults', null)
})

afterAll(async () => {
  await hooks.close()
  await server.close()
  removeDir(server.dataDir)
})

describe('merchant API keys', () => {
  it('answers 401 with a code for a missing, malformed, unknown or revoked key, and never takes a cookie', async () => {
    const call = (headers: Record<string, string>) => server.call('GET', '/api/merchant/v1/orders', { headers })
    expect((await call({})).json).toMatchObject({ code: 'missing_api_key' })
    expect((await call({ Authorization: 'Basic abc' })).json).toMatchObject({ code: 'invalid_api_key' })
    expect((await call({ Authorization: `Bearer sk_test_${'x'.repeat(32)}` })).json).toMatchObject({ code: 'invalid_api_key', message: 'no such API key' })
    const session = (await server.call('POST', '/api/payments', { body: { orderNo: (await shop.order()).orderNo, method: 'wechat_jsapi' }, headers: { 'Idempotency-Key': key() } })).headers.get('set-cookie') ?? ''
    const cookieOnly = await call({ Cookie: session.split(';')[0]! })
    expect(cookieOnly.status).toBe(401)
    expect(cookieOnly.headers.get('www-authenticate')).toContain('Bearer')
    const other = await merchantClient(server, 'to revoke')
    expect((await other.call('GET', '/orders')).status).toBe(200)
    const [row] = await server.services.db.selectFrom('api_keys').select('id').where('name', '=', 'to revoke').execute()
    await revokeApiKey(server.services.db, row!.id)
    expect((await other.call('GET', '/orders')).json).toMatchObject({ code: 'invalid_api_key', message: 'this API key was revoked' })
    // Several keys live at once: revoking one leaves the others working.
    expect((await shop.call('GET', '/orders')).status).toBe(200)
  })

  it('refuses a secret key sent to the cashier\'s public endpoints, and stores only its hash', async () => {
    const order = await shop.order()
    const res = await server.call('GET', `/api/orders/${order.orderNo}`, { headers: { Authorization: `Bearer ${shop.apiKey}` } })
    expect(res.status).toBe(403)
    expect(res.json.code).toBe('forbidden')
    const rows = await server.services.db.selectFrom('api_keys').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(shop.apiKey)
  })
})

describe('orders', () => {
  it('creates an order with its checkout URL and a QR image that decodes to it', async () => {
    const order = await shop.order({ amountFen: 1234, subject: '拿铁', description: '大杯', metadata: { table: 7, vip: true } })
    expect(order).toMatchObject({ status: 'pending', amountFen: 1234, refundedFen: 0, currency: 'CNY', subject: '拿铁', description: '大杯', metadata: { table: 7, vip: true }, attempts: [], refunds: [] })
    expect(order.orderNo).toMatch(/^O[0-9A-Z]{26}$/)
    expect(order.checkoutUrl).toBe(`${server.url}/#/pages/checkout/checkout?orderNo=${order.orderNo}`)
    const svg = await server.call('GET', `/api/merchant/v1/orders/${order.orderNo}/qr.svg`, { headers: { Authorization: `Bearer ${shop.apiKey}` } })
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    expect(svg.text).toMatch(/^<svg/)
    const png = await fetch(`${server.listenUrl}/api/merchant/v1/orders/${order.orderNo}/qr.png`, { headers: { Authorization: `Bearer ${shop.apiKey}` } })
    expect(png.headers.get('content-type')).toBe('image/png')
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()))
    expect(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data).toBe(order.checkoutUrl)
    expect((await server.call('GET', '/api/merchant/v1/orders/ONOPE0000/qr.png', { headers: { Authorization: `Bearer ${shop.apiKey}` } })).status).toBe(404)
  })

  it('is idempotent on the Idempotency-Key and unique on merchantOrderId', async () => {
    const body = { amountFen: 500, subject: '面包', merchantOrderId: `M-${Date.now()}` }
    const idem = key()
    const first = await shop.call('POST', '/orders', { body, idempotencyKey: idem })
    expect(first.status).toBe(201)
    const replay = await shop.call('POST', '/orders', { body, idempotencyKey: idem })
    expect(replay.json.orderNo).toBe(first.json.orderNo)
    expect((await shop.call('POST', '/orders', { body: { ...body, amountFen: 501 }, idempotencyKey: idem })).json.code).toBe('idempotency_conflict')
    const sameId = await shop.call('POST', '/orders', { body })
    expect(sameId.status).toBe(200)
    expect(sameId.json.orderNo).toBe(first.json.orderNo)
    const conflict = await shop.call('POST', '/orders', { body: { ...body, subject: '别的' } })
    expect(conflict.status).toBe(409)
    expect(conflict.json.code).toBe('merchant_order_conflict')
    expect((await shop.call('POST', '/orders', { body, idempotencyKey: null })).json.code).toBe('idempotency_key_required')
  })

  it('refuses bad input with a specific 4xx and leaves the database unchanged', async () => {
    const before = await snapshotTables(server.services.db)
    const cases: Array<[unknown, number, string]> = [
      [{ amountFen: '10', subject: 'x', merchantOrderId: 'A1' }, 400, 'validation_failed'],
      [{ amountFen: 0, subject: 'x', merchantOrderId: 'A1' }, 400, 'validation_failed'],
      [{ amountFen: 1.5, subject: 'x', merchantOrderId: 'A1' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: '', merchantOrderId: 'A1' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'has space' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', currency: 'USD' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', metadata: { big: 'x'.repeat(500), more: 'y'.repeat(500), again: 'z'.repeat(500), last: 'w'.repeat(500), over: 'v'.repeat(200) } }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', metadata: { nested: { a: 1 } } }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', returnUrl: 'javascript:alert(1)' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', returnUrl: 'https://evil.example/x' }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', methods: ['bitcoin'] }, 400, 'validation_failed'],
      [{ amountFen: 10, subject: 'x', merchantOrderId: 'A1', extra: true }, 400, 'validation_failed'],
    ]
    for (const [body, status, code] of cases) {
      const res = await shop.call('POST', '/orders', { body })
      expect([res.status, res.json.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code])
    }
    const malformed = await server.call('POST', '/api/merchant/v1/orders', { rawBody: '{"amountFen":', headers: { 'Authorization': `Bearer ${shop.apiKey}`, 'Idempotency-Key': key(), 'content-type': 'application/json' } })
    expect(malformed.status).toBe(400)
    const notJson = await server.call('POST', '/api/merchant/v1/orders', { rawBody: 'a=1', headers: { 'Authorization': `Bearer ${shop.apiKey}`, 'Idempotency-Key': key(), 'content-type': 'application/x-www-form-urlencoded' } })
    expect(notJson.status).toBe(415)
    expect((await shop.call('GET', '/orders/ONOPE0000')).json.code).toBe('order_not_found')
    expect((await shop.call('POST', '/orders/ONOPE0000/close')).json.code).toBe('order_not_found')
    expect((await shop.call('POST', '/orders/ONOPE0000/refunds', { body: {} })).json.code).toBe('order_not_found')
    expect((await shop.call('GET', '/orders?limit=500')).status).toBe(400)
    expect((await shop.call('GET', '/orders?cursor=bm90YWN1cnNvcg')).json.code).toBe('validation_failed')
    expect(await snapshotTables(server.services.db)).toBe(before)
  })

  it('lists orders newest first with cursor pagination and filters', async () => {
    const tag = `L-${Date.now()}`
    const made: string[] = []
    for (let i = 0; i < 5; i++)
      made.push((await shop.order({ merchantOrderId: `${tag}-${i}` })).orderNo)
    const from = new Date(Date.now() - 60_000).toISOString()
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await shop.call('GET', `/orders?limit=2&status=pending&created_from=${encodeURIComponent(from)}${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.status).toBe(200)
      expect(page.json.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.json.data.map((o: { orderNo: string }) => o.orderNo))
      cursor = page.json.nextCursor
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    const ours = seen.filter(n => made.includes(n))
    expect(ours).toEqual([...made].reverse())
    const none = await shop.call('GET', `/orders?created_to=${encodeURIComponent(from)}&status=refunded`)
    expect(none.json.data.every((o: { status: string }) => o.status === 'refunded')).toBe(true)
  })
})

describe('close', () => {
  it('closes a pending order and its open payment at the provider, announces order.closed, and refuses a paid one', async () => {
    const order = await shop.order()
    const action = await native(order.orderNo)
    const closed = await shop.call('POST', `/orders/${order.orderNo}/close`)
    expect(closed.json).toMatchObject({ status: 'closed', closedReason: 'merchant' })
    expect(closed.json.attempts[0]).toMatchObject({ status: 'closed' })
    expect((await sandbox('/api/wechat/pay', { code_url: action.codeUrl })).error).toMatch(/closed/)
    await eventually(async () => eventsOf(order.orderNo), e => e.some(x => x.type === 'order.closed'))
    expect(eventsOf(order.orderNo).map(e => e.type)).toEqual(['order.closed'])
    expect((await shop.call('POST', `/orders/${order.orderNo}/close`)).json.status).toBe('closed')
    const paid = await paidOrder()
    const refused = await shop.call('POST', `/orders/${paid.orderNo}/close`)
    expect([refused.status, refused.json.code]).toEqual([409, 'order_not_closable'])
  })

  it('a payment that races the close wins: the order becomes paid, never lost', async () => {
    const order = await shop.order()
    const action = await native(order.orderNo)
    await sandbox('/api/faults', { dropNotifyRate: 1 })
    await sandbox('/api/wechat/pay', { code_url: action.codeUrl })
    const res = await shop.call('POST', `/orders/${order.orderNo}/close`)
    expect([res.status, res.json.code]).toEqual([409, 'order_not_closable'])
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.status).toBe('paid')
  })

  it('answers 502 and leaves the order pending when the provider cannot confirm the close', async () => {
    const order = await shop.order()
    await native(order.orderNo)
    await sandbox('/api/faults', { failApiRate: 1, apiOps: ['close'] })
    const res = await shop.call('POST', `/orders/${order.orderNo}/close`)
    expect([res.status, res.json.code, res.json.retryable]).toEqual([502, 'provider_unavailable', true])
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json).toMatchObject({ status: 'pending', attempts: [{ status: 'open' }] })
  })
})

describe('refunds', () => {
  it('refunds in parts up to the paid amount; the order is refunded when all of it is', async () => {
    const order = await paidOrder(1000)
    const first = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 300, reason: '少一杯' } })
    expect(first.status).toBe(201)
    expect(first.json).toMatchObject({ amountFen: 300, kind: 'merchant', status: 'succeeded', reason: '少一杯' })
    const over = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 701 } })
    expect([over.status, over.json.code, over.json.remainingFen]).toEqual([409, 'refund_exceeds_remaining', 700])
    expect((await server.call('GET', `/api/orders/${order.orderNo}/status`)).json).toMatchObject({ status: 'paid', refundedFen: 300 })
    const rest = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: {} })
    expect(rest.json).toMatchObject({ amountFen: 700, status: 'succeeded' })
    const after = await shop.call('GET', `/orders/${order.orderNo}`)
    expect(after.json).toMatchObject({ status: 'refunded', refundedFen: 1000 })
    expect((await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 1 } })).json.code).toBe('order_fully_refunded')
    const stats = (await sandbox('/api/stats')).wechat[after.json.attempts[0].outTradeNo]
    expect(stats.refund).toBe(2)
    await eventually(async () => eventsOf(order.orderNo), e => e.filter(x => x.type === 'refund.succeeded').length === 2)
    expect(eventsOf(order.orderNo).map(e => e.type)).toEqual(['order.paid', 'refund.succeeded', 'refund.succeeded'])
  })

  it('refuses to refund an unpaid order, and answers a retried refund request once', async () => {
    const pending = await shop.order()
    const res = await shop.call('POST', `/orders/${pending.orderNo}/refunds`, { body: {} })
    expect([res.status, res.json.code]).toEqual([409, 'order_not_paid'])
    const order = await paidOrder(800)
    const idem = key()
    const a = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 100 }, idempotencyKey: idem })
    const b = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 100 }, idempotencyKey: idem })
    expect(b.json.id).toBe(a.json.id)
    expect((await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 200 }, idempotencyKey: idem })).json.code).toBe('idempotency_conflict')
    expect((await shop.call('GET', `/orders/${order.orderNo}`)).json.refunds).toHaveLength(1)
  })

  it('a refund still processing at the provider settles by its notification, or by a query when that is lost', async () => {
    const order = await paidOrder(600)
    await sandbox('/api/faults', { refundPendingMs: 300 })
    const res = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 100 } })
    expect(res.json.status).toBe('processing')
    await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refunds[0]?.status === 'succeeded')
    await sandbox('/api/faults', { refundPendingMs: 300, dropNotifyRate: 1 })
    const lost = await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 100 } })
    expect(lost.json.status).toBe('processing')
    const settled = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refunds[1]?.status === 'succeeded')
    expect(settled.json).toMatchObject({ refundedFen: 200, status: 'paid' })
  })

  it('a refund the provider cannot pay out ends failed and is announced as refund.failed', async () => {
    const order = await paidOrder(400)
    await sandbox('/api/faults', { refundFailRate: 1 })
    await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: {} })
    const after = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refunds[0]?.status === 'failed')
    expect(after.json).toMatchObject({ status: 'paid', refundedFen: 0, refunds: [{ status: 'failed', failure: expect.stringContaining('ABNORMAL') }] })
    await eventually(async () => eventsOf(order.orderNo), e => e.some(x => x.type === 'refund.failed'))
    // A failed refund does not count against what remains.
    await sandbox('/api/faults', null)
    expect((await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: {} })).json).toMatchObject({ amountFen: 400, status: 'succeeded' })
  })
})

describe('duplicate and late payments', () => {
  it('a second attempt paid for an order already paid is recorded, refunded once and announced', async () => {
    const order = await shop.order({ amountFen: 700 })
    const first = await native(order.orderNo)
    // The providers are down for closes: the first QR code stays open beside the second, and when the first is paid
    // the server cannot close the second either, so the customer pays both.
    await sandbox('/api/faults', { failApiRate: 1, apiOps: ['close'] })
    const second = (await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'alipay_qr' }, headers: { 'Idempotency-Key': key() } })).json as { codeUrl: string }
    await sandbox('/api/wechat/pay', { code_url: first.codeUrl })
    await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid')
    expect((await sandbox('/api/alipay/pay', { qr_code: second.codeUrl })).ok).toBe(true)
    await sandbox('/api/faults', null)
    const after = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refunds[0]?.status === 'succeeded')
    expect(after.json).toMatchObject({ status: 'paid', refundedFen: 0 })
    expect(after.json.attempts.filter((a: { duplicate: boolean }) => a.duplicate)).toHaveLength(1)
    expect(after.json.refunds).toEqual([expect.objectContaining({ kind: 'duplicate', amountFen: 700, status: 'succeeded' })])
    await eventually(async () => eventsOf(order.orderNo), e => e.some(x => x.type === 'payment.duplicate') && e.some(x => x.type === 'refund.succeeded'))
    expect(eventsOf(order.orderNo).map(e => e.type)).toEqual(['order.paid', 'payment.duplicate', 'refund.succeeded'])
  })

  it('a payment that lands after the merchant closed the order is refunded and announced, never kept silently', async () => {
    const order = await shop.order({ amountFen: 900, methods: ['alipay_wap'] })
    const wap = (await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'alipay_wap' }, headers: { 'Idempotency-Key': key() } })).json as { url: string }
    // The WAP trade does not exist at Alipay until the customer opens the link, so closing finds nothing to close.
    expect((await shop.call('POST', `/orders/${order.orderNo}/close`)).json.status).toBe('closed')
    expect((await fetch(wap.url)).status).toBe(200)
    const outTradeNo = new URL(wap.url).searchParams.get('biz_content') ? JSON.parse(new URL(wap.url).searchParams.get('biz_content')!).out_trade_no : ''
    await sandbox('/api/alipay/pay', { out_trade_no: outTradeNo })
    const after = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.refunds[0]?.status === 'succeeded')
    expect(after.json).toMatchObject({ status: 'closed', refunds: [{ kind: 'duplicate', amountFen: 900 }], attempts: [{ status: 'succeeded', duplicate: true }] })
    await eventually(async () => eventsOf(order.orderNo), e => e.some(x => x.type === 'payment.duplicate'))
  })
})

describe('webhooks', () => {
  it('signs every delivery over the exact body, retries failures (5xx, redirects, timeouts) and logs every attempt', async () => {
    hooks.answer((_req, n) => (n % 4 === 1 ? 500 : n % 4 === 2 ? 'redirect' : n % 4 === 3 ? 'hang' : 200))
    const start = hooks.received.length
    const order = await paidOrder(100)
    const view = await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.webhooks[0]?.deliveries[0]?.status === 'delivered', 15_000)
    const delivery = view.json.webhooks[0].deliveries[0]
    expect(delivery.attempts.map((a: { statusCode?: number, error?: string }) => a.statusCode ?? a.error)).toEqual([500, 302, expect.stringContaining('no answer'), 200])
    const mine = hooks.received.slice(start).filter(r => JSON.parse(r.body).data.order.orderNo === order.orderNo)
    expect(new Set(mine.map(r => r.headers['uni-cashier-event-id'])).size).toBe(1)
    for (const r of mine)
      expect(verifyWebhook(r.body, r.headers['uni-cashier-signature'] as string, secret)).toBe(true)
    const last = mine.at(-1)!
    expect(verifyWebhook(`${last.body} `, last.headers['uni-cashier-signature'] as string, secret)).toBe(false)
    expect(verifyWebhook(last.body, last.headers['uni-cashier-signature'] as string, 'whsec_wrong')).toBe(false)
  })

  it('delivers the events of an order in order, and replays one on request', async () => {
    hooks.answer(() => 503)
    const order = await paidOrder(300)
    await shop.call('POST', `/orders/${order.orderNo}/refunds`, { body: { amountFen: 100 } })
    await new Promise(r => setTimeout(r, 300))
    // The refund event waits behind the paid event that is still failing.
    expect(eventsOf(order.orderNo).every(e => e.type === 'order.paid')).toBe(true)
    hooks.answer(() => 200)
    await eventually(async () => eventsOf(order.orderNo), e => e.some(x => x.type === 'refund.succeeded'), 15_000)
    const types = eventsOf(order.orderNo).map(e => e.type)
    expect(types.lastIndexOf('order.paid')).toBeLessThan(types.indexOf('refund.succeeded'))
    const paidEvent = eventsOf(order.orderNo).find(e => e.type === 'order.paid')!
    const before = hooks.received.length
    const replay = await shop.call('POST', `/webhooks/${paidEvent.id}/replay`)
    expect(replay.status).toBe(202)
    await eventually(async () => hooks.received.length, n => n > before)
    expect(JSON.parse(hooks.received.at(-1)!.body).id).toBe(paidEvent.id)
    expect((await shop.call('POST', '/webhooks/evt_AAAAAAAAAAAAAAAA/replay')).json.code).toBe('event_not_found')
  })

  it('manages endpoints: https only outside the sandbox rules, secrets shown once, disabled on delete', async () => {
    expect((await shop.call('POST', '/webhook-endpoints', { body: { url: 'ftp://x.example/hook' } })).json.code).toBe('validation_failed')
    expect((await shop.call('POST', '/webhook-endpoints', { body: { url: 'https://user:pw@x.example/hook' } })).json.code).toBe('validation_failed')
    const made = await shop.call('POST', '/webhook-endpoints', { body: { url: 'https://shop.example/hooks' } })
    const list = await shop.call('GET', '/webhook-endpoints')
    expect(list.json.data.find((e: { id: string }) => e.id === made.json.id)).not.toHaveProperty('secret')
    expect((await shop.call('DELETE', `/webhook-endpoints/${made.json.id}`)).json.disabled).toBe(true)
    expect((await shop.call('DELETE', '/webhook-endpoints/we_nope')).json.code).toBe('webhook_endpoint_not_found')
  })
})
