import type { TestServer } from '../helpers/server'
import type { ReliabilityRow } from './report'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signNotify } from '../../sandbox/alipay/sign'
import { snapshotTables } from '../helpers/db-snapshot'
import { key, removeDir, startTestServer } from '../helpers/server'
import { craftNotification, strangerKeyPem } from '../helpers/wechat-notify'
import { printTable } from './report'

interface Fixture {
  pending: string
  wechatOnly: string
  expired: string
  wechatAttempt: string
  alipayAttempt: string
  /** A session waiting for OAuth state `goodstate01`, and a code issued for it. */
  sid: string
  freshCode: string
  /** A code already exchanged. */
  usedCode: string
  accepted: { headers: Record<string, string>, body: string }
  mpToken: string
}

interface Case {
  name: string
  method: 'GET' | 'POST'
  path: (f: Fixture) => string
  body?: (f: Fixture) => unknown
  raw?: (f: Fixture) => string
  headers?: (f: Fixture) => Record<string, string>
  status: number
  code?: string
}

let server: TestServer
let f: Fixture
const rows: ReliabilityRow[] = []

function payment(body: (f: Fixture) => unknown, extra: Partial<Case> = {}): Pick<Case, 'method' | 'path' | 'body' | 'headers'> {
  return {
    method: 'POST',
    path: () => '/api/payments',
    body,
    headers: () => ({ 'Idempotency-Key': key() }),
    ...extra,
  }
}

