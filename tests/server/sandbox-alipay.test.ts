import type { AlipayHarness } from './alipay-harness'
import { createContext, Script } from 'node:vm'
import { AlipaySdk } from 'alipay-sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signRequest } from '../../sandbox/alipay/sign'
import { toAlipayTime } from '../../server/providers/alipay/client'
import { extractSignedResponse, verifyResponse } from '../../server/providers/alipay/sign'
import { control, newOutTradeNo, notificationsOf, startAlipayHarness, waitFor } from './alipay-harness'

let h: AlipayHarness
/** The official SDK, snake_case results, for requests the typed client never makes. */
let sdk: AlipaySdk

beforeAll(async () => {
  h = await startAlipayHarness()
  sdk = new AlipaySdk({
    appId: h.keys.alipay.appId,
    privateKey: h.keys.alipay.appPrivateKeyPem,
    keyType: 'PKCS8',
    alipayPublicKey: h.keys.alipay.alipayPublicKeyPem,
    gateway: h.gateway,
    camelcase: false,
  })
  // alipay-sdk stamps requests with the process's local time, and Alipay reads the timestamp as Beijing time.
  const exec = sdk.exec.bind(sdk)
  sdk.exec = (method, params = {}, options) => exec(method, { timestamp: toAlipayTime(new Date()), ...params }, options)
})

beforeEach(async () => {
  await control(h, 'DELETE', '/faults')
})

afterAll(async () => {
  await h?.close()
})

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

function biz(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { out_trade_no: newOutTradeNo(), total_amount: '1.00', subject: '沙箱商品', ...overrides }
}

/** Raw gateway call: the parameters signed by the app key (or `sign` given), sent as a form. */
async function rawGateway(params: Record<string, string>, opts: { sign?: string } = {}): Promise<{ text: string, json: Record<string, any> }> {
  const all: Record<string, string> = { app_id: h.keys.alipay.appId, charset: 'utf-8', sign_type: 'RSA2', timestamp: toAlipayTime(new Date()), version: '1.0', format: 'JSON', ...params }
  all.sign = opts.sign ?? signRequest(all, h.keys.alipay.appPrivateKeyPem)
  const res = await fetch(h.gateway, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(all).toString() })
  const text = await res.text()
  // any: gateway answers are checked field by field.
  return { text, json: JSON.parse(text) as Record<string, any> }
}

/** Authorizes a fresh browser and redeems the auth_code: the user's ids. */
async function oauthUser(): Promise<{ userId?: string, openId?: string }> {
  const res = await fetch(h.client.authorizeUrl('http://127.0.0.1:5173/', 's'), { redirect: 'manual' })
  return h.client.exchangeAuthCode(new URL(res.headers.get('location')!).searchParams.get('auth_code')!)
}

/** A paid precreate trade (its notification goes to the receiver). */
async function paidTrade(prepare?: (outTradeNo: string) => void): Promise<string> {
  const outTradeNo = newOutTradeNo()
  prepare?.(outTradeNo)
  await h.client.precreate({ outTradeNo, amountFen: 100, subject: 'notify test', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000) })
  expect((await control(h, 'POST', '/alipay/pay', { out_trade_no: outTradeNo })).status).toBe(200)
  return outTradeNo
}

async function acknowledgedLog(outTradeNo: string): Promise<any> {
  return waitFor(async () => {
    const l = await control(h, 'GET', `/alipay/notifications?out_trade_no=${outTradeNo}`)
    return l.json.notifications[0]?.status === 'acknowledged' && l.json
  })
}

