/**
 * The security review's remaining points, over real HTTP against the sandbox: order numbers that cannot be
 * enumerated, one open attempt per method and a cap on unconfirmed ones, refund notifications, limits on status reads
 * and event streams, sessions (none written before a payer is bound, a new id when one is, the payment limit on the
 * payer), the purge, response headers, provider errors kept from the browser, and the sandbox's CORS.
 */
import type { MerchantClient } from '../helpers/merchant'
import type { TestServer } from '../helpers/server'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signNotify } from '../../sandbox/alipay/sign'
import { aes256GcmEncrypt, randomNonce, signResponse } from '../../sandbox/wechat/crypto'
import { purgeExpired, takeJobLock } from '../../server/jobs/purge'
import { snapshotTables } from '../helpers/db-snapshot'
import { merchantClient } from '../helpers/merchant'
import { key, removeDir, startTestServer } from '../helpers/server'

let server: TestServer
let shop: MerchantClient

async function demoOrder(body: Record<string, unknown> = {}, s = server): Promise<string> {
  const res = await s.call('POST', '/api/demo/orders', { body })
  expect(res.status).toBe(201)
  return res.json.orderNo as string
}

async function pay(orderNo: string, method: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, s = server) {
  return s.call('POST', '/api/payments', { body: { orderNo, method, ...extra }, headers: { 'Idempotency-Key': key(), ...headers } })
}

