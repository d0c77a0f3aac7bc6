import type { MerchantClient, WebhookReceiver } from '../helpers/merchant'
import type { TestServer } from '../helpers/server'
import type { ReliabilityRow } from './report'
import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signNotify } from '../../sandbox/alipay/sign'
import { revokeApiKey } from '../../server/merchant/api-keys'
import { snapshotTables } from '../helpers/db-snapshot'
import { eventually, merchantClient, webhookReceiver } from '../helpers/merchant'
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
  /** The merchant API: a working key, a revoked one, and orders in every state a refund or close can meet. */
  apiKey: string
  revokedKey: string
  m: {
    pending: string
    closed: string
    /** Paid 1000 fen, 300 refunded. */
    partlyRefunded: string
    refunded: string
    /** An Idempotency-Key that created an order, and the body it was sent with. */
    orderKey: string
    orderBody: Record<string, unknown>
    /** An Idempotency-Key that created a refund of 100 fen of `partlyRefunded`. */
    refundKey: string
    eventId: string
    endpointId: string
  }
}

interface Case {
  name: string
  method: 'GET' | 'POST' | 'DELETE'
  path: (f: Fixture) => string
  body?: (f: Fixture) => unknown
  raw?: (f: Fixture) => string | Buffer
  headers?: (f: Fixture) => Record<string, string>
  status: number
  code?: string
}

let server: TestServer
let shop: MerchantClient
let hooks: WebhookReceiver
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
const M = '/api/merchant/v1'

/** A merchant API request with the fixture's key (and a fresh Idempotency-Key on POST unless `headers` says otherwise). */
function merchant(method: Case['method'], path: (f: Fixture) => string, extra: Partial<Case> = {}): Pick<Case, 'method' | 'path' | 'headers'> {
  return {
    method,
    path: fx => `${M}${path(fx)}`,
    ...extra,
    // An empty value leaves the header out.
    headers: fx => Object.fromEntries(Object.entries({ Authorization: `Bearer ${fx.apiKey}`, ...(method === 'POST' ? { 'Idempotency-Key': key() } : {}), ...extra.headers?.(fx) }).filter(([, v]) => v !== '')),
  }
}

