import type { OrderPaidEvent } from '../../server/orders/transitions'
import type { TestServer } from '../helpers/server'
import { Buffer } from 'node:buffer'
import { createPublicKey, verify } from 'node:crypto'
import { Validator } from '@seriousme/openapi-schema-validator'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signNotify } from '../../sandbox/alipay/sign'
import { snapshotTables } from '../helpers/db-snapshot'
import { eventually } from '../helpers/eventually'
import { key, removeDir, startTestServer } from '../helpers/server'
import { craftNotification, strangerKeyPem } from '../helpers/wechat-notify'

let server: TestServer
const paidEvents: OrderPaidEvent[] = []

async function demoOrder(body: Record<string, unknown> = {}): Promise<string> {
  const res = await server.call('POST', '/api/demo/orders', { body })
  expect(res.status).toBe(201)
  return res.json.orderNo as string
}

async function pay(orderNo: string, method: string, extra: Record<string, unknown> = {}, idem = key(), headers: Record<string, string> = {}) {
  return server.call('POST', '/api/payments', { body: { orderNo, method, ...extra }, headers: { 'Idempotency-Key': idem, ...headers } })
}

async function attemptsOf(orderNo: string) {
  return server.services.db.selectFrom('payment_attempts').selectAll().where('order_no', '=', orderNo).orderBy('created_at').execute()
}