async function sandbox(s: TestServer, pathname: string, body?: unknown, method = 'POST') {
  const res = await fetch(`${s.url}/sandbox${pathname}`, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return res.json() as Promise<Record<string, any>> // any: sandbox answers are read field by field
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, rounds = 200): Promise<T> {
  let v = await fn()
  for (let i = 0; i < rounds && !ok(v); i++) {
    await new Promise(r => setTimeout(r, 50))
    v = await fn()
  }
  return v
}

async function attemptsOf(orderNo: string, s = server) {
  return s.services.db.selectFrom('payment_attempts').selectAll().where('order_no', '=', orderNo).orderBy('created_at').execute()
}

async function paidWechatOrder(amountFen: number): Promise<{ orderNo: string, outTradeNo: string }> {
  const orderNo = await demoOrder({ amountFen })
  const res = await pay(orderNo, 'wechat_native')
  await sandbox(server, '/api/wechat/pay', { code_url: res.json.codeUrl })
  await eventually(() => server.call('GET', `/api/orders/${orderNo}`), r => r.json.status === 'paid')
  const [attempt] = await attemptsOf(orderNo)
  return { orderNo, outTradeNo: attempt!.out_trade_no }
}

/** Follows a sandbox OAuth authorisation; `user` is the sandbox's browser cookie (one payer), kept between calls. */
async function authorize(authorizeUrl: string, user = ''): Promise<{ code: string, state: string, user: string }> {
  const res = await fetch(authorizeUrl.replace(/#wechat_redirect$/, ''), { redirect: 'manual', headers: user ? { cookie: user } : {} })
  const query = new URL(res.headers.get('location')!.split('#')[0]!).searchParams
  const setUser = res.headers.get('set-cookie')?.match(/sandbox_wx_user=[0-9a-f]+/)?.[0]
  return { code: query.get('code') ?? query.get('auth_code')!, state: query.get('state')!, user: setUser ?? user }
}

function sidOf(res: { headers: Headers }): string | undefined {
  return res.headers.get('set-cookie')?.match(/uc_sid=[^;]*/)?.[0]
}

beforeAll(async () => {
  server = await startTestServer()
  shop = await merchantClient(server)
})

afterAll(async () => {
  await server.close()
  removeDir(server.dataDir)
})

describe('checkout links cannot be enumerated', () => {
  it('the public order number is 130 random bits, not the shop\'s id; the shop\'s id and guessed numbers get 404 everywhere', async () => {
    const merchantOrderId = `1${String(Date.now()).slice(-6)}`
    const order = await shop.order({ merchantOrderId, amountFen: 100 })
    expect(order.orderNo).toMatch(/^O[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(order.checkoutUrl).toContain(order.orderNo)
    expect(order.checkoutUrl).not.toContain(merchantOrderId)
    expect((await server.call('GET', `/api/orders/${order.orderNo}`)).status).toBe(200)
    const guessed = `O${Array.from(randomBytes(26), b => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[b & 31]).join('')}`
    // The next number after a real one (its last character moved on) is as unknown as any other.
    const neighbour = `${order.orderNo.slice(0, -1)}${order.orderNo.endsWith('0') ? '1' : '0'}`
    for (const candidate of [merchantOrderId, guessed, neighbour]) {
      for (const path of ['', '/status', '/events'])
        expect((await server.call('GET', `/api/orders/${candidate}${path}`)).json.code).toBe('order_not_found')
      expect((await pay(candidate, 'wechat_native')).status).toBe(404)
    }
  })
})

describe('a payment is never lost to a close or an expiry', () => {
  it('an expired order paid at the provider (notification lost) is found paid when closing, and answers order_already_paid', async () => {
    const orderNo = await demoOrder({ amountFen: 170 })
    const qr = await pay(orderNo, 'wechat_native')
    await sandbox(server, '/api/faults', { dropNotifyRate: 1 }, 'PUT')
    try {
      await sandbox(server, '/api/wechat/pay', { code_url: qr.json.codeUrl })
      await server.services.db.updateTable('orders').set({ expires_at: new Date(Date.now() - 1000) }).where('order_no', '=', orderNo).execute()
      const again = await pay(orderNo, 'wechat_native')
      expect(again.status).toBe(409)
      expect(again.json.code).toBe('order_already_paid')
      expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('paid')
      expect((await attemptsOf(orderNo)).map(a => a.status)).toEqual(['succeeded'])
    }
    finally {
      await sandbox(server, '/api/faults', undefined, 'DELETE')
    }
  })

  it('lATE_PAYMENTS=fulfil: a payment landing after the merchant closed the order makes it paid, announced as order.paid, not refunded', async () => {
    const fulfil = await startTestServer({ env: { LATE_PAYMENTS: 'fulfil' } })
    try {
      const merchant = await merchantClient(fulfil)
      const order = await merchant.order({ amountFen: 900, methods: ['alipay_wap'] })
      const wap = (await pay(order.orderNo, 'alipay_wap', {}, {}, fulfil)).json as { url: string }
      // The WAP trade does not exist at Alipay until the customer opens the link, so closing finds nothing to close.
      expect((await merchant.call('POST', `/orders/${order.orderNo}/close`)).json.status).toBe('closed')
      expect((await fetch(wap.url)).status).toBe(200)
      const outTradeNo = JSON.parse(new URL(wap.url).searchParams.get('biz_content')!).out_trade_no as string
      await sandbox(fulfil, '/api/alipay/pay', { out_trade_no: outTradeNo })
      const after = await eventually(() => merchant.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid')
      expect(after.json).toMatchObject({ status: 'paid', refunds: [] })
      const events = await fulfil.services.db.selectFrom('events').select('type').where('order_no', '=', order.orderNo).orderBy('seq').execute()
      expect(events.map(e => e.type)).toEqual(['order.closed', 'order.paid'])
    }
    finally {
      await fulfil.close()
      removeDir(fulfil.dataDir)
    }
  })
})

describe('one open attempt per method, and no more than a few unconfirmed ones', () => {
  it('paying again with the same method hands out the same QR code; another method closes it at the provider first', async () => {
    const orderNo = await demoOrder({ amountFen: 150 })
    const first = await pay(orderNo, 'wechat_native')
    const second = await pay(orderNo, 'wechat_native')
    expect(second.json.codeUrl).toBe(first.json.codeUrl)
    expect(await attemptsOf(orderNo)).toHaveLength(1)
    const alipay = await pay(orderNo, 'alipay_qr')
    expect(alipay.json.kind).toBe('qrcode')
    const attempts = await attemptsOf(orderNo)
    expect(attempts.map(a => [a.provider, a.status])).toEqual([['wechat', 'closed'], ['alipay', 'open']])
    // The closed QR code can no longer be paid at the provider.
    const late = await fetch(`${server.url}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code_url: first.json.codeUrl }) })
    expect(late.status).toBe(409)
  })

  it('when the provider cannot confirm closes, an order keeps at most 3 open attempts: the next is 429 and changes nothing', async () => {
    await sandbox(server, '/api/faults', { failApiRate: 1, apiOps: ['close'] }, 'PUT')
    try {
      const orderNo = await demoOrder({ amountFen: 160 })
      for (const method of ['wechat_native', 'wechat_h5', 'alipay_qr'])
        expect((await pay(orderNo, method)).status).toBe(200)
      expect((await attemptsOf(orderNo)).filter(a => a.status === 'open')).toHaveLength(3)
      const before = await snapshotTables(server.services.db)
      const fourth = await pay(orderNo, 'alipay_wap')
      expect(fourth.status).toBe(429)
      expect(fourth.json.code).toBe('too_many_attempts')
      expect(await snapshotTables(server.services.db)).toBe(before)
    }
    finally {
      await sandbox(server, '/api/faults', undefined, 'DELETE')
    }
  })
})

describe('refund notifications', () => {
  function wechatRefundNotification(resource: Record<string, unknown>): { headers: Record<string, string>, body: string } {
    const keys = server.keys()
    const nonce = randomNonce(6).slice(0, 12)
    const body = JSON.stringify({
      id: `EV-${randomBytes(8).toString('hex')}`,
      create_time: '2026-11-23T08:00:01+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'REFUND.SUCCESS',
      summary: '退款成功',
      resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext: aes256GcmEncrypt(JSON.stringify(resource), keys.wechat.apiV3Key, nonce, 'refund'), associated_data: 'refund', nonce },
    })
    return { headers: { ...signResponse(body, keys.wechat.platformPrivateKeyPem, keys.wechat.platformPublicKeyId), 'content-type': 'application/json' }, body }
  }

  it('weChat\'s REFUND.SUCCESS (no appid in its resource) settles a partial refund, and the order stays paid', async () => {
    const { orderNo, outTradeNo } = await paidWechatOrder(1000)
    await sandbox(server, '/api/faults', { refundPendingMs: 600_000 }, 'PUT')
    try {
      const refund = await shop.call('POST', `/orders/${orderNo}/refunds`, { body: { amountFen: 300 } })
      expect(refund.json.status).toBe('processing')
      const n = wechatRefundNotification({
        mchid: server.keys().wechat.mchId,
        out_trade_no: outTradeNo,
        transaction_id: '4200000000000000000000000001',
        out_refund_no: refund.json.outRefundNo,
        refund_id: '50000000000000000000000000001',
        refund_status: 'SUCCESS',
        success_time: '2026-11-23T08:01:00+08:00',
        user_received_account: '支付用户零钱',
        amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300 },
      })
      const res = await server.call('POST', '/api/notify/wechatpay', { rawBody: n.body, headers: n.headers })
      expect(res.status).toBe(200)
      const after = await shop.call('GET', `/orders/${orderNo}`)
      expect(after.json).toMatchObject({ status: 'paid', refundedFen: 300 })
      expect(after.json.refunds[0].status).toBe('succeeded')
      expect((await server.call('GET', `/api/orders/${orderNo}`)).json).toMatchObject({ status: 'paid', refundedFen: 300 })
    }
    finally {
      await sandbox(server, '/api/faults', undefined, 'DELETE')
    }
  })

  it('alipay\'s TRADE_CLOSED after a full refund settles the refund: the order is refunded, its payment not turned into a close', async () => {
    const orderNo = await demoOrder({ amountFen: 500 })
    const qr = await pay(orderNo, 'alipay_qr')
    await sandbox(server, '/api/alipay/pay', { qr_code: qr.json.codeUrl })
    await eventually(() => server.call('GET', `/api/orders/${orderNo}`), r => r.json.status === 'paid')
    const [attempt] = await attemptsOf(orderNo)
    await sandbox(server, '/api/faults', { refundPendingMs: 600_000 }, 'PUT')
    try {
      const refund = await shop.call('POST', `/orders/${orderNo}/refunds`, { body: {} })
      // Alipay answers "busy": the refund waits to be asked again (or for its notification).
      expect(refund.json.amountFen).toBe(500)
      expect(refund.json.status).not.toBe('succeeded')
      const keys = server.keys()
      const params: Record<string, string> = {
        notify_time: '2026-11-23 08:05:00',
        notify_type: 'trade_status_sync',
        notify_id: `N${Date.now()}`,
        app_id: keys.alipay.appId,
        charset: 'utf-8',
        version: '1.0',
        sign_type: 'RSA2',
        trade_no: '2026112322001000000077',
        out_trade_no: attempt!.out_trade_no,
        out_biz_no: refund.json.outRefundNo,
        seller_id: keys.alipay.sellerId,
        trade_status: 'TRADE_CLOSED',
        total_amount: '5.00',
        refund_fee: '5.00',
        gmt_refund: '2026-11-23 08:04:59',
      }
      params.sign = signNotify(params, keys.alipay.alipayPrivateKeyPem)
      const res = await server.call('POST', '/api/notify/alipay', { rawBody: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } })
      expect(res.text).toBe('success')
      const after = await shop.call('GET', `/orders/${orderNo}`)
      expect(after.json).toMatchObject({ status: 'refunded', refundedFen: 500 })
      expect(after.json.refunds[0].status).toBe('succeeded')
      expect((await attemptsOf(orderNo))[0]!.status).toBe('succeeded')
    }
    finally {
      await sandbox(server, '/api/faults', undefined, 'DELETE')
    }
  })
})

describe('limits on status reads, event streams and payments', () => {
  let limited: TestServer
  beforeAll(async () => {
    limited = await startTestServer({ env: {
      TRUST_PROXY: 'true',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_SESSION: '2',
      STATUS_RATE_LIMIT_PER_IP: '20',
      MAX_STREAMS_PER_IP: '2',
      MAX_STREAMS_PER_ORDER: '2',
    } })
  })
  afterAll(async () => {
    await limited.close()
    removeDir(limited.dataDir)
  })

  function openStream(orderNo: string, ip: string): { response: Promise<Response>, abort: () => void } {
    const controller = new AbortController()
    const response = fetch(`${limited.listenUrl}/api/orders/${orderNo}/events`, { headers: { 'X-Forwarded-For': ip }, signal: controller.signal })
    return { response, abort: () => controller.abort() }
  }

  it('status reads per IP: over STATUS_RATE_LIMIT_PER_IP a minute → 429 with Retry-After; another IP is not affected', async () => {
    const orderNo = await demoOrder({}, limited)
    const read = (ip: string) => limited.call('GET', `/api/orders/${orderNo}/status`, { headers: { 'X-Forwarded-For': ip } })
    for (let i = 0; i < 20; i++)
      expect((await read('10.0.0.1')).status).toBe(200)
    const over = await read('10.0.0.1')
    expect(over.status).toBe(429)
    expect(over.json.code).toBe('rate_limited')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await read('10.0.0.2')).status).toBe(200)
  })

  it('event streams per IP: MAX_STREAMS_PER_IP at once, the next is 429 until one closes', async () => {
    const [a, b, c] = [await demoOrder({}, limited), await demoOrder({}, limited), await demoOrder({}, limited)]
    const first = openStream(a, '10.0.1.1')
    const second = openStream(b, '10.0.1.1')
    expect((await first.response).status).toBe(200)
    expect((await second.response).status).toBe(200)
    const third = await limited.call('GET', `/api/orders/${c}/events`, { headers: { 'X-Forwarded-For': '10.0.1.1' } })
    expect(third.status).toBe(429)
    expect(third.json.code).toBe('rate_limited')
    // Another client is not affected.
    const other = openStream(c, '10.0.1.2')
    expect((await other.response).status).toBe(200)
    other.abort()
    first.abort()
    // Once the server has seen the connection close, the same client may open another stream (every try counts
    // against its STATUS_RATE_LIMIT_PER_IP budget of 20, which leaves 16).
    let next: { response: Promise<Response>, abort: () => void } | undefined
    let status = 0
    for (let i = 0; i < 16 && status !== 200; i++) {
      await new Promise(r => setTimeout(r, 50))
      next = openStream(c, '10.0.1.1')
      status = (await next.response).status
    }
    expect(status).toBe(200)
    second.abort()
    next?.abort()
  })

  it('event streams per order: MAX_STREAMS_PER_ORDER at once, whatever the IPs', async () => {
    const orderNo = await demoOrder({}, limited)
    const streams = [openStream(orderNo, '10.0.2.1'), openStream(orderNo, '10.0.2.2')]
    for (const s of streams)
      expect((await s.response).status).toBe(200)
    const third = await limited.call('GET', `/api/orders/${orderNo}/events`, { headers: { 'X-Forwarded-For': '10.0.2.3' } })
    expect(third.status).toBe(429)
    for (const s of streams)
      s.abort()
  })

  it('the per-session payment limit counts per payer: a new session of the same payer does not reset it', async () => {
    const orderNo = await demoOrder({}, limited)
    const start = await pay(orderNo, 'wechat_jsapi', { oauthState: 'limitstate01' }, {}, limited)
    const back = await authorize(start.json.authorizeUrl as string)
    const bound = await pay(orderNo, 'wechat_jsapi', { wechatCode: back.code, oauthState: back.state }, { cookie: sidOf(start)! }, limited)
    expect(bound.json.kind).toBe('jsapi')
    const sid = sidOf(bound)!
    for (let i = 0; i < 2; i++)
      expect((await pay(orderNo, 'wechat_jsapi', {}, { cookie: sid }, limited)).status).toBe(200)
    expect((await pay(orderNo, 'wechat_jsapi', {}, { cookie: sid }, limited)).status).toBe(429)
    // The same payer authorises again from a cookieless request: a new session, the same openid, the same count.
    const again = await pay(orderNo, 'wechat_jsapi', { oauthState: 'limitstate02' }, {}, limited)
    const back2 = await authorize(again.json.authorizeUrl as string, back.user)
    const rebound = await pay(orderNo, 'wechat_jsapi', { wechatCode: back2.code, oauthState: back2.state }, { cookie: sidOf(again)! }, limited)
    expect(rebound.status).toBe(200)
    const newSid = sidOf(rebound)!
    expect(newSid).not.toBe(sid)
    const over = await pay(orderNo, 'wechat_jsapi', {}, { cookie: newSid }, limited)
    expect(over.status).toBe(429)
    expect(over.json.code).toBe('rate_limited')
  })
})

describe('sessions', () => {
  it('a request that only starts an authorisation writes nothing: no session row however many cookieless requests come', async () => {
    const orderNo = await demoOrder()
    const before = await snapshotTables(server.services.db)
    for (let i = 0; i < 5; i++) {
      const res = await pay(orderNo, 'wechat_jsapi', { oauthState: `nocookie000${i}` })
      expect(res.json.kind).toBe('oauth_required')
      expect(sidOf(res)).toBe(`uc_sid=oauth-nocookie000${i}`)
    }
    expect(await snapshotTables(server.services.db)).toBe(before)
  })

  it('binding a payer id moves the session to a new id; the old id stops working', async () => {
    const orderNo = await demoOrder()
    const start = await pay(orderNo, 'wechat_jsapi', { oauthState: 'rotatestate1' })
    const wx = await authorize(start.json.authorizeUrl as string)
    const first = await pay(orderNo, 'wechat_jsapi', { wechatCode: wx.code, oauthState: wx.state }, { cookie: sidOf(start)! })
    const a = sidOf(first)!
    expect(a).toMatch(/^uc_sid=[\w-]{43}$/)
    // The same browser now authorises with Alipay: its stored session waits for the state, then binds the user id.
    const ali = await pay(orderNo, 'alipay_app', { oauthState: 'rotatestate2' }, { cookie: a })
    expect(ali.json.kind).toBe('oauth_required')
    expect(sidOf(ali)).toBeUndefined()
    const back = await authorize(ali.json.authorizeUrl as string)
    const trade = await pay(orderNo, 'alipay_app', { alipayAuthCode: back.code, oauthState: back.state }, { cookie: a })
    expect(trade.json.kind).toBe('alipay_trade')
    const b = sidOf(trade)!
    expect(b).toMatch(/^uc_sid=[\w-]{43}$/)
    expect(b).not.toBe(a)
    // The new id carries both payer ids; the old one is gone.
    expect((await pay(orderNo, 'wechat_jsapi', {}, { cookie: b })).json.kind).toBe('jsapi')
    expect((await pay(orderNo, 'wechat_jsapi', {}, { cookie: a })).json.kind).toBe('oauth_required')
  })
})

describe('the purge', () => {
  it('removes expired sessions, day-old idempotency keys and old notification nonces, keeps the rest; one process at a time', async () => {
    const db = server.services.db
    const tag = randomBytes(6).toString('hex')
    const sessionId = (n: string) => `${tag}${n}`.padEnd(43, 'x')
    await db.insertInto('sessions').values([
      { id: sessionId('old'), expires_at: new Date(Date.now() - 1000) },
      { id: sessionId('new'), expires_at: new Date(Date.now() + 3_600_000) },
    ]).execute()
    await db.insertInto('idempotency_keys').values([
      { key: `${tag}-old`, request_hash: 'h', response_status: 200, response_body: '{}', created_at: sql<Date>`now() - interval '25 hours'` },
      { key: `${tag}-new`, request_hash: 'h', response_status: 200, response_body: '{}' },
    ]).execute()
    await db.insertInto('notify_nonces').values([
      { id: `${tag}:old`, received_at: sql<Date>`now() - interval '11 minutes'` },
      { id: `${tag}:new` },
    ]).execute()
    const counts = await purgeExpired(db)
    expect(counts.sessions).toBeGreaterThanOrEqual(1)
    expect((await db.selectFrom('sessions').select('id').where('id', 'like', `${tag}%`).execute()).map(r => r.id)).toEqual([sessionId('new')])
    expect((await db.selectFrom('idempotency_keys').select('key').where('key', 'like', `${tag}%`).execute()).map(r => r.key)).toEqual([`${tag}-new`])
    expect((await db.selectFrom('notify_nonces').select('id').where('id', 'like', `${tag}%`).execute()).map(r => r.id)).toEqual([`${tag}:new`])
    expect(await takeJobLock(db, `purge-test-${tag}`, 60)).toBe(true)
    expect(await takeJobLock(db, `purge-test-${tag}`, 60)).toBe(false)
  })
})

describe('response headers', () => {
  it('the order is never cached; nothing of ours may be framed', async () => {
    const orderNo = await demoOrder()
    const res = await server.call('GET', `/api/orders/${orderNo}`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('strict-transport-security')).toBeNull()
  })

  it('hSTS when PUBLIC_URL is https', async () => {
    const https = await startTestServer({ env: { PUBLIC_URL: 'https://pay.example.com' } })
    try {
      const res = await https.call('GET', '/healthz')
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/)
    }
    finally {
      await https.close()
      removeDir(https.dataDir)
    }
  })
})

describe('provider failures reach the browser as a code, not the provider\'s words', () => {
  it('a 502 says provider_unavailable and no more; the provider\'s text stays in the log', async () => {
    await sandbox(server, '/api/faults', { failApiRate: 1, apiOps: ['create'] }, 'PUT')
    try {
      const orderNo = await demoOrder()
      const res = await pay(orderNo, 'wechat_native')
      expect(res.status).toBe(502)
      expect(res.json).toMatchObject({ code: 'provider_unavailable', retryable: true })
      expect(res.text).not.toMatch(/wechat|SYSTEM|HTTP \d|sandbox/i)
    }
    finally {
      await sandbox(server, '/api/faults', undefined, 'DELETE')
    }
  })
})

describe('the sandbox control API and CORS', () => {
  it('answers credentialed cross-origin calls only from the server\'s own origin', async () => {
    const preflight = (origin: string) => fetch(`${server.url}/sandbox/api/wechat/pay`, { method: 'OPTIONS', headers: { 'Origin': origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } })
    const evil = await preflight('https://evil.example')
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    const read = await fetch(`${server.url}/sandbox/api/payments`, { headers: { Origin: 'https://evil.example' } })
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
    const own = await preflight(new URL(server.url).origin)
    expect(own.headers.get('access-control-allow-origin')).toBe(new URL(server.url).origin)
    expect(own.headers.get('access-control-allow-credentials')).toBe('true')
  })
})