const orderBody = (extra: Record<string, unknown> = {}) => ({ amountFen: 100, subject: '测试', merchantOrderId: `H-${key()}`, ...extra })
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
  // merchant API: keys
  { name: 'merchant: no API key', ...merchant('GET', () => '/orders', { headers: () => ({ Authorization: '' }) }), status: 401, code: 'missing_api_key' },
  { name: 'merchant: not a Bearer key', ...merchant('GET', () => '/orders', { headers: () => ({ Authorization: 'Basic c2s6c2s=' }) }), status: 401, code: 'invalid_api_key' },
  { name: 'merchant: unknown key', ...merchant('GET', () => '/orders', { headers: () => ({ Authorization: `Bearer sk_test_${'x'.repeat(32)}` }) }), status: 401, code: 'invalid_api_key' },
  { name: 'merchant: revoked key, reading', ...merchant('GET', () => '/orders', { headers: fx => ({ Authorization: `Bearer ${fx.revokedKey}` }) }), status: 401, code: 'invalid_api_key' },
  { name: 'merchant: revoked key, creating an order', ...merchant('POST', () => '/orders', { headers: fx => ({ Authorization: `Bearer ${fx.revokedKey}` }) }), body: () => orderBody(), status: 401, code: 'invalid_api_key' },
  { name: 'merchant: revoked key, refunding', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`, { headers: fx => ({ Authorization: `Bearer ${fx.revokedKey}` }) }), body: () => ({ amountFen: 1 }), status: 401, code: 'invalid_api_key' },
  { name: 'merchant: the customer\'s session cookie instead of a key', ...merchant('GET', () => '/orders', { headers: fx => ({ Authorization: '', cookie: `uc_sid=${fx.sid}` }) }), status: 401, code: 'missing_api_key' },
  { name: 'cashier API: a secret key sent to it', method: 'GET', path: fx => `/api/orders/${fx.pending}`, headers: fx => ({ Authorization: `Bearer ${fx.apiKey}` }), status: 403, code: 'forbidden' },
  // merchant API: creating orders
  { name: 'merchant order: malformed JSON', ...merchant('POST', () => '/orders'), raw: () => '{"amountFen":', status: 400, code: 'bad_request' },
  { name: 'merchant order: not JSON', ...merchant('POST', () => '/orders', { headers: () => ({ 'content-type': 'application/x-www-form-urlencoded' }) }), raw: () => 'amountFen=100', status: 415, code: 'unsupported_media_type' },
  { name: 'merchant order: oversized body', ...merchant('POST', () => '/orders'), raw: () => JSON.stringify(orderBody({ description: 'x'.repeat(70_000) })), status: 413, code: 'payload_too_large' },
  { name: 'merchant order: amount as a string', ...merchant('POST', () => '/orders'), body: () => orderBody({ amountFen: '100' }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: zero amount', ...merchant('POST', () => '/orders'), body: () => orderBody({ amountFen: 0 }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: subject a number', ...merchant('POST', () => '/orders'), body: () => orderBody({ subject: 42 }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: metadata too large', ...merchant('POST', () => '/orders'), body: () => orderBody({ metadata: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'x'.repeat(450)])) }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: metadata with too many keys', ...merchant('POST', () => '/orders'), body: () => orderBody({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: nested metadata', ...merchant('POST', () => '/orders'), body: () => orderBody({ metadata: { a: { b: 1 } } }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: an array body', ...merchant('POST', () => '/orders'), body: () => [orderBody()], status: 400, code: 'validation_failed' },
  { name: 'merchant order: no Idempotency-Key', ...merchant('POST', () => '/orders', { headers: () => ({ 'Idempotency-Key': '' }) }), body: () => orderBody(), status: 400, code: 'idempotency_key_required' },
  { name: 'merchant order: hostile Idempotency-Key', ...merchant('POST', () => '/orders', { headers: () => ({ 'Idempotency-Key': '../../etc/passwd' }) }), body: () => orderBody(), status: 400, code: 'validation_failed' },
  { name: 'merchant order: Idempotency-Key reused with another body', ...merchant('POST', () => '/orders', { headers: fx => ({ 'Idempotency-Key': fx.m.orderKey }) }), body: fx => ({ ...fx.m.orderBody, amountFen: 101 }), status: 409, code: 'idempotency_conflict' },
  { name: 'merchant order: merchantOrderId reused with another body', ...merchant('POST', () => '/orders'), body: fx => ({ ...fx.m.orderBody, subject: '别的' }), status: 409, code: 'merchant_order_conflict' },
  { name: 'merchant order: __proto__ in the body', ...merchant('POST', () => '/orders'), raw: () => `{"amountFen":100,"subject":"x","merchantOrderId":"P-${key()}","__proto__":{"amountFen":1}}`, status: 400, code: 'validation_failed' },
  { name: 'merchant order: deeply nested JSON', ...merchant('POST', () => '/orders'), raw: () => `${'['.repeat(30_000)}${']'.repeat(30_000)}`, status: 400, code: 'validation_failed' },
  { name: 'merchant order: not UTF-8', ...merchant('POST', () => '/orders'), raw: () => Buffer.concat([Buffer.from('{"amountFen":100,"subject":"'), Buffer.from([0xFF, 0xFE]), Buffer.from(`","merchantOrderId":"U-${key()}"}`)]), status: 400, code: 'bad_request' },
  { name: 'merchant order: a lone surrogate escaped in the JSON', ...merchant('POST', () => '/orders'), raw: () => `{"amountFen":100,"subject":"\\uDC00","merchantOrderId":"S-${key()}"}`, status: 400, code: 'bad_request' },
  { name: 'merchant order: empty body', ...merchant('POST', () => '/orders'), raw: () => '', status: 400, code: 'bad_request' },
  { name: 'merchant order: amount beyond the maximum', ...merchant('POST', () => '/orders'), body: () => orderBody({ amountFen: 1e20 }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: no methods', ...merchant('POST', () => '/orders'), body: () => orderBody({ methods: [] }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: expiry a string', ...merchant('POST', () => '/orders'), body: () => orderBody({ expiresInSeconds: '600' }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: Idempotency-Key too long', ...merchant('POST', () => '/orders', { headers: () => ({ 'Idempotency-Key': 'k'.repeat(129) }) }), body: () => orderBody(), status: 400, code: 'validation_failed' },
  // merchant API: reading
  { name: 'merchant order: unknown', ...merchant('GET', () => '/orders/O000UNKNOWN'), status: 404, code: 'order_not_found' },
  { name: 'merchant order: malformed number', ...merchant('GET', () => '/orders/%3Cscript%3E'), status: 400, code: 'validation_failed' },
  { name: 'merchant QR: unknown order', ...merchant('GET', () => '/orders/O000UNKNOWN/qr.png'), status: 404, code: 'order_not_found' },
  { name: 'merchant list: limit too large', ...merchant('GET', () => '/orders?limit=500'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: limit not a number', ...merchant('GET', () => '/orders?limit=ten'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: forged cursor', ...merchant('GET', () => '/orders?cursor=bm90YWN1cnNvcg'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: unknown status', ...merchant('GET', () => '/orders?status=stolen'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: created_from not a date', ...merchant('GET', () => '/orders?created_from=yesterday'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: limit zero', ...merchant('GET', () => '/orders?limit=0'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: limit fractional', ...merchant('GET', () => '/orders?limit=1.5'), status: 400, code: 'validation_failed' },
  { name: 'merchant list: an impossible date', ...merchant('GET', () => '/orders?created_from=2026-13-45T00:00:00Z'), status: 400, code: 'validation_failed' },
  { name: 'merchant order: expiry under a minute', ...merchant('POST', () => '/orders'), body: () => orderBody({ expiresInSeconds: 59 }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: subject of spaces only', ...merchant('POST', () => '/orders'), body: () => orderBody({ subject: '   ' }), status: 400, code: 'validation_failed' },
  { name: 'merchant order: merchantOrderId too long', ...merchant('POST', () => '/orders'), body: () => orderBody({ merchantOrderId: 'm'.repeat(65) }), status: 400, code: 'validation_failed' },
  { name: 'merchant endpoint: description too long', ...merchant('POST', () => '/webhook-endpoints'), body: () => ({ url: 'https://shop.example/hook', description: 'd'.repeat(201) }), status: 400, code: 'validation_failed' },
  { name: 'merchant endpoint: not a URL', ...merchant('POST', () => '/webhook-endpoints'), body: () => ({ url: 'not a url' }), status: 400, code: 'validation_failed' },
  // merchant API: close
  { name: 'merchant close: unknown order', ...merchant('POST', () => '/orders/O000UNKNOWN/close'), status: 404, code: 'order_not_found' },
  { name: 'merchant close: a paid order', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/close`), status: 409, code: 'order_not_closable' },
  { name: 'merchant close: a refunded order', ...merchant('POST', fx => `/orders/${fx.m.refunded}/close`), status: 409, code: 'order_not_closable' },
  // merchant API: refunds
  { name: 'merchant refund: unknown order', ...merchant('POST', () => '/orders/O000UNKNOWN/refunds'), body: () => ({ amountFen: 1 }), status: 404, code: 'order_not_found' },
  { name: 'merchant refund: an unpaid order', ...merchant('POST', fx => `/orders/${fx.m.pending}/refunds`), body: () => ({}), status: 409, code: 'order_not_paid' },
  { name: 'merchant refund: a closed order', ...merchant('POST', fx => `/orders/${fx.m.closed}/refunds`), body: () => ({}), status: 409, code: 'order_not_paid' },
  { name: 'merchant refund: over the remaining amount', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: 701 }), status: 409, code: 'refund_exceeds_remaining' },
  { name: 'merchant refund: a fully refunded order', ...merchant('POST', fx => `/orders/${fx.m.refunded}/refunds`), body: () => ({ amountFen: 1 }), status: 409, code: 'order_fully_refunded' },
  { name: 'merchant refund: amount as a string', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: '1' }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: negative amount', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: -1 }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: fractional amount', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: 0.5 }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: unknown field', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: 1, to: 'elsewhere' }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: reason too long', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: 1, reason: 'x'.repeat(81) }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: malformed JSON', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), raw: () => '{"amountFen":1', status: 400, code: 'bad_request' },
  { name: 'merchant refund: oversized body', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), raw: () => JSON.stringify({ amountFen: 1, reason: 'x'.repeat(70_000) }), status: 413, code: 'payload_too_large' },
  { name: 'merchant refund: null body', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), raw: () => 'null', status: 400, code: 'validation_failed' },
  { name: 'merchant refund: an array body', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => [{ amountFen: 1 }], status: 400, code: 'validation_failed' },
  { name: 'merchant refund: amount beyond the maximum', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`), body: () => ({ amountFen: Number.MAX_SAFE_INTEGER + 2 }), status: 400, code: 'validation_failed' },
  { name: 'merchant refund: no Idempotency-Key', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`, { headers: () => ({ 'Idempotency-Key': '' }) }), body: () => ({ amountFen: 1 }), status: 400, code: 'idempotency_key_required' },
  { name: 'merchant refund: Idempotency-Key reused with another body', ...merchant('POST', fx => `/orders/${fx.m.partlyRefunded}/refunds`, { headers: fx => ({ 'Idempotency-Key': fx.m.refundKey }) }), body: () => ({ amountFen: 200 }), status: 409, code: 'idempotency_conflict' },
  { name: 'merchant refund: Idempotency-Key reused for another order', ...merchant('POST', fx => `/orders/${fx.m.refunded}/refunds`, { headers: fx => ({ 'Idempotency-Key': fx.m.refundKey }) }), body: () => ({ amountFen: 100 }), status: 409, code: 'idempotency_conflict' },
  // merchant API: webhooks
  { name: 'merchant replay: unknown event', ...merchant('POST', () => '/webhooks/evt_AAAAAAAAAAAAAAAA/replay'), status: 404, code: 'event_not_found' },
  { name: 'merchant replay: malformed event id', ...merchant('POST', () => '/webhooks/evt_%3Cx%3E/replay'), status: 400, code: 'validation_failed' },
  { name: 'merchant replay: an endpoint the event was not for', ...merchant('POST', fx => `/webhooks/${fx.m.eventId}/replay?endpoint_id=we_nope`), status: 404, code: 'webhook_endpoint_not_found' },
  { name: 'merchant endpoint: not http(s)', ...merchant('POST', () => '/webhook-endpoints'), body: () => ({ url: 'ftp://shop.example/hook' }), status: 400, code: 'validation_failed' },
  { name: 'merchant endpoint: credentials in the URL', ...merchant('POST', () => '/webhook-endpoints'), body: () => ({ url: 'https://user:pw@shop.example/hook' }), status: 400, code: 'validation_failed' },
  { name: 'merchant endpoint: url a number', ...merchant('POST', () => '/webhook-endpoints'), body: () => ({ url: 42 }), status: 400, code: 'validation_failed' },
  { name: 'merchant endpoint: delete an unknown one', ...merchant('DELETE', () => '/webhook-endpoints/we_nope'), status: 404, code: 'webhook_endpoint_not_found' },
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
  // The merchant side: a shop with a webhook endpoint, a revoked key, and orders pending, closed, partly and fully refunded.
  shop = await merchantClient(server)
  hooks = await webhookReceiver()
  const endpoint = await shop.call('POST', '/webhook-endpoints', { body: { url: hooks.url } })
  const revoked = await merchantClient(server, 'revoked shop')
  const revokedId = (await server.services.db.selectFrom('api_keys').select('id').where('name', '=', 'revoked shop').executeTakeFirstOrThrow()).id
  await revokeApiKey(server.services.db, revokedId)
  const paidMerchantOrder = async (amountFen: number) => {
    const order = await shop.order({ amountFen })
    const pay = await server.call('POST', '/api/payments', { body: { orderNo: order.orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
    await fetch(`${server.url}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code_url: pay.json.codeUrl }) })
    await eventually(() => shop.call('GET', `/orders/${order.orderNo}`), r => r.json.status === 'paid', 60_000)
    return order.orderNo as string
  }
  const orderKey = key()
  const orderBody = { amountFen: 100, subject: '幂等', merchantOrderId: `H-${orderKey}` }
  expect((await shop.call('POST', '/orders', { body: orderBody, idempotencyKey: orderKey })).status).toBe(201)
  const mPending = (await shop.order()).orderNo as string
  const mClosed = (await shop.order()).orderNo as string
  expect((await shop.call('POST', `/orders/${mClosed}/close`)).json.status).toBe('closed')
  const partlyRefunded = await paidMerchantOrder(1000)
  const refundKey = key()
  expect((await shop.call('POST', `/orders/${partlyRefunded}/refunds`, { body: { amountFen: 100 }, idempotencyKey: refundKey })).json.status).toBe('succeeded')
  expect((await shop.call('POST', `/orders/${partlyRefunded}/refunds`, { body: { amountFen: 200 } })).json.status).toBe('succeeded')
  const refunded = await paidMerchantOrder(500)
  expect((await shop.call('POST', `/orders/${refunded}/refunds`, { body: {} })).json.status).toBe('succeeded')
  // Nothing left moving in the background: every webhook delivered.
  const deliveries = await eventually(() => server.services.db.selectFrom('event_deliveries').select('status').execute(), ds => ds.length > 0 && ds.every(d => d.status === 'delivered'), 60_000)
  expect(deliveries.every(d => d.status === 'delivered')).toBe(true)
  const eventId = (await server.services.db.selectFrom('events').select('id').where('order_no', '=', partlyRefunded).executeTakeFirstOrThrow()).id
  f = {
    pending,
    wechatOnly,
    expired,
    wechatAttempt,
    alipayAttempt,
    sid,
    freshCode,
    usedCode,
    accepted,
    mpToken: '',
    apiKey: shop.apiKey,
    revokedKey: revoked.apiKey,
    m: { pending: mPending, closed: mClosed, partlyRefunded, refunded, orderKey, orderBody, refundKey, eventId, endpointId: endpoint.json.id as string },
  }
  expect(origin()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
})

afterAll(async () => {
  printTable('Hostile input matrix', rows)
  await hooks.close()
  await server.close()
  removeDir(server.dataDir)
})

describe('hostile input: the expected 4xx, and the database byte-for-byte unchanged', () => {
  it.each(CASES.map(c => [c.name, c] as const))('%s', async (_, c) => {
    // A key's last use is written at most once a minute, also by a refused request: keep it fresh so that write does
    // not fall inside a case (refusals are otherwise held to an unchanged database).
    await server.services.db.updateTable('api_keys').set({ last_used_at: new Date() }).execute()
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