function alipayForm(f: Fixture, fields: Record<string, string>, signer?: string): string {
  const k = server.keys().alipay
  const params: Record<string, string> = {
    notify_time: '2026-11-23 08:00:11',
    notify_type: 'trade_status_sync',
    notify_id: `N${Math.random()}`,
    app_id: k.appId,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: '2026112322001000000001',
    out_trade_no: f.alipayAttempt,
    seller_id: k.sellerId,
    trade_status: 'TRADE_SUCCESS',
    total_amount: '1.00',
    ...fields,
  }
  params.sign = signNotify(params, signer ?? k.alipayPrivateKeyPem)
  return new URLSearchParams(params).toString()
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
const origin = () => server.url

const CASES: Case[] = [
  // orders
  { name: 'order: malformed number', method: 'GET', path: () => '/api/orders/%3Cscript%3E', status: 400, code: 'validation_failed' },
  { name: 'order: unknown', method: 'GET', path: () => '/api/orders/O000UNKNOWN', status: 404, code: 'order_not_found' },
  { name: 'status: unknown order', method: 'GET', path: () => '/api/orders/O000UNKNOWN/status', status: 404, code: 'order_not_found' },
  { name: 'events: unknown order', method: 'GET', path: () => '/api/orders/O000UNKNOWN/events', status: 404, code: 'order_not_found' },
  { name: 'unknown endpoint', method: 'GET', path: () => '/api/unknown', status: 404, code: 'not_found' },
  // payments
  { name: 'payments: malformed JSON', ...payment(() => undefined), raw: f => `{"orderNo":"${f.pending}"`, status: 400, code: 'bad_request' },
  { name: 'payments: wrong types', ...payment(() => ({ orderNo: 12345, method: true })), status: 400, code: 'validation_failed' },
  { name: 'payments: oversized body', ...payment(() => undefined), raw: f => JSON.stringify({ orderNo: f.pending, method: 'wechat_native', pad: 'x'.repeat(70_000) }), status: 413, code: 'payload_too_large' },
  { name: 'payments: no Idempotency-Key', ...payment(f => ({ orderNo: f.pending, method: 'wechat_native' }), { headers: () => ({}) }), status: 400, code: 'validation_failed' },
  { name: 'payments: hostile Idempotency-Key', ...payment(f => ({ orderNo: f.pending, method: 'wechat_native' }), { headers: () => ({ 'Idempotency-Key': '../../etc/passwd' }) }), status: 400, code: 'validation_failed' },
  { name: 'payments: not JSON', ...payment(() => undefined, { headers: () => ({ 'Idempotency-Key': key(), 'content-type': 'text/plain' }) }), raw: () => 'hello', status: 415, code: 'unsupported_media_type' },
  { name: 'payments: unknown order', ...payment(() => ({ orderNo: 'O000UNKNOWN', method: 'wechat_native' })), status: 404, code: 'order_not_found' },
  { name: 'payments: tampered amount', ...payment(f => ({ orderNo: f.pending, method: 'wechat_native', amountFen: 1 })), status: 400, code: 'validation_failed' },
  { name: 'payments: tampered currency', ...payment(f => ({ orderNo: f.pending, method: 'wechat_native', currency: 'USD' })), status: 400, code: 'validation_failed' },
  { name: 'payments: unknown method', ...payment(f => ({ orderNo: f.pending, method: 'paypal' })), status: 400, code: 'validation_failed' },
  { name: 'payments: method the order does not allow', ...payment(f => ({ orderNo: f.wechatOnly, method: 'alipay_qr' })), status: 422, code: 'method_not_allowed' },
  { name: 'payments: expired order', ...payment(f => ({ orderNo: f.expired, method: 'wechat_native' })), status: 410, code: 'order_expired' },
  { name: 'payments: OAuth state mismatch', ...payment(f => ({ orderNo: f.pending, method: 'wechat_jsapi', wechatCode: f.freshCode, oauthState: 'evilstate01' }), { headers: f => ({ 'Idempotency-Key': key(), 'cookie': `uc_sid=${f.sid}` }) }), status: 400, code: 'oauth_state_mismatch' },
  { name: 'payments: OAuth code without a session', ...payment(f => ({ orderNo: f.pending, method: 'wechat_jsapi', wechatCode: f.freshCode, oauthState: 'goodstate01' })), status: 400, code: 'oauth_state_mismatch' },
  { name: 'payments: reused OAuth code', ...payment(f => ({ orderNo: f.pending, method: 'wechat_jsapi', wechatCode: f.usedCode, oauthState: 'goodstate01' }), { headers: f => ({ 'Idempotency-Key': key(), 'cookie': `uc_sid=${f.sid}` }) }), status: 409, code: 'oauth_code_invalid' },
  { name: 'payments: mini program without a session', ...payment(f => ({ orderNo: f.pending, method: 'wechat_mp' }), { headers: () => ({ 'Idempotency-Key': key(), 'X-Session-Token': 'forged-token-forged-token-forged-token-1234' }) }), status: 401, code: 'session_required' },
  { name: 'mini program login: used code', method: 'POST', path: () => '/api/mp/session', body: () => ({ code: 'NOT-A-REAL-CODE' }), status: 409, code: 'oauth_code_invalid' },
  { name: 'mini program login: malformed', method: 'POST', path: () => '/api/mp/session', body: () => ({ code: '<x>' }), status: 400, code: 'validation_failed' },
  // hostile return URLs (the merchant's order creation, here the demo endpoint)
  ...[
    'https://evil.example/pay',
    'javascript:alert(1)',
    '//evil.example/x',
    'JaVaScRiPt:alert(1)',
    'https:%2F%2Fevil.example',
    `http://127.0.0.1@evil.example/`,
    'http://evil.example\\@127.0.0.1/',
    ' http://evil.example',
    'data:text/html,<script>alert(1)</script>',
  ].map((returnUrl): Case => ({ name: `demo order: return URL ${JSON.stringify(returnUrl)}`, method: 'POST', path: () => '/api/demo/orders', body: () => ({ returnUrl }), status: 400, code: 'validation_failed' })),
  { name: 'demo order: fractional amount', method: 'POST', path: () => '/api/demo/orders', body: () => ({ amountFen: 1.5 }), status: 400, code: 'validation_failed' },
  { name: 'demo order: negative amount', method: 'POST', path: () => '/api/demo/orders', body: () => ({ amountFen: -100 }), status: 400, code: 'validation_failed' },
  // WeChat notifications
  { name: 'wechat notify: no signature headers', method: 'POST', path: () => '/api/notify/wechatpay', raw: () => '{}', headers: () => ({ 'content-type': 'application/json' }), status: 401, code: 'invalid_signature' },
  { name: 'wechat notify: forged (another key)', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => craftNotification(server.keys(), { out_trade_no: f.wechatAttempt, total: 100 }, { signWith: strangerKeyPem() })), status: 401, code: 'invalid_signature' },
  { name: 'wechat notify: SIGNTEST probe', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => craftNotification(server.keys(), { out_trade_no: f.wechatAttempt, total: 100 }, { signature: 'WECHATPAY/SIGNTEST/Zm9v' })), status: 401, code: 'invalid_signature' },
  { name: 'wechat notify: stale timestamp', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => craftNotification(server.keys(), { out_trade_no: f.wechatAttempt, total: 100 }, { timestamp: Math.floor(Date.now() / 1000) - 3600 })), status: 401, code: 'invalid_signature' },
  { name: 'wechat notify: replayed', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => f.accepted), status: 401, code: 'invalid_signature' },
  { name: 'wechat notify: tampered amount', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => craftNotification(server.keys(), { out_trade_no: f.wechatAttempt, total: 1 })), status: 400, code: 'notification_mismatch' },
  { name: 'wechat notify: another merchant', method: 'POST', path: () => '/api/notify/wechatpay', ...wechat(f => craftNotification(server.keys(), { out_trade_no: f.wechatAttempt, total: 100, mchid: '1000000001' })), status: 400, code: 'notification_mismatch' },
  // Alipay notifications
  { name: 'alipay notify: forged', method: 'POST', path: () => '/api/notify/alipay', raw: f => alipayForm(f, {}, strangerKeyPem()), headers: () => FORM, status: 401, code: 'invalid_signature' },
  { name: 'alipay notify: signature removed', method: 'POST', path: () => '/api/notify/alipay', raw: f => alipayForm(f, {}).replace(/&sign=[^&]*/, ''), headers: () => FORM, status: 401, code: 'invalid_signature' },
  { name: 'alipay notify: wrong app_id', method: 'POST', path: () => '/api/notify/alipay', raw: f => alipayForm(f, { app_id: '2021000000000009' }), headers: () => FORM, status: 400, code: 'notification_mismatch' },
  { name: 'alipay notify: wrong amount', method: 'POST', path: () => '/api/notify/alipay', raw: f => alipayForm(f, { total_amount: '0.01' }), headers: () => FORM, status: 400, code: 'notification_mismatch' },
  { name: 'alipay notify: not a form', method: 'POST', path: () => '/api/notify/alipay', raw: () => '{}', headers: () => ({ 'content-type': 'application/json' }), status: 415, code: 'unsupported_media_type' },
]