describe('alipay gateway protocol', () => {
  it('signs every answer over the exact inner JSON text, slashes escaped', async () => {
    const { text, json } = await rawGateway({ method: 'alipay.trade.precreate', biz_content: JSON.stringify(biz()) })
    expect(text).toMatch(/^\{"alipay_trade_precreate_response":\{"code":"10000","msg":"Success","out_trade_no":"\w+","qr_code":"https:\\\/\\\/qr\.alipay\.com\\\/bax\w+"\},"sign":"[\w+/=]+"\}$/)
    const signed = extractSignedResponse(text, 'alipay_trade_precreate_response')!
    expect(verifyResponse(signed.content, signed.sign, h.keys.alipay.alipayPublicKeyPem)).toBe(true)
    expect(json.alipay_trade_precreate_response.qr_code).toMatch(/^https:\/\/qr\.alipay\.com\/bax/)
  })

  it('a timestamp that is not Beijing time (a UTC clock, 8 h behind) → 40002 isv.invalid-timestamp', async () => {
    const utc = new Date().toISOString().slice(0, 19).replace('T', ' ')
    const { json } = await rawGateway({ method: 'alipay.trade.query', biz_content: '{"out_trade_no":"X1"}', timestamp: utc })
    expect(json.error_response).toMatchObject({ code: '40002', sub_code: 'isv.invalid-timestamp' })
    expect((await rawGateway({ method: 'alipay.trade.query', biz_content: '{"out_trade_no":"X1"}' })).json.alipay_trade_query_response).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' })
  })

  it('a forged request sign → signed error_response 40002 isv.invalid-signature', async () => {
    const forged = signRequest({ anything: 'else' }, h.keys.alipay.appPrivateKeyPem)
    const { text, json } = await rawGateway({ method: 'alipay.trade.query', biz_content: '{"out_trade_no":"X1"}' }, { sign: forged })
    expect(json.error_response).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' })
    expect(json.error_response.sub_msg).toContain('验签出错')
    expect(json.error_response.sub_msg).toContain('method=alipay.trade.query')
    const signed = extractSignedResponse(text, 'error_response')!
    expect(verifyResponse(signed.content, signed.sign, h.keys.alipay.alipayPublicKeyPem)).toBe(true)

    const tampered: Record<string, string> = { method: 'alipay.trade.query', biz_content: '{"out_trade_no":"X1"}' }
    const ts = toAlipayTime(new Date())
    const sign = signRequest({ app_id: h.keys.alipay.appId, charset: 'utf-8', sign_type: 'RSA2', timestamp: ts, version: '1.0', ...tampered }, h.keys.alipay.appPrivateKeyPem)
    const replay = await rawGateway({ ...tampered, timestamp: ts, biz_content: '{"out_trade_no":"X2"}' }, { sign })
    expect(replay.json.error_response.sub_code).toBe('isv.invalid-signature')
  })

  it('verifies sign_type as part of the signed string (a sign made without it fails)', async () => {
    const params: Record<string, string> = { app_id: h.keys.alipay.appId, method: 'alipay.trade.query', charset: 'utf-8', timestamp: toAlipayTime(new Date()), version: '1.0', biz_content: '{"out_trade_no":"X3"}' }
    const withoutSignType = signRequest(params, h.keys.alipay.appPrivateKeyPem)
    const { json } = await rawGateway(params, { sign: withoutSignType })
    expect(json.error_response.sub_code).toBe('isv.invalid-signature')
  })

  it.each([
    ['missing method', { method: '' }, '40001', 'isv.missing-method'],
    ['unknown method', { method: 'alipay.trade.cancel' }, '40002', 'isv.invalid-method'],
    ['foreign app_id', { method: 'alipay.trade.query', app_id: '2021000000000000' }, '40002', 'isv.invalid-app-id'],
    ['RSA sign_type', { method: 'alipay.trade.query', sign_type: 'RSA' }, '40002', 'isv.invalid-signature-type'],
    ['bad timestamp', { method: 'alipay.trade.query', timestamp: '2026/01/01 00:00' }, '40002', 'isv.invalid-timestamp'],
  ] as const)('gateway checks: %s → %s %s', async (_name, params, code, subCode) => {
    const { json } = await rawGateway({ biz_content: '{"out_trade_no":"X4"}', ...params })
    expect(json.error_response).toMatchObject({ code, sub_code: subCode })
  })

  it.each([
    ['total_amount with 3 decimals', { total_amount: '1.001' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['total_amount 0', { total_amount: '0.00' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['total_amount not a number', { total_amount: 'abc' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['total_amount over the limit', { total_amount: '100000000.01' }, '40004', 'ACQ.TOTAL_FEE_EXCEED'],
    ['total_amount missing', { total_amount: undefined }, '40001', 'isv.missing-parameter'],
    ['subject missing', { subject: undefined }, '40001', 'isv.missing-parameter'],
    ['subject with &', { subject: 'a&b' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['out_trade_no over 64', { out_trade_no: 'x'.repeat(65) }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['out_trade_no bad chars', { out_trade_no: 'a#b' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['wrong product_code', { product_code: 'QUICK_WAP_WAY' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['time_expire malformed', { time_expire: '2030-01-01T00:00:00+08:00' }, '40004', 'ACQ.INVALID_PARAMETER'],
    ['timeout_express out of range', { timeout_express: '16d' }, '40004', 'ACQ.INVALID_PARAMETER'],
  ] as const)('precreate validation: %s → %s %s', async (_name, overrides, code, subCode) => {
    const r = await sdk.exec('alipay.trade.precreate', { bizContent: biz(overrides) }, { validateSign: true }) as Record<string, unknown>
    expect(r).toMatchObject({ code, sub_code: subCode })
  })

  it('accepts total_amount as a JSON number and normalises it in query', async () => {
    const b = biz({ total_amount: 0.1 })
    expect(await sdk.exec('alipay.trade.precreate', { bizContent: b }, { validateSign: true })).toMatchObject({ code: '10000' })
    expect(await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: b.out_trade_no } }, { validateSign: true })).toMatchObject({ code: '10000', total_amount: '0.10', trade_status: 'WAIT_BUYER_PAY', buyer_pay_amount: '0.00' })
  })

  it('create requires a buyer; trade.query by trade_no; close answers trade_no', async () => {
    expect(await sdk.exec('alipay.trade.create', { bizContent: biz() }, { validateSign: true })).toMatchObject({ code: '40001', sub_code: 'isv.missing-parameter' })
    expect(await sdk.exec('alipay.trade.create', { bizContent: biz({ buyer_id: '12345' }) }, { validateSign: true })).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' })
    const user = await oauthUser()
    expect(await sdk.exec('alipay.trade.create', { bizContent: biz({ buyer_open_id: user.openId, product_code: 'JSAPI_PAY' }) }, { validateSign: true })).toMatchObject({ code: '40001', sub_code: 'isv.missing-parameter', sub_msg: expect.stringContaining('op_app_id') })
    const b = biz({ buyer_open_id: user.openId, product_code: 'JSAPI_PAY', op_app_id: '2021004100000001' })
    const created = await sdk.exec('alipay.trade.create', { bizContent: b }, { validateSign: true }) as Record<string, string>
    expect(created).toMatchObject({ code: '10000', out_trade_no: b.out_trade_no })
    const byTradeNo = await sdk.exec('alipay.trade.query', { bizContent: { trade_no: created.trade_no } }, { validateSign: true })
    expect(byTradeNo).toMatchObject({ out_trade_no: b.out_trade_no, buyer_user_id: user.userId, buyer_open_id: user.openId })
    expect(await sdk.exec('alipay.trade.close', { bizContent: { trade_no: created.trade_no } }, { validateSign: true })).toMatchObject({ code: '10000', trade_no: created.trade_no, out_trade_no: b.out_trade_no })
    expect(await sdk.exec('alipay.trade.query', { bizContent: {} }, { validateSign: true })).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' })
  })

  it('time_expire closes an unpaid trade', async () => {
    const b = biz({ time_expire: toAlipayTime(new Date(Date.now() + 1500)) })
    expect(await sdk.exec('alipay.trade.precreate', { bizContent: b }, { validateSign: true })).toMatchObject({ code: '10000' })
    await sleep(2100)
    expect(await h.client.query(String(b.out_trade_no))).toMatchObject({ tradeStatus: 'TRADE_CLOSED' })
  })

  it('oauth.token: grant_type must be authorization_code; unknown code → error_response isv.code-invalid', async () => {
    expect(await sdk.exec('alipay.system.oauth.token', { grantType: 'refresh_token', refreshToken: 'x' })).toMatchObject({ code: '40002', sub_code: 'isv.grant-type-invalid' })
    const { json } = await rawGateway({ method: 'alipay.system.oauth.token', grant_type: 'authorization_code', code: 'nope' })
    expect(json.error_response).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid' })
  })

  it('wap.pay works as a POST form too (pageExecute POST), and errors render as a page', async () => {
    const b = biz({ product_code: 'QUICK_WAP_WAY' })
    const timestamp = toAlipayTime(new Date())
    const form = sdk.pageExecute('alipay.trade.wap.pay', 'POST', { timestamp, bizContent: b, returnUrl: 'http://127.0.0.1:5173/r', notifyUrl: h.notifyUrl })
    const action = /action="([^"]+)"/.exec(form)![1]
    const fields = Object.fromEntries(Array.from(form.matchAll(/name="([^"]+)" value="([^"]*)"/g), m => [m[1], m[2].replace(/&quot;/g, '"')]))
    const page = await fetch(action, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })
    const html = await page.text()
    expect(html).toContain('确认付款')
    expect(html).toContain('¥1.00')

    const noProduct = sdk.pageExecute('alipay.trade.wap.pay', 'GET', { timestamp, bizContent: biz(), notifyUrl: h.notifyUrl })
    expect(await (await fetch(noProduct)).text()).toContain('isv.missing-parameter')
    const forged = sdk.pageExecute('alipay.trade.wap.pay', 'GET', { timestamp, bizContent: b, notifyUrl: h.notifyUrl }).replace(/total_amount%22%3A%221\.00/, 'total_amount%22%3A%220.01')
    expect(await (await fetch(forged)).text()).toContain('isv.invalid-signature')
  })
})

describe('alipay notifications', () => {
  it('retries until the reply is exactly `success` (4m, 10m … × timeScale), each attempt freshly signed', async () => {
    const outTradeNo = await paidTrade(otn => h.replies.set(otn, ['fail', 'success\n']))
    const log = await acknowledgedLog(outTradeNo)
    expect(log.notifications[0].attempts.map((a: { reply: string, acknowledged: boolean }) => [a.reply, a.acknowledged])).toEqual([['fail', false], ['success\n', false], ['success', true]])
    const deliveries = notificationsOf(h, outTradeNo)
    expect(deliveries).toHaveLength(3)
    expect(new Set(deliveries.map(d => d.params.notify_id)).size).toBe(1)
    expect(deliveries.every(d => d.verified)).toBe(true)
    // 240 ms then 600 ms at timeScale 0.001
    expect(deliveries[1].at - deliveries[0].at).toBeGreaterThanOrEqual(200)
    expect(deliveries[2].at - deliveries[1].at).toBeGreaterThanOrEqual(550)
    const stats = await control(h, 'GET', '/stats')
    expect(stats.json.alipay[outTradeNo]).toMatchObject({ create: 1, notify_attempts: 3 })
    expect(stats.json.wechat).toBeDefined()
  })

  it('drop fault: nothing is sent but the trade is paid', async () => {
    await control(h, 'PUT', '/faults', { dropNotifyRate: 1 })
    const outTradeNo = await paidTrade()
    await sleep(200)
    expect(notificationsOf(h, outTradeNo)).toHaveLength(0)
    const log = await control(h, 'GET', `/alipay/notifications?out_trade_no=${outTradeNo}`)
    expect(log.json.notifications).toMatchObject([{ status: 'dropped', faults: ['drop'], attempts: [] }])
    expect(await h.client.query(outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS' })
  })

  it('duplicate fault: the same notification (notify_id) arrives twice', async () => {
    await control(h, 'PUT', '/faults', { duplicateNotifyRate: 1 })
    const outTradeNo = await paidTrade()
    const both = await waitFor(() => notificationsOf(h, outTradeNo).length >= 2 && notificationsOf(h, outTradeNo))
    expect(both[0].params.notify_id).toBe(both[1].params.notify_id)
  })

  it('corrupt fault: total_amount altered after signing → 401 fail; the retry is clean', async () => {
    await control(h, 'PUT', '/faults', { corruptNotifyRate: 1 })
    const outTradeNo = await paidTrade()
    const log = await acknowledgedLog(outTradeNo)
    expect(log.notifications[0].faults).toEqual(['corrupt'])
    expect(log.notifications[0].attempts.map((a: { http_status: number, corrupted?: boolean }) => [a.http_status, a.corrupted ?? false])).toEqual([[401, true], [200, false]])
    const bad = h.received.find(r => !r.verdict.ok && r.params.out_trade_no === outTradeNo)!
    expect(bad.params.total_amount).not.toBe('1.00')
    expect(bad.verdict).toMatchObject({ status: 401 })
  })

  it('delay fault holds the notification back', async () => {
    await control(h, 'PUT', '/faults', { delayNotifyRate: 1, delayNotifyMs: 400 })
    const started = Date.now()
    const outTradeNo = await paidTrade()
    const [n] = await waitFor(() => notificationsOf(h, outTradeNo).length > 0 && notificationsOf(h, outTradeNo))
    expect(n.at - started).toBeGreaterThanOrEqual(380)
  })
})

describe('alipay pages, bridge and control API', () => {
  it('scan page for a precreate code; cancel keeps WAIT_BUYER_PAY; pay by qr_code', async () => {
    const outTradeNo = newOutTradeNo()
    const { qrCode } = await h.client.precreate({ outTradeNo, amountFen: 250, subject: '扫码 <商品>', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000) })
    const html = await (await fetch(`${h.origin}/sandbox/alipay/scan?qr_code=${encodeURIComponent(qrCode)}`)).text()
    expect(html).toContain('确认付款')
    expect(html).toContain('扫码 &lt;商品&gt;')
    expect(html).toContain('¥2.50')
    expect(html).toContain('/sandbox/api/alipay')
    expect((await fetch(`${h.origin}/sandbox/alipay/scan?qr_code=nope`)).status).toBe(404)
    expect((await control(h, 'POST', '/alipay/cancel', { qr_code: qrCode })).json).toEqual({ ok: true, trade_status: 'WAIT_BUYER_PAY' })
    expect((await control(h, 'POST', '/alipay/pay', { qr_code: qrCode })).json.trade.trade_status).toBe('TRADE_SUCCESS')
    expect((await control(h, 'POST', '/alipay/pay', {})).status).toBe(400)
    expect((await control(h, 'POST', '/alipay/pay', { trade_no: '2026000000' })).status).toBe(404)
  })

  it('wap cancel answers quit_url', async () => {
    const outTradeNo = newOutTradeNo()
    await fetch(h.client.wapPayUrl({ outTradeNo, amountFen: 100, subject: 'wap', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000), returnUrl: 'http://127.0.0.1:5173/r', quitUrl: 'http://127.0.0.1:5173/q' }))
    expect((await control(h, 'POST', '/alipay/cancel', { out_trade_no: outTradeNo })).json).toEqual({ ok: true, trade_status: 'WAIT_BUYER_PAY', quit_url: 'http://127.0.0.1:5173/q' })
  })

  it('trade-pay: 9000 pays; 8000 and 6004 pay too; 4000/6001/6002 leave it unpaid', async () => {
    const user = await oauthUser()
    async function createdTrade(): Promise<{ outTradeNo: string, tradeNo: string }> {
      const outTradeNo = newOutTradeNo()
      const { tradeNo } = await h.client.create({ outTradeNo, amountFen: 100, subject: 'in app', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000), buyer: { userId: user.userId } })
      return { outTradeNo, tradeNo }
    }
    const t = await createdTrade()
    for (const code of ['4000', '6001', '6002']) {
      const r = await control(h, 'POST', '/alipay/trade-pay', { tradeNO: t.tradeNo, resultCode: code })
      expect(r.json.resultCode).toBe(code)
    }
    expect(await h.client.query(t.outTradeNo)).toMatchObject({ tradeStatus: 'WAIT_BUYER_PAY' })
    expect((await control(h, 'POST', '/alipay/trade-pay', { tradeNO: t.tradeNo, resultCode: '9000' })).json).toMatchObject({ resultCode: '9000', memo: '支付成功' })
    expect(await h.client.query(t.outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS' })
    await waitFor(() => notificationsOf(h, t.outTradeNo).length > 0)
    expect(notificationsOf(h, t.outTradeNo)[0].params.buyer_id).toBe(user.userId)
    expect((await control(h, 'POST', '/alipay/trade-pay', { tradeNO: t.tradeNo, resultCode: '9000' })).json.resultCode).toBe('4000')

    for (const code of ['8000', '6004']) {
      const u = await createdTrade()
      expect((await control(h, 'POST', '/alipay/trade-pay', { tradeNO: u.tradeNo, resultCode: code })).json.resultCode).toBe(code)
      expect(await h.client.query(u.outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS' })
    }
    expect((await control(h, 'POST', '/alipay/trade-pay', { tradeNO: '2026000000', resultCode: '9000' })).json.resultCode).toBe('4000')
    expect((await control(h, 'POST', '/alipay/trade-pay', { tradeNO: t.tradeNo, resultCode: '1234' })).json.resultCode).toBe('4000')
  })

  it('bridge.js defines AlipayJSBridge.call(tradePay) and dispatches AlipayJSBridgeReady', async () => {
    const user = await oauthUser()
    const outTradeNo = newOutTradeNo()
    const { tradeNo } = await h.client.create({ outTradeNo, amountFen: 100, subject: 'bridge', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000), buyer: { openId: user.openId } })

    const js = await (await fetch(`${h.origin}/sandbox/bridge.js`)).text()
    expect(js).toContain('window.WeixinJSBridge')
    expect(js).toContain('window.AlipayJSBridge')
    const events: string[] = []
    const window: Record<string, any> = { __sandboxBridge: { alipay: '6001' } }
    const sandbox = createContext({
      window,
      document: { currentScript: { src: `${h.origin}/sandbox/bridge.js` }, dispatchEvent: (e: { type: string }) => events.push(e.type) },
      location: { origin: h.origin },
      Event: class { constructor(readonly type: string) {} },
      fetch,
      URL,
      setTimeout,
    })
    new Script(js).runInContext(sandbox)
    await waitFor(() => events.includes('AlipayJSBridgeReady'))
    const tradePay = (params: unknown): Promise<any> => new Promise(resolve => window.AlipayJSBridge.call('tradePay', params, resolve))
    expect(await tradePay({ tradeNO: tradeNo })).toMatchObject({ resultCode: '6001' })
    expect(await h.client.query(outTradeNo)).toMatchObject({ tradeStatus: 'WAIT_BUYER_PAY' })
    window.__sandboxBridge = {}
    expect(await tradePay({ tradeNO: tradeNo })).toMatchObject({ resultCode: '9000' })
    expect(await h.client.query(outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS' })
    expect(await new Promise(resolve => window.AlipayJSBridge.call('chooseImage', {}, resolve))).toMatchObject({ error: 1 })
  })

  it('lists alipay trades in /api/payments with the status filter', async () => {
    const outTradeNo = newOutTradeNo()
    await h.client.precreate({ outTradeNo, amountFen: 100, subject: 'listed', notifyUrl: h.notifyUrl, timeExpire: new Date(Date.now() + 3600_000) })
    const pending = await control(h, 'GET', '/payments?status=pending')
    expect(pending.json.payments.find((p: { out_trade_no: string }) => p.out_trade_no === outTradeNo)).toMatchObject({ provider: 'alipay', kind: 'precreate', trade_state: 'WAIT_BUYER_PAY', amount_total: 100, total_amount: '1.00' })
    await control(h, 'POST', '/alipay/pay', { out_trade_no: outTradeNo })
    const paidList = await control(h, 'GET', '/payments?status=paid')
    expect(paidList.json.payments.some((p: { out_trade_no: string }) => p.out_trade_no === outTradeNo)).toBe(true)
    expect((await control(h, 'GET', '/payments?status=pending')).json.payments.some((p: { out_trade_no: string }) => p.out_trade_no === outTradeNo)).toBe(false)
    const stats = await control(h, 'GET', '/stats')
    expect(stats.json.alipay[outTradeNo]).toMatchObject({ create: 1, query: 0 })
  })
})
