/**
 * Every request the live WeChat clients make, recorded on the wire by a capturing server and checked field by field
 * against the official API reference (cited per test), plus the live client's response verification against the
 * official response-signature example. The merchant key is the WeChat Pay documentation's test key, so each
 * Authorization signature is also recomputed independently (node:crypto) and by wechatpay-node-v3.
 *
 * Refunds, refund queries and the refund notification's resource are checked the same way.
 */
import type { WechatCredentials } from '../../server/config'
import type { CapturedRequest, CaptureServer } from '../helpers/capture-server'
import { Buffer } from 'node:buffer'
import { createCipheriv, createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WxPay from 'wechatpay-node-v3'
import { signResponse } from '../../sandbox/wechat/crypto'
import { createWechatAdapter } from '../../server/providers/wechat/adapter'
import { createMiniProgramLogin, createWechatOAuthClient } from '../../server/providers/wechat/oauth'
import { createWechatPayClient, DESCRIPTION_MAX_BYTES, REFUND_REASON_MAX_BYTES, toWechatTime } from '../../server/providers/wechat/pay-client'
import { startCaptureServer } from '../helpers/capture-server'

const FIX = path.join(import.meta.dirname, '../fixtures')
const read = (p: string) => readFileSync(path.join(FIX, p), 'utf8')
const docKey = read('vectors/wx_doc_test_key.pem')
const docPub = read('vectors/wx_doc_test_pub.pem')
const javaWechatPayKey = read('wechatpay-java/wechat_pay_private_key.pem')
const javaWechatPayPub = read('wechatpay-java/wechat_pay_public_key.pem')
const javaCert = read('wechatpay-java/wechat_pay_certificate.pem')
const javaCertSerial = new X509Certificate(javaCert).serialNumber

const PUB_KEY_ID = 'PUB_KEY_ID_0112233445566778899001122334455667'
/** The documentation's example merchant and its API certificate serial (§1.2 of the signature rules page). */
const creds: WechatCredentials = {
  appId: 'wxd678efh567hg6787',
  appSecret: '0123456789abcdef0123456789abcdef',
  miniProgramAppId: 'wx2421b1c4370ec43b',
  miniProgramSecret: 'fedcba9876543210fedcba9876543210',
  mchId: '1230000109',
  serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
  privateKeyPem: docKey,
  platformPublicKeyPem: javaWechatPayPub,
  platformPublicKeyId: PUB_KEY_ID,
  platformCertificates: [{ serial: javaCertSerial, pem: javaCert, validTo: new Date('2025-05-09T02:04:30Z') }],
  apiV3Key: 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb',
}

/** The refund answer as the refund doc's example has it (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_9.shtml). */
const REFUND = { refund_id: '50000000382019052709732678859', out_refund_no: 'R261203103456ABCDEFGHJKLM', transaction_id: '1217752501201407033233368018', out_trade_no: 'O20261203000001A', channel: 'ORIGINAL', user_received_account: '招商银行信用卡0403', success_time: '2020-12-01T16:18:12+08:00', create_time: '2020-12-01T16:18:12+08:00', status: 'SUCCESS', funds_account: 'UNSETTLED', amount: { total: 1234, refund: 300, payer_total: 1234, payer_refund: 300, settlement_refund: 300, settlement_total: 1234, discount_refund: 0, currency: 'CNY' } }

const TRANSACTION = { appid: creds.appId, mchid: creds.mchId, out_trade_no: 'O20261203000001A', trade_state: 'NOTPAY', trade_state_desc: '订单未支付', amount: { total: 1234, currency: 'CNY' } }

/** WeChat Pay's side: a signed answer per endpoint, signed with the key the request names in Wechatpay-Serial. */
function wechatPayReply(req: CapturedRequest) {
  const path = req.url.split('?')[0]
  let status = 200
  let body: string | null
  if (path.endsWith('/jsapi')) {
    body = '{"prepay_id":"wx26112221580621e9b071c00d9e093b0000"}'
  }
  else if (path.endsWith('/h5')) {
    body = '{"h5_url":"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346&package=1405458241"}'
  }
  else if (path.endsWith('/native')) {
    body = '{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}'
  }
  else if (path.startsWith('/v3/refund/domestic/refunds')) {
    body = JSON.stringify(REFUND)
  }
  else if (path.endsWith('/close')) {
    status = 204
    body = null
  }
  else {
    body = JSON.stringify(TRANSACTION)
  }
  const serial = req.headers['wechatpay-serial'] === PUB_KEY_ID ? PUB_KEY_ID : javaCertSerial
  const headers: Record<string, string> = { ...signResponse(body ?? '', javaWechatPayKey, serial), 'Request-ID': '08F78BB5AF0610A8D5F6A90E10C6F0ED0FA50C' }
  if (body !== null)
    headers['Content-Type'] = 'application/json'
  return { status, headers, body: body ?? '' }
}

/** wechatpay-node-v3, an independent implementation, holding the same merchant key. */
const nodeV3 = new WxPay({ appid: creds.appId!, mchid: creds.mchId, serial_no: creds.serial, publicKey: Buffer.from(docPub), privateKey: Buffer.from(docKey) })

/**
 * The Authorization header, per the signature rules (https://pay.weixin.qq.com/doc/v3/merchant/4012365342, mirrored in
 * wechatpay-apiv3/wechatpay-skills 3-商户与服务商通用/接入指南/签名与验签规则.md): scheme WECHATPAY2-SHA256-RSA2048, the five
 * fields mchid, nonce_str, signature, timestamp, serial_no; signature = SHA256withRSA over METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n.
 * The official samples (wechatpay-skills 示例代码/Java/1-JSAPI支付/JsapiPrepay.java) also send Accept: application/json,
 * Content-Type: application/json and Wechatpay-Serial (the public key id).
 */
function expectSignedRequest(req: CapturedRequest, method: string, url: string): void {
  expect(req.method).toBe(method)
  expect(req.url).toBe(url)
  const auth = req.headers.authorization ?? ''
  const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(auth)
  expect(m, auth).not.toBeNull()
  const fields = Object.fromEntries(Array.from(m![1].matchAll(/(\w+)="([^"]*)"/g), x => [x[1], x[2]]))
  expect(Object.keys(fields).sort()).toEqual(['mchid', 'nonce_str', 'serial_no', 'signature', 'timestamp'])
  expect(fields.mchid).toBe(creds.mchId)
  expect(fields.serial_no).toBe(creds.serial)
  expect(fields.nonce_str).toMatch(/^[0-9A-Z]{16,32}$/i)
  expect(fields.timestamp).toMatch(/^\d{10}$/)
  expect(Math.abs(Number(fields.timestamp) - Date.now() / 1000)).toBeLessThan(300)
  const message = `${method}\n${url}\n${fields.timestamp}\n${fields.nonce_str}\n${req.body}\n`
  expect(verify('sha256', Buffer.from(message), createPublicKey(docPub), Buffer.from(fields.signature, 'base64'))).toBe(true)
  expect(nodeV3.getSignature(method, fields.nonce_str, fields.timestamp, url, req.body === '' ? undefined : JSON.parse(req.body))).toBe(fields.signature)
  expect(req.headers.accept).toContain('application/json')
  expect(req.headers['user-agent']).toBeTruthy()
  expect(req.headers['wechatpay-serial']).toBe(PUB_KEY_ID)
  if (method === 'POST')
    expect(req.headers['content-type']).toMatch(/^application\/json/)
}

let wx: CaptureServer
beforeAll(async () => {
  wx = await startCaptureServer(wechatPayReply)
})
afterEach(() => {
  wx.requests.length = 0
})
afterAll(async () => {
  await wx.close()
})

const client = () => createWechatPayClient(creds, wx.origin)
const expiresAt = new Date('2026-12-03T10:34:56Z')
const order = { appId: creds.appId!, description: '示例商户-会员月卡', outTradeNo: 'O20261203000001A', amountFen: 1234, notifyUrl: 'https://pay.example.com/api/notify/wechatpay', timeExpire: expiresAt }

/** Fields shared by the three prepay bodies (JSAPI doc 4012791897 / chapter3_1_1; H5 4012791834 / chapter3_3_1; Native chapter3_4_1). */
function expectOrderFields(body: Record<string, unknown>): void {
  expect(body.appid).toBe(creds.appId) // string[1,32]
  expect(body.mchid).toBe(creds.mchId) // string[1,32]
  expect(body.description).toBe('示例商户-会员月卡') // string[1,127]
  expect(body.out_trade_no).toMatch(/^[\w\-|*]{6,32}$/) // string[6,32], 0-9 a-z A-Z _ - | *
  expect(body.time_expire).toBe('2026-12-03T18:34:56+08:00') // RFC 3339, e.g. 2018-06-08T10:34:56+08:00
  expect(body.notify_url).toBe('https://pay.example.com/api/notify/wechatpay') // absolute https, no query string
  expect(String(body.notify_url)).not.toContain('?')
  expect(body.amount).toEqual({ total: 1234, currency: 'CNY' }) // total: integer fen; currency CNY
  expect(Number.isInteger((body.amount as { total: unknown }).total)).toBe(true)
}

describe('wechat pay v3 requests on the wire', () => {
  it('the JSAPI prepay: POST /v3/pay/transactions/jsapi with payer.openid (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_1.shtml)', async () => {
    const r = await client().createJsapi({ ...order, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })
    expect(r).toEqual({ prepayId: 'wx26112221580621e9b071c00d9e093b0000' })
    const [req] = wx.requests
    expectSignedRequest(req, 'POST', '/v3/pay/transactions/jsapi')
    const body = JSON.parse(req.body) as Record<string, unknown>
    expectOrderFields(body)
    expect(body.payer).toEqual({ openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })
    expect(Object.keys(body).sort()).toEqual(['amount', 'appid', 'description', 'mchid', 'notify_url', 'out_trade_no', 'payer', 'time_expire'])
  })

  it('h5 prepay: no payer; scene_info.payer_client_ip and h5_info.type required (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_3_1.shtml)', async () => {
    const r = await client().createH5({ ...order, payerClientIp: '14.23.150.211' })
    expect(r.h5Url).toMatch(/^https:\/\/wx\.tenpay\.com\//)
    const [req] = wx.requests
    expectSignedRequest(req, 'POST', '/v3/pay/transactions/h5')
    const body = JSON.parse(req.body) as Record<string, unknown>
    expectOrderFields(body)
    expect(body.scene_info).toEqual({ payer_client_ip: '14.23.150.211', h5_info: { type: 'Wap' } }) // type: iOS | Android | Wap
    expect(body).not.toHaveProperty('payer')
  })

  it('native prepay: neither payer nor scene_info (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_4_1.shtml)', async () => {
    expect(await client().createNative(order)).toEqual({ codeUrl: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' })
    const [req] = wx.requests
    expectSignedRequest(req, 'POST', '/v3/pay/transactions/native')
    const body = JSON.parse(req.body) as Record<string, unknown>
    expectOrderFields(body)
    expect(Object.keys(body).sort()).toEqual(['amount', 'appid', 'description', 'mchid', 'notify_url', 'out_trade_no', 'time_expire'])
  })

  it('query by out_trade_no: GET …/out-trade-no/{out_trade_no}?mchid=, empty body signed (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_2.shtml)', async () => {
    expect(await client().query('O20261203000001A')).toMatchObject({ trade_state: 'NOTPAY', out_trade_no: 'O20261203000001A' })
    const [req] = wx.requests
    expectSignedRequest(req, 'GET', '/v3/pay/transactions/out-trade-no/O20261203000001A?mchid=1230000109')
    expect(req.body).toBe('')
  })

  it('close: POST …/out-trade-no/{out_trade_no}/close with {"mchid"} only; the signed 204 is success (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_3.shtml)', async () => {
    await expect(client().close('O20261203000001A')).resolves.toBeUndefined()
    const [req] = wx.requests
    expectSignedRequest(req, 'POST', '/v3/pay/transactions/out-trade-no/O20261203000001A/close')
    expect(req.body).toBe('{"mchid":"1230000109"}')
  })

  it('description: cut at 127 UTF-8 bytes without splitting a character', async () => {
    const long = `${'会员'.repeat(60)}😀尾`
    await client().createNative({ ...order, description: long })
    const sent = (JSON.parse(wx.requests[0].body) as { description: string }).description
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES)
    expect(sent).toBe('会员'.repeat(21)) // 42 characters × 3 bytes = 126; the 43rd would make 129
    await client().createNative({ ...order, description: `${'a'.repeat(124)}😀` })
    expect((JSON.parse(wx.requests[1].body) as { description: string }).description).toBe('a'.repeat(124)) // the 4-byte emoji does not fit in 3
  })

  it('refund: POST /v3/refund/domestic/refunds with out_trade_no, out_refund_no, reason, notify_url and amount {refund, total, currency} in fen (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_9.shtml)', async () => {
    const answer = await client().refund({ outTradeNo: 'O20261203000001A', outRefundNo: 'R261203103456ABCDEFGHJKLM', refundFen: 300, totalFen: 1234, reason: '少一杯', notifyUrl: 'https://pay.example.com/api/notify/wechatpay' })
    expect(answer).toMatchObject({ out_refund_no: 'R261203103456ABCDEFGHJKLM', status: 'SUCCESS', amount: { refund: 300 } })
    const [req] = wx.requests
    expectSignedRequest(req, 'POST', '/v3/refund/domestic/refunds')
    const body = JSON.parse(req.body) as Record<string, unknown>
    // transaction_id and out_trade_no: one of the two; out_refund_no string(64) of 0-9 a-z A-Z _ - | * @; notify_url without a query.
    expect(Object.keys(body).sort()).toEqual(['amount', 'notify_url', 'out_refund_no', 'out_trade_no', 'reason'])
    expect(body).toMatchObject({ out_trade_no: 'O20261203000001A', out_refund_no: 'R261203103456ABCDEFGHJKLM', reason: '少一杯', notify_url: 'https://pay.example.com/api/notify/wechatpay' })
    expect(String(body.out_refund_no)).toMatch(/^[\w\-|*@]{1,64}$/)
    expect(body.amount).toEqual({ refund: 300, total: 1234, currency: 'CNY' }) // integers in fen; currency CNY
  })

  it('refund reason: cut at 80 UTF-8 bytes ("不可超过80个字节"), not 80 characters', async () => {
    await client().refund({ outTradeNo: 'O1', outRefundNo: 'R1', refundFen: 1, totalFen: 2, reason: '退'.repeat(80), notifyUrl: 'https://pay.example.com/api/notify/wechatpay' })
    const sent = (JSON.parse(wx.requests[0].body) as { reason: string }).reason
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(REFUND_REASON_MAX_BYTES)
    expect(sent).toBe('退'.repeat(26)) // 26 × 3 bytes = 78; the 27th would make 81
  })

  it('refund query: GET /v3/refund/domestic/refunds/{out_refund_no}, no query string, the empty body signed (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_10.shtml)', async () => {
    expect(await client().queryRefund('R261203103456ABCDEFGHJKLM')).toMatchObject({ out_refund_no: 'R261203103456ABCDEFGHJKLM', status: 'SUCCESS' })
    const [req] = wx.requests
    expectSignedRequest(req, 'GET', '/v3/refund/domestic/refunds/R261203103456ABCDEFGHJKLM')
    expect(req.body).toBe('')
  })

  it('time_expire is RFC 3339 in +08:00 for any instant', () => {
    expect(toWechatTime(new Date('2018-06-08T02:34:56Z'))).toBe('2018-06-08T10:34:56+08:00')
    expect(toWechatTime(new Date('2026-12-31T16:00:00.999Z'))).toBe('2027-01-01T00:00:00+08:00')
  })
})

describe('the refund notification (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_11.shtml)', () => {
  /** The decrypted resource of the doc's example: no appid (a refund resource carries none), refund_status, amounts in fen. */
  const resource = { mchid: creds.mchId, transaction_id: '1008450740201411110005820873', out_trade_no: '20150806125346', refund_id: '50200207182018070300011301001', out_refund_no: '7752501201407033233368018', refund_status: 'SUCCESS', success_time: '2018-06-08T10:34:56+08:00', user_received_account: '招商银行信用卡0403', amount: { total: 999, refund: 999, payer_total: 999, payer_refund: 999 } }

  /** Encrypts and signs it as WeChat Pay does, with node:crypto alone (AEAD_AES_256_GCM, associated_data "refund"). */
  function notification(plain: object, eventType: string) {
    const nonce = 'fdasflkja484'
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(creds.apiV3Key), Buffer.from(nonce))
    cipher.setAAD(Buffer.from('refund'))
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain)), cipher.final(), cipher.getAuthTag()]).toString('base64')
    const rawBody = JSON.stringify({ id: 'EV-2018022511223320873', create_time: '2018-06-08T10:34:56+08:00', resource_type: 'encrypt-resource', event_type: eventType, summary: '退款成功', resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'refund', nonce } })
    const timestamp = String(Math.floor(Date.now() / 1000))
    const headerNonce = '593BEC0C930BF1AFEB40B4A08C8FB242'
    const signature = sign('sha256', Buffer.from(`${timestamp}\n${headerNonce}\n${rawBody}\n`), createPrivateKey(javaWechatPayKey)).toString('base64')
    const headers: Record<string, string> = { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': headerNonce, 'wechatpay-serial': PUB_KEY_ID, 'wechatpay-signature': signature, 'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048' }
    return { header: (name: string) => headers[name.toLowerCase()], rawBody }
  }
  const adapter = () => createWechatAdapter(creds, { wechatOAuth: 'https://open.weixin.qq.com', wechatApi: 'https://api.weixin.qq.com', wechatPay: wx.origin, alipayGateway: '', alipayOAuth: '' }, 5000)

  it('a REFUND.SUCCESS verifies, decrypts and gives the refund with its amount — without an appid in the resource', () => {
    const verdict = adapter().verifyNotification(notification(resource, 'REFUND.SUCCESS'))
    expect(verdict).toMatchObject({ ok: true, eventType: 'REFUND.SUCCESS', facts: { kind: 'refund', refund: { outTradeNo: '20150806125346', outRefundNo: '7752501201407033233368018', state: 'succeeded', amountFen: 999, providerRefundId: '50200207182018070300011301001' } } })
  })

  it('a REFUND.ABNORMAL or REFUND.CLOSED end the refund failed; another merchant\'s refund is refused', () => {
    expect(adapter().verifyNotification(notification({ ...resource, refund_status: 'ABNORMAL' }, 'REFUND.ABNORMAL'))).toMatchObject({ ok: true, facts: { refund: { state: 'failed' } } })
    expect(adapter().verifyNotification(notification({ ...resource, refund_status: 'CLOSED' }, 'REFUND.CLOSED'))).toMatchObject({ ok: true, facts: { refund: { state: 'failed' } } })
    expect(adapter().verifyNotification(notification({ ...resource, mchid: '1900000100' }, 'REFUND.SUCCESS'))).toMatchObject({ ok: false, status: 400 })
  })
})