async function sandboxCall(pathname: string, body?: unknown) {
  const res = await fetch(`${server.url}/sandbox${pathname}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return res.json() as Promise<Record<string, unknown>>
}

/** A new demo order, a WeChat Native payment for it, and the customer paying that QR code in the sandbox. */
async function nativeOrderPaidInSandbox(): Promise<string> {
  const orderNo = await demoOrder()
  const res = await pay(orderNo, 'wechat_native')
  await sandboxCall('/api/wechat/pay', { code_url: res.json.codeUrl })
  return orderNo
}

async function setFaults(patch: Record<string, unknown> | null) {
  await fetch(`${server.url}/sandbox/api/faults`, patch ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) } : { method: 'DELETE' })
}

beforeAll(async () => {
  server = await startTestServer()
  server.services.transitions.events.on('order.paid', e => paidEvents.push(e))
})

afterAll(async () => {
  await server.close()
  removeDir(server.dataDir)
})

describe('orders', () => {
  it('serves an order with its amount in integer fen', async () => {
    const orderNo = await demoOrder({ amountFen: 1999, subject: '测试' })
    const res = await server.call('GET', `/api/orders/${orderNo}`)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ orderNo, amountFen: 1999, currency: 'CNY', status: 'pending', subject: '测试' })
  })

  it('answers 404 order_not_found for an unknown order and 400 for a malformed number', async () => {
    expect((await server.call('GET', '/api/orders/O0000NOPE')).json).toEqual({ code: 'order_not_found', message: expect.any(String) })
    expect((await server.call('GET', '/api/orders/O0000NOPE/status')).status).toBe(404)
    const bad = await server.call('GET', `/api/orders/${encodeURIComponent('<script>')}`)
    expect(bad.status).toBe(400)
    expect(bad.json.code).toBe('validation_failed')
  })

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await server.call('GET', '/api/nope')
    expect(res.status).toBe(404)
    expect(res.json.code).toBe('not_found')
  })
})

describe('pOST /api/payments: bad input', () => {
  it('400 bad_request on malformed JSON', async () => {
    const orderNo = await demoOrder()
    const res = await server.call('POST', '/api/payments', { rawBody: `{"orderNo":"${orderNo}",`, headers: { 'Idempotency-Key': key() } })
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('bad_request')
  })

  it('400 validation_failed on wrong types, naming the field', async () => {
    const res = await server.call('POST', '/api/payments', { body: { orderNo: 42, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('validation_failed')
    expect(res.json.message).toContain('orderNo')
  })

  it('400 without an Idempotency-Key', async () => {
    const orderNo = await demoOrder()
    const res = await server.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' } })
    expect(res.status).toBe(400)
    expect(res.json.message).toMatch(/idempotency-key/i)
  })

  it('413 on a body over 64 KB', async () => {
    const res = await server.call('POST', '/api/payments', { rawBody: JSON.stringify({ orderNo: 'x'.repeat(70_000), method: 'wechat_native' }), headers: { 'Idempotency-Key': key() } })
    expect(res.status).toBe(413)
    expect(res.json.code).toBe('payload_too_large')
  })

  it('415 when the body is not JSON', async () => {
    const res = await server.call('POST', '/api/payments', { rawBody: 'orderNo=1', headers: { 'Idempotency-Key': key(), 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(415)
  })

  it('never takes an amount from the client: a request carrying one is refused and creates nothing', async () => {
    const orderNo = await demoOrder({ amountFen: 500 })
    const res = await pay(orderNo, 'wechat_native', { amountFen: 1 })
    expect(res.status).toBe(400)
    expect(res.json.message).toContain('amountFen')
    expect(await attemptsOf(orderNo)).toHaveLength(0)
    const ok = await pay(orderNo, 'wechat_native')
    expect(ok.status).toBe(200)
    const listed = await sandboxCall('/api/payments?status=all') as { payments: Array<{ out_trade_no: string, amount_total: number }> }
    const [attempt] = await attemptsOf(orderNo)
    expect(listed.payments.find(p => p.out_trade_no === attempt!.out_trade_no)?.amount_total).toBe(500)
  })

  it('404 for an unknown order, 422 for a method the order does not allow, 410 for an expired order', async () => {
    expect((await pay('O0000NOPE1', 'wechat_native')).json.code).toBe('order_not_found')
    const limited = await demoOrder({ methods: ['wechat_native'] })
    const refused = await pay(limited, 'wechat_h5')
    expect(refused.status).toBe(422)
    expect(refused.json.code).toBe('method_not_allowed')
    const expired = await demoOrder()
    await server.services.db.updateTable('orders').set({ expires_at: new Date(Date.now() - 1000) }).where('order_no', '=', expired).execute()
    const late = await pay(expired, 'wechat_native')
    expect(late.status).toBe(410)
    expect(late.json.code).toBe('order_expired')
    expect((await server.call('GET', `/api/orders/${expired}`)).json.status).toBe('closed')
  })
})

describe('idempotency', () => {
  it('a replay with the same key returns the same response and makes no second prepay', async () => {
    const orderNo = await demoOrder()
    const k = key()
    const [a, b] = await Promise.all([pay(orderNo, 'wechat_native', {}, k), pay(orderNo, 'wechat_native', {}, k)])
    const c = await pay(orderNo, 'wechat_native', {}, k)
    expect(a.status).toBe(200)
    expect(b.json).toEqual(a.json)
    expect(c.json).toEqual(a.json)
    expect(await attemptsOf(orderNo)).toHaveLength(1)
    const listed = await sandboxCall('/api/payments?status=all') as { payments: Array<{ out_trade_no: string }> }
    const [attempt] = await attemptsOf(orderNo)
    expect(listed.payments.filter(p => p.out_trade_no === attempt!.out_trade_no)).toHaveLength(1)
  })

  it('the same key with a different request is a 409', async () => {
    const orderNo = await demoOrder()
    const k = key()
    expect((await pay(orderNo, 'wechat_native', {}, k)).status).toBe(200)
    const res = await pay(orderNo, 'wechat_h5', {}, k)
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('idempotency_conflict')
  })
})

describe('weChat Pay through the sandbox', () => {
  it('native: a code_url; paid in the sandbox → notified → paid, fulfilled once', async () => {
    const orderNo = await demoOrder({ amountFen: 321 })
    const res = await pay(orderNo, 'wechat_native')
    expect(res.json).toMatchObject({ kind: 'qrcode', codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) })
    await sandboxCall('/api/wechat/pay', { code_url: res.json.codeUrl })
    const status = await eventually(() => server.call('GET', `/api/orders/${orderNo}/status`), r => r.json.status === 'paid')
    expect(status.json).toMatchObject({ status: 'paid', amountFen: 321 })
    expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
  })

  it('h5: the redirect URL carries an encoded redirect_url back to the result page', async () => {
    const orderNo = await demoOrder()
    const res = await pay(orderNo, 'wechat_h5')
    expect(res.json.kind).toBe('redirect')
    const url = new URL(res.json.url as string)
    expect(url.searchParams.get('redirect_url')).toBe(`${server.url}/#/pages/result/result?orderNo=${orderNo}&from=h5`)
  })

  it('a duplicate notification makes one transition', async () => {
    await setFaults({ duplicateNotifyRate: 1 })
    try {
      const orderNo = await nativeOrderPaidInSandbox()
      await eventually(() => server.call('GET', `/api/orders/${orderNo}`), r => r.json.status === 'paid')
      const [attempt] = await attemptsOf(orderNo)
      interface Log { notifications: Array<{ attempts: Array<{ acknowledged: boolean }> }> }
      const delivered = (log: Log) => log.notifications.flatMap(n => n.attempts).filter(a => a.acknowledged).length
      const log = await eventually(() => sandboxCall(`/api/wechat/notifications?out_trade_no=${attempt!.out_trade_no}`) as Promise<unknown> as Promise<Log>, l => delivered(l) >= 2)
      // Both copies were accepted (200) by the server ...
      expect(delivered(log)).toBeGreaterThanOrEqual(2)
      expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
      const events = await server.services.db.selectFrom('provider_events').selectAll().where('out_trade_no', '=', attempt!.out_trade_no).execute()
      expect(events).toHaveLength(1)
    }
    finally {
      await setFaults(null)
    }
  })

  it('a dropped notification still ends paid through the status endpoint', async () => {
    await setFaults({ dropNotifyRate: 1 })
    try {
      const orderNo = await nativeOrderPaidInSandbox()
      await new Promise(r => setTimeout(r, 300))
      expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
      const healed = await eventually(() => server.call('GET', `/api/orders/${orderNo}/status`), r => r.json.status === 'paid', 4000)
      expect(healed.json.status).toBe('paid')
      expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
    }
    finally {
      await setFaults(null)
    }
  })

  it('a status read never waits for the provider: it answers with what it knows, and the query it asked for heals a later read', async () => {
    await setFaults({ dropNotifyRate: 1 })
    try {
      const orderNo = await nativeOrderPaidInSandbox()
      // The provider now takes a second to answer a query: a read that waited for it would say paid.
      await setFaults({ dropNotifyRate: 1, slowApiMs: 1000 })
      const first = await server.call('GET', `/api/orders/${orderNo}/status`)
      expect(first.status).toBe(200)
      expect(first.json.status).toBe('pending')
      const healed = await eventually(() => server.call('GET', `/api/orders/${orderNo}/status`), r => r.json.status === 'paid', 6000)
      expect(healed.json.status).toBe('paid')
      expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
    }
    finally {
      await setFaults(null)
    }
  })
})