function wechat(make: (f: Fixture) => { headers: Record<string, string>, body: string }): Pick<Case, 'raw' | 'headers'> {
  const cache = new WeakMap<Fixture, { headers: Record<string, string>, body: string }>()
  const get = (fx: Fixture) => {
    if (!cache.has(fx))
      cache.set(fx, make(fx))
    return cache.get(fx)!
  }
  return { raw: fx => get(fx).body, headers: fx => get(fx).headers }
}

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_SESSION: '0' } })
  const order = async (body: Record<string, unknown> = {}) => (await server.call('POST', '/api/demo/orders', { body })).json.orderNo as string
  const pending = await order({ amountFen: 100 })
  const wechatOnly = await order({ methods: ['wechat_native'] })
  const expired = await order()
  await server.services.db.updateTable('orders').set({ expires_at: new Date(Date.now() - 60_000) }).where('order_no', '=', expired).execute()
  await server.call('POST', '/api/payments', { body: { orderNo: expired, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  await server.call('POST', '/api/payments', { body: { orderNo: pending, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  const alipayOrder = await order({ amountFen: 100 })
  await server.call('POST', '/api/payments', { body: { orderNo: alipayOrder, method: 'alipay_qr' }, headers: { 'Idempotency-Key': key() } })
  const attempts = await server.services.db.selectFrom('payment_attempts').select(['out_trade_no', 'order_no']).execute()
  const wechatAttempt = attempts.find(a => a.order_no === pending)!.out_trade_no
  const alipayAttempt = attempts.find(a => a.order_no === alipayOrder)!.out_trade_no
  // An OAuth session waiting for `goodstate01`, a fresh code, and a code already spent by another session.
  const start = await server.call('POST', '/api/payments', { body: { orderNo: pending, method: 'wechat_jsapi', oauthState: 'goodstate01' }, headers: { 'Idempotency-Key': key() } })
  const sid = start.headers.get('set-cookie')!.match(/uc_sid=([\w-]+)/)![1]!
  const codeFor = async (url: string) => new URL((await fetch(url.replace(/#.*$/, ''), { redirect: 'manual' })).headers.get('location')!.split('#')[0]!).searchParams.get('code')!
  const freshCode = await codeFor(start.json.authorizeUrl as string)
  const other = await server.call('POST', '/api/payments', { body: { orderNo: pending, method: 'wechat_jsapi', oauthState: 'otherstate1' }, headers: { 'Idempotency-Key': key() } })
  const otherSid = other.headers.get('set-cookie')!.match(/uc_sid=([\w-]+)/)![1]!
  const usedCode = await codeFor(other.json.authorizeUrl as string)
  await server.call('POST', '/api/payments', { body: { orderNo: pending, method: 'wechat_jsapi', wechatCode: usedCode, oauthState: 'otherstate1' }, headers: { 'Idempotency-Key': key(), 'cookie': `uc_sid=${otherSid}` } })
  // A notification that was accepted once (for another order), to replay.
  const paidOrder = await order({ amountFen: 100 })
  await server.call('POST', '/api/payments', { body: { orderNo: paidOrder, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  const paidAttempt = (await server.services.db.selectFrom('payment_attempts').select('out_trade_no').where('order_no', '=', paidOrder).executeTakeFirstOrThrow()).out_trade_no
  const accepted = craftNotification(server.keys(), { out_trade_no: paidAttempt, total: 100 })
  expect((await server.call('POST', '/api/notify/wechatpay', { rawBody: accepted.body, headers: accepted.headers })).status).toBe(200)
  f = { pending, wechatOnly, expired, wechatAttempt, alipayAttempt, sid, freshCode, usedCode, accepted, mpToken: '' }
  expect(origin()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
})

afterAll(async () => {
  printTable('Hostile input matrix', rows)
  await server.close()
  removeDir(server.dataDir)
})

describe('hostile input: the expected 4xx, and the database byte-for-byte unchanged', () => {
  it.each(CASES.map(c => [c.name, c] as const))('%s', async (_, c) => {
    const before = await snapshotTables(server.services.db)
    const body = c.raw?.(f) ?? (c.body ? JSON.stringify(c.body(f)) : undefined)
    const res = await fetch(`${server.url}${c.path(f)}`, {
      method: c.method,
      headers: { ...(c.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...c.headers?.(f) },
      body,
    })
    const text = await res.text()
    const json = (() => {
      try {
        return JSON.parse(text) as { code?: string, message?: string }
      }
      catch {
        return {}
      }
    })()
    const unchanged = (await snapshotTables(server.services.db)) === before
    rows.push({ scenario: c.name, tried: 1, passed: res.status === c.status && json.code === c.code && unchanged ? 1 : 0, lost: 0, appliedTwice: unchanged ? 0 : 1 })
    expect(res.status, text).toBe(c.status)
    expect(json.code).toBe(c.code)
    expect(json.message, 'a human-readable message').toMatch(/\S/)
    expect(unchanged, 'database changed').toBe(true)
  })
})