describe('the JSAPI paySign (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_1_4.shtml, signature doc 4012365339)', () => {
  it('reproduces the official test vector: appId\\ntimeStamp\\nnonceStr\\npackage\\n, signType RSA', () => {
    const params = createWechatPayClient({ ...creds, privateKeyPem: docKey }, wx.origin)
      .jsapiParams('wx2421b1c4370ec43b', 'wx201410272009395522657a690389285100', { timeStamp: '1554208460', nonceStr: '593BEC0C930BF1AFEB40B4A08C8FB242' })
    expect(params).toEqual({
      appId: 'wx2421b1c4370ec43b',
      timeStamp: '1554208460',
      nonceStr: '593BEC0C930BF1AFEB40B4A08C8FB242',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
      paySign: 'mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw==',
    })
  })

  it('agrees with wechatpay-node-v3 for fresh values (timeStamp a string of seconds, nonce 32 upper hex)', () => {
    const params = client().jsapiParams('wx2421b1c4370ec43b', 'wx0123')
    expect(params.timeStamp).toMatch(/^\d{10}$/)
    expect(params.nonceStr).toMatch(/^[0-9A-F]{32}$/)
    // `sign` is protected in its typings; it is the SHA256withRSA the library's own transactions_jsapi uses for paySign.
    expect((nodeV3 as unknown as { sign: (s: string) => string }).sign(`${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`)).toBe(params.paySign)
  })
})