describe('notifications: forged, probed, stale and replayed ones change nothing', () => {
  async function openAttempt(amountFen = 100) {
    const orderNo = await demoOrder({ amountFen })
    await pay(orderNo, 'wechat_native')
    const [attempt] = await attemptsOf(orderNo)
    return { orderNo, outTradeNo: attempt!.out_trade_no }
  }

  async function post(n: { headers: Record<string, string>, body: string }) {
    return server.call('POST', '/api/notify/wechatpay', { rawBody: n.body, headers: n.headers })
  }

  it.each([
    ['signed with another key', { signWith: 'stranger' }, 401],
    ['a SIGNTEST probe', { signature: 'WECHATPAY/SIGNTEST/abc' }, 401],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 600 }, 401],
  ] as const)('%s → 401 invalid_signature', async (_, opts, status) => {
    const { orderNo, outTradeNo } = await openAttempt()
    const before = await snapshotTables(server.services.db)
    const n = craftNotification(server.keys(), { out_trade_no: outTradeNo, total: 100 }, { ...opts, signWith: 'signWith' in opts ? strangerKeyPem() : undefined })
    const res = await post(n)
    expect(res.status).toBe(status)
    expect(res.json.code).toBe('invalid_signature')
    expect(await snapshotTables(server.services.db)).toBe(before)
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
  })

  it.each([
    ['a tampered amount', { total: 1 }],
    ['another currency', { currency: 'USD' }],
    ['another merchant', { mchid: '1999999999' }],
    ['an unknown out_trade_no', { out_trade_no: 'P000000000000UNKNOWN' }],
  ])('%s → 400 notification_mismatch, nothing changed', async (_, override) => {
    const { orderNo, outTradeNo } = await openAttempt()
    const before = await snapshotTables(server.services.db)
    const res = await post(craftNotification(server.keys(), { out_trade_no: outTradeNo, total: 100, ...override }))
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('notification_mismatch')
    expect(await snapshotTables(server.services.db)).toBe(before)
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
  })

  it('a genuine one is applied; the same signed request replayed is refused and changes nothing', async () => {
    const { orderNo, outTradeNo } = await openAttempt()
    const n = craftNotification(server.keys(), { out_trade_no: outTradeNo, total: 100 })
    const first = await post(n)
    expect(first.status).toBe(200)
    expect(first.json).toEqual({ code: 'SUCCESS', message: '成功' })
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('paid')
    const before = await snapshotTables(server.services.db)
    const replay = await post(n)
    expect(replay.status).toBe(401)
    expect(await snapshotTables(server.services.db)).toBe(before)
    expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
  })

  it('the same signed request re-sent after a first delivery that failed before its effect is applied, not refused as a replay', async () => {
    const { orderNo, outTradeNo } = await openAttempt()
    const n = craftNotification(server.keys(), { out_trade_no: outTradeNo, total: 100 })
    // The first delivery dies where a crash would: verified, but the transition fails before anything is recorded.
    const transitions = server.services.transitions
    const markPaid = transitions.markPaid
    transitions.markPaid = async () => {
      throw new Error('the process died here')
    }
    try {
      expect((await post(n)).status).toBe(500)
    }
    finally {
      transitions.markPaid = markPaid
    }
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
    const again = await post(n)
    expect(again.status).toBe(200)
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('paid')
    expect((await post(n)).status).toBe(401) // applied now: a third copy is a replay
  })

  it('a body that is not a notification is refused', async () => {
    const res = await server.call('POST', '/api/notify/wechatpay', { rawBody: 'garbage' })
    expect(res.status).toBe(401)
  })
})

describe('weChat OAuth inside WeChat', () => {
  async function authorize(authorizeUrl: string, cookie = ''): Promise<{ code: string, state: string, location: string }> {
    const res = await fetch(authorizeUrl.replace(/#wechat_redirect$/, ''), { redirect: 'manual', headers: cookie ? { cookie } : {} })
    expect(res.status).toBe(302)
    const location = res.headers.get('location')!
    const query = new URL(location.split('#')[0]!).searchParams
    return { code: query.get('code')!, state: query.get('state')!, location }
  }

  it('oauth_required → code back before the # → JSAPI params that verify; the openid is never returned', async () => {
    const orderNo = await demoOrder()
    const first = await pay(orderNo, 'wechat_jsapi', { oauthState: 'abcdef123456' })
    expect(first.json.kind).toBe('oauth_required')
    const cookie = first.headers.get('set-cookie')!
    expect(cookie).toMatch(/uc_sid=[\w-]+;.*HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    const authorizeUrl = first.json.authorizeUrl as string
    expect(authorizeUrl).toContain(`redirect_uri=${encodeURIComponent(`${server.url}/#/pages/checkout/checkout?orderNo=${orderNo}`)}&response_type=code&scope=snsapi_base&state=abcdef123456#wechat_redirect`)
    const { code, state, location } = await authorize(authorizeUrl)
    expect(location).toMatch(/\/\?code=[^#]+&state=abcdef123456#\/pages\/checkout\/checkout\?orderNo=/)
    const sid = cookie.split(';')[0]!
    const res = await pay(orderNo, 'wechat_jsapi', { wechatCode: code, oauthState: state }, key(), { cookie: sid })
    expect(res.status).toBe(200)
    expect(res.json.kind).toBe('jsapi')
    const p = res.json.params as Record<string, string>
    const keys = server.keys()
    expect(p.appId).toBe(keys.wechat.appId)
    const ok = verify('sha256', Buffer.from(`${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`), createPublicKey(keys.wechat.merchantPublicKeyPem), Buffer.from(p.paySign!, 'base64'))
    expect(ok).toBe(true)
    expect(res.text).not.toMatch(/"openid"/)
    // The session now has the openid, under a new id: the next payment needs no authorisation.
    const bound = res.headers.get('set-cookie')!.split(';')[0]!
    expect(bound).toMatch(/^uc_sid=[\w-]{43}$/)
    const again = await pay(orderNo, 'wechat_jsapi', {}, key(), { cookie: bound })
    expect(again.json.kind).toBe('jsapi')
  })

  it('a reused code → 409 oauth_code_invalid with a fresh authorize URL', async () => {
    const orderNo = await demoOrder()
    const first = await pay(orderNo, 'wechat_jsapi', { oauthState: 'state0000001' })
    const sid = first.headers.get('set-cookie')!.split(';')[0]!
    const { code, state } = await authorize(first.json.authorizeUrl as string)
    expect((await pay(orderNo, 'wechat_jsapi', { wechatCode: code, oauthState: state }, key(), { cookie: sid })).status).toBe(200)
    // Another browser tries the same code.
    const other = await pay(orderNo, 'wechat_jsapi', { oauthState: 'state0000002' })
    const otherSid = other.headers.get('set-cookie')!.split(';')[0]!
    const reused = await pay(orderNo, 'wechat_jsapi', { wechatCode: code, oauthState: 'state0000002' }, key(), { cookie: otherSid })
    expect(reused.status).toBe(409)
    expect(reused.json.code).toBe('oauth_code_invalid')
    expect(reused.json.authorizeUrl).toMatch(/connect\/oauth2\/authorize\?appid=.+&state=state0000002#wechat_redirect$/)
  })

  it('a state that is not the one this browser started with → 400 oauth_state_mismatch, nothing exchanged', async () => {
    const orderNo = await demoOrder()
    const first = await pay(orderNo, 'wechat_jsapi', { oauthState: 'mystate00001' })
    const sid = first.headers.get('set-cookie')!.split(';')[0]!
    const { code } = await authorize(first.json.authorizeUrl as string)
    const res = await pay(orderNo, 'wechat_jsapi', { wechatCode: code, oauthState: 'evilstate001' }, key(), { cookie: sid })
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('oauth_state_mismatch')
    // The code was not spent: the right state still works.
    expect((await pay(orderNo, 'wechat_jsapi', { wechatCode: code, oauthState: 'mystate00001' }, key(), { cookie: sid })).json.kind).toBe('jsapi')
  })
})

describe('server-sent events', () => {
  it('sends the current status, then paid, then closes', async () => {
    const orderNo = await demoOrder()
    const res = await pay(orderNo, 'wechat_native')
    const stream = await fetch(`${server.url}/api/orders/${orderNo}/events`)
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    const reader = stream.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const first = await reader.read()
    text += decoder.decode(first.value)
    expect(text).toContain('event: status')
    expect(text).toContain('"status":"pending"')
    await sandboxCall('/api/wechat/pay', { code_url: res.json.codeUrl })
    for (;;) {
      const { value, done } = await reader.read()
      if (done)
        break
      text += decoder.decode(value)
    }
    expect(text).toContain('"status":"paid"')
  })
})

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1 and documents every endpoint', async () => {
    const res = await server.call('GET', '/api/openapi.json')
    expect(res.json.openapi).toBe('3.1.0')
    const result = await new Validator().validate(res.json as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    const paths = Object.keys(res.json.paths as object)
    for (const p of ['/api/orders/{orderNo}', '/api/orders/{orderNo}/status', '/api/orders/{orderNo}/events', '/api/payments', '/api/notify/wechatpay', '/api/demo/orders'])
      expect(paths).toContain(p)
    const page = await server.call('GET', '/api/docs')
    expect(page.text).toContain('POST /api/payments')
  })
})

describe('restart', () => {
  it('a server restarted on the same data directory loses nothing', async () => {
    const other = await startTestServer()
    const orderNo = (await other.call('POST', '/api/demo/orders', { body: { amountFen: 777 } })).json.orderNo as string
    const created = await other.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': 'restart-key-1' } })
    await fetch(`${other.url}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code_url: created.json.codeUrl }) })
    await eventually(() => other.call('GET', `/api/orders/${orderNo}`), r => r.json.status === 'paid')
    const { count } = await other.services.db.selectFrom('payment_attempts').select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow()
    await other.close()
    const again = await startTestServer({ dataDir: other.dataDir })
    try {
      expect((await again.call('GET', `/api/orders/${orderNo}`)).json).toMatchObject({ status: 'paid', amountFen: 777 })
      const replay = await again.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': 'restart-key-1' } })
      expect(replay.json).toEqual(created.json)
      const after = await again.services.db.selectFrom('payment_attempts').select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow()
      expect(after.count).toBe(count)
    }
    finally {
      await again.close()
      removeDir(other.dataDir)
    }
  })
})

describe('the mini program', () => {
  async function jsCode(): Promise<string> {
    return (await sandboxCall('/api/wechat/mp-login', {})).js_code as string
  }

  it('login code → opaque session token → mp params signed for the mini program appid; the openid never leaves', async () => {
    const session = await server.call('POST', '/api/mp/session', { body: { code: await jsCode() } })
    expect(session.status).toBe(201)
    expect(session.text).not.toMatch(/openid|session_key/)
    const token = session.json.sessionToken as string
    const orderNo = await demoOrder()
    const res = await pay(orderNo, 'wechat_mp', {}, key(), { 'X-Session-Token': token })
    expect(res.status).toBe(200)
    expect(res.json.kind).toBe('mp')
    const p = res.json.params as Record<string, string>
    expect(p).not.toHaveProperty('appId')
    const keys = server.keys()
    const signed = `${keys.wechat.miniProgramAppId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`
    expect(verify('sha256', Buffer.from(signed), createPublicKey(keys.wechat.merchantPublicKeyPem), Buffer.from(p.paySign!, 'base64'))).toBe(true)
  })

  it('without a session: 401 session_required; with a reused code: 409 oauth_code_invalid', async () => {
    const orderNo = await demoOrder()
    const res = await pay(orderNo, 'wechat_mp', {}, key(), { 'X-Session-Token': 'x'.repeat(43) })
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('session_required')
    const code = await jsCode()
    expect((await server.call('POST', '/api/mp/session', { body: { code } })).status).toBe(201)
    const again = await server.call('POST', '/api/mp/session', { body: { code } })
    expect(again.status).toBe(409)
    expect(again.json.code).toBe('oauth_code_invalid')
  })
})

describe('rate limits and headers', () => {
  it('payment creation over the per-IP limit answers 429 with Retry-After', async () => {
    const limited = await startTestServer({ env: { RATE_LIMIT_PER_IP: '3' } })
    try {
      const orderNo = (await limited.call('POST', '/api/demo/orders', { body: {} })).json.orderNo as string
      const statuses: number[] = []
      let retryAfter: string | null = null
      for (let i = 0; i < 5; i++) {
        const res = await limited.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
        statuses.push(res.status)
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after')
          expect(res.json).toMatchObject({ code: 'rate_limited', retryable: true })
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429])
      expect(Number(retryAfter)).toBeGreaterThan(0)
      // Reading is never limited.
      expect((await limited.call('GET', `/api/orders/${orderNo}/status`)).status).toBe(200)
    }
    finally {
      await limited.close()
      removeDir(limited.dataDir)
    }
  })

  it('serves the cashier with a CSP, nosniff and a Referrer-Policy that keeps the origin', async () => {
    const res = await fetch(`${server.url}/`)
    expect(res.headers.get('content-security-policy')).toContain('default-src \'self\'')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(res.headers.get('cache-control')).toBe('no-cache')
  })
})

describe('alipay through the sandbox', () => {
  function alipayNotify(fields: Record<string, string>, signWith?: string): string {
    const keys = server.keys()
    const params: Record<string, string> = {
      notify_time: '2026-11-23 08:00:11',
      notify_type: 'trade_status_sync',
      notify_id: `N${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      app_id: keys.alipay.appId,
      auth_app_id: keys.alipay.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: `2026112322001${Math.floor(Math.random() * 1e9)}`,
      seller_id: keys.alipay.sellerId,
      trade_status: 'TRADE_SUCCESS',
      gmt_payment: '2026-11-23 08:00:10',
      ...fields,
    }
    params.sign = signNotify(params, signWith ?? keys.alipay.alipayPrivateKeyPem)
    return new URLSearchParams(params).toString()
  }

  async function postAlipay(body: string) {
    return server.call('POST', '/api/notify/alipay', { rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } })
  }

  async function openAlipayAttempt(amountFen = 1230) {
    const orderNo = await demoOrder({ amountFen })
    const res = await pay(orderNo, 'alipay_qr')
    expect(res.json.kind).toBe('qrcode')
    const [attempt] = await attemptsOf(orderNo)
    return { orderNo, outTradeNo: attempt!.out_trade_no, qrCode: res.json.codeUrl as string }
  }

  it('precreate QR → paid by scanning → notified (RSA2, form) → paid once', async () => {
    const { orderNo, qrCode } = await openAlipayAttempt()
    expect(qrCode).toMatch(/^https:\/\/qr\.alipay\.com\//)
    await sandboxCall('/api/alipay/pay', { qr_code: qrCode })
    await eventually(() => server.call('GET', `/api/orders/${orderNo}`), r => r.json.status === 'paid')
    expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
  })

  it('wAP: a signed GET URL of the gateway with return_url and quit_url on the cashier', async () => {
    const orderNo = await demoOrder({ amountFen: 10 })
    const res = await pay(orderNo, 'alipay_wap')
    expect(res.json.kind).toBe('redirect')
    const url = new URL(res.json.url as string)
    expect(url.pathname).toBe('/sandbox/alipay/gateway.do')
    expect(url.searchParams.get('method')).toBe('alipay.trade.wap.pay')
    expect(url.searchParams.get('sign')).toBeTruthy()
    expect(url.searchParams.get('return_url')).toBe(`${server.url}/#/pages/result/result?orderNo=${orderNo}&from=wap`)
    expect(JSON.parse(url.searchParams.get('biz_content')!)).toMatchObject({ total_amount: '0.10', quit_url: `${server.url}/#/pages/checkout/checkout?orderNo=${orderNo}` })
  })

  it('inside the Alipay app: auth_base OAuth, then trade.create gives a tradeNo', async () => {
    const orderNo = await demoOrder()
    const first = await pay(orderNo, 'alipay_app', { oauthState: 'alistate0001' })
    expect(first.json).toMatchObject({ kind: 'oauth_required', provider: 'alipay' })
    const sid = first.headers.get('set-cookie')!.split(';')[0]!
    const redirect = await fetch(first.json.authorizeUrl as string, { redirect: 'manual' })
    const location = redirect.headers.get('location')!
    const query = new URL(location.split('#')[0]!).searchParams
    expect(query.get('state')).toBe('alistate0001')
    const res = await pay(orderNo, 'alipay_app', { alipayAuthCode: query.get('auth_code')!, oauthState: 'alistate0001' }, key(), { cookie: sid })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ kind: 'alipay_trade', tradeNo: expect.stringMatching(/^\d{20,}$/) })
    // The same code again (with the cookie from before the binding, which only held the state): Alipay refuses it.
    const reused = await pay(orderNo, 'alipay_app', { alipayAuthCode: query.get('auth_code')!, oauthState: 'alistate0001' }, key(), { cookie: sid })
    expect(reused.status).toBe(409)
    expect(reused.json.code).toBe('oauth_code_invalid')
  })

  it.each([
    ['signed with another key', {}, 'stranger', 401],
    ['another app_id', { app_id: '2021000000000001' }, undefined, 400],
    ['a tampered amount', { total_amount: '0.01' }, undefined, 400],
    ['an amount with a float artefact', { total_amount: '12.300000001' }, undefined, 400],
    ['an unknown out_trade_no', { out_trade_no: 'P000000000000UNKNOWN' }, undefined, 400],
  ] as const)('a notification %s → %i, nothing changed', async (_, override, signer, status) => {
    const { orderNo, outTradeNo } = await openAlipayAttempt()
    const before = await snapshotTables(server.services.db)
    const body = alipayNotify({ out_trade_no: outTradeNo, total_amount: '12.30', ...override }, signer === 'stranger' ? strangerKeyPem() : undefined)
    const res = await postAlipay(body)
    expect(res.status).toBe(status)
    expect(await snapshotTables(server.services.db)).toBe(before)
    expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
  })

  it('a genuine notification is answered with exactly `success`; its duplicate makes no second transition', async () => {
    const { orderNo, outTradeNo } = await openAlipayAttempt()
    const body = alipayNotify({ out_trade_no: outTradeNo, total_amount: '12.30' })
    const first = await postAlipay(body)
    expect(first.status).toBe(200)
    expect(first.text).toBe('success')
    const again = await postAlipay(body)
    expect(again.text).toBe('success')
    expect(paidEvents.filter(e => e.orderNo === orderNo)).toHaveLength(1)
  })

  it('a dropped notification still ends paid through the status endpoint', async () => {
    await setFaults({ dropNotifyRate: 1 })
    try {
      const { orderNo, qrCode } = await openAlipayAttempt()
      await sandboxCall('/api/alipay/pay', { qr_code: qrCode })
      await new Promise(r => setTimeout(r, 200))
      expect((await server.call('GET', `/api/orders/${orderNo}`)).json.status).toBe('pending')
      const healed = await eventually(() => server.call('GET', `/api/orders/${orderNo}/status`), r => r.json.status === 'paid', 4000)
      expect(healed.json.status).toBe('paid')
    }
    finally {
      await setFaults(null)
    }
  })
})

describe('the cashier on a CDN', () => {
  it('answers CORS preflights only for configured origins, with credentials', async () => {
    const cdn = await startTestServer({ env: { CORS_ORIGINS: 'https://cdn.example.com' } })
    try {
      const ok = await fetch(`${cdn.listenUrl}/api/payments`, { method: 'OPTIONS', headers: { 'Origin': 'https://cdn.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,idempotency-key' } })
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://cdn.example.com')
      expect(ok.headers.get('access-control-allow-credentials')).toBe('true')
      expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key')
      const evil = await fetch(`${cdn.listenUrl}/api/payments`, { method: 'OPTIONS', headers: { 'Origin': 'https://evil.example', 'Access-Control-Request-Method': 'POST' } })
      expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    }
    finally {
      await cdn.close()
      removeDir(cdn.dataDir)
    }
  })
})