describe('response verification by the live client (https://pay.weixin.qq.com/docs/merchant/development/interface-rules/build-verify-sign-src.html)', () => {
  const official = {
    body: '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}',
    headers: {
      'Wechatpay-Timestamp': '1722850421',
      'Wechatpay-Nonce': 'd824f2e086d3c1df967785d13fcd22ef',
      'Wechatpay-Serial': 'PUB_KEY_ID_0000000000000024101100397200000006',
      'Wechatpay-Signature': 'mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==',
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
      'Content-Type': 'application/json',
    },
  }
  const docPlatform = { platformPublicKeyPem: read('vectors/wx_doc_platform_pub.pem'), platformPublicKeyId: 'PUB_KEY_ID_0000000000000024101100397200000006', platformCertificates: undefined }
  let answer: { body: string, headers: Record<string, string> } = official
  let official8: CaptureServer

  beforeAll(async () => {
    official8 = await startCaptureServer(() => ({ status: 200, headers: answer.headers, body: answer.body }))
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  afterAll(async () => {
    await official8.close()
  })

  it('accepts the official signed answer at its time, with the WeChat Pay public key of its PUB_KEY_ID', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1722850421_000 })
    answer = official
    expect(await createWechatPayClient({ ...creds, ...docPlatform }, official8.origin).createNative(order)).toEqual({ codeUrl: 'weixin://wxpay/bizpayurl?pr=JyC91EIz1' })
  })

  it.each([
    ['a changed body byte', { ...official, body: official.body.replace('JyC91EIz1', 'JyC91EIz2') }, 0],
    ['the answer six minutes later', official, 360],
    ['a serial the merchant does not hold', { ...official, headers: { ...official.headers, 'Wechatpay-Serial': 'PUB_KEY_ID_0000000000000024101100397200000007' } }, 0],
    ['a WECHATPAY/SIGNTEST/ probe', { ...official, headers: { ...official.headers, 'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${official.headers['Wechatpay-Signature']}` } }, 0],
  ])('refuses %s as bad_signature (retryable, never a code_url)', async (_what, variant, laterSeconds) => {
    vi.useFakeTimers({ toFake: ['Date'], now: (1722850421 + laterSeconds) * 1000 })
    answer = variant
    await expect(createWechatPayClient({ ...creds, ...docPlatform }, official8.origin).createNative(order)).rejects.toMatchObject({ kind: 'bad_signature' })
  })
})

describe('wechat OAuth and mini program login on the wire', () => {
  let api: CaptureServer
  beforeAll(async () => {
    api = await startCaptureServer(req => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: req.url.startsWith('/sns/jscode2session') ? '{"openid":"oMP_openid","session_key":"tiihtNczf5v6AKRyjwEUhQ=="}' : '{"access_token":"AT","expires_in":7200,"refresh_token":"RT","openid":"oOA_openid","scope":"snsapi_base"}' }))
  })
  afterAll(async () => {
    await api.close()
  })

  it('authorize URL: this exact parameter order, redirect_uri encoded once, #wechat_redirect (https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html)', () => {
    const oauth = createWechatOAuthClient({ appId: creds.appId!, appSecret: creds.appSecret!, oauthBase: 'https://open.weixin.qq.com', apiBase: api.origin })
    expect(oauth.authorizeUrl('https://pay.example.com/#/pages/checkout/checkout?order=O1', 'a1b2c3'))
      .toBe('https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxd678efh567hg6787&redirect_uri=https%3A%2F%2Fpay.example.com%2F%23%2Fpages%2Fcheckout%2Fcheckout%3Forder%3DO1&response_type=code&scope=snsapi_base&state=a1b2c3#wechat_redirect')
  })

  it('code exchange: GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code (same page)', async () => {
    const oauth = createWechatOAuthClient({ appId: creds.appId!, appSecret: creds.appSecret!, oauthBase: 'https://open.weixin.qq.com', apiBase: api.origin })
    expect(await oauth.exchangeCode('061abcCODE')).toEqual({ openid: 'oOA_openid', isSnapshotUser: false })
    const req = api.requests.at(-1)!
    expect(req.method).toBe('GET')
    const u = new URL(req.url, api.origin)
    expect(u.pathname).toBe('/sns/oauth2/access_token')
    expect(Object.fromEntries(u.searchParams)).toEqual({ appid: creds.appId, secret: creds.appSecret, code: '061abcCODE', grant_type: 'authorization_code' })
  })

  it('jscode2session: GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code; session_key is dropped (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html)', async () => {
    const login = createMiniProgramLogin({ appId: creds.miniProgramAppId!, secret: creds.miniProgramSecret!, apiBase: api.origin })
    expect(await login.exchange('0a1JSCODE')).toEqual({ openid: 'oMP_openid' })
    const u = new URL(api.requests.at(-1)!.url, api.origin)
    expect(u.pathname).toBe('/sns/jscode2session')
    expect(Object.fromEntries(u.searchParams)).toEqual({ appid: creds.miniProgramAppId, secret: creds.miniProgramSecret, js_code: '0a1JSCODE', grant_type: 'authorization_code' })
  })
})
