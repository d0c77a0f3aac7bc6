/**
 * Every request the live Alipay client makes, recorded on the wire by a capturing gateway and checked field by field
 * against the OpenAPI reference: the common parameters and RSA2 request signature (https://opendocs.alipay.com/common/02kf5q,
 * sign_type included, empty values dropped), and each method's biz_content against the official SDK's field models
 * (alipay/alipay-sdk-java-all v2/src/main/java/com/alipay/api/domain/AlipayTrade*Model.java). The app key is
 * alipay-sdk's own test fixture key.
 */
import type { AlipayCredentials } from '../../server/config'
import type { CapturedRequest, CaptureServer } from '../helpers/capture-server'
import { Buffer } from 'node:buffer'
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildSignedResponse } from '../../sandbox/alipay/sign'
import { createAlipayClient } from '../../server/providers/alipay/client'
import { startCaptureServer } from '../helpers/capture-server'

const VECTORS = path.join(import.meta.dirname, '../fixtures/vectors')
const appPriv = readFileSync(path.join(VECTORS, 'alipay_fixture_app_priv.pem'), 'utf8')
const appPub = readFileSync(path.join(VECTORS, 'alipay_fixture_app_pub.pem'), 'utf8')
/** Alipay's side of the conversation: a fresh key pair standing in for the Alipay key. */
const alipayKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })

const creds: AlipayCredentials = { appId: '2021000122671080', privateKeyPem: appPriv, alipayPublicKeyPem: alipayKeys.publicKey, sellerId: '2088102147948060' }

const INNER: Record<string, string> = {
  'alipay.trade.precreate': '{"code":"10000","msg":"Success","out_trade_no":"O20261203000001A","qr_code":"https:\\/\\/qr.alipay.com\\/bax08431wcrcowe2cusw0049"}',
  'alipay.trade.create': '{"code":"10000","msg":"Success","out_trade_no":"O20261203000001A","trade_no":"2013112011001004330000121536"}',
  'alipay.trade.query': '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"O20261203000001A","buyer_logon_id":"159****5620","trade_status":"WAIT_BUYER_PAY","total_amount":"12.34","seller_id":"2088102147948060"}',
  'alipay.trade.close': '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"O20261203000001A"}',
  'alipay.trade.refund': '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"O20261203000001A","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"3.00"}',
  'alipay.trade.fastpay.refund.query': '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"O20261203000001A","out_request_no":"R261203103456ABCDEFGHJKLM","total_amount":"12.34","refund_amount":"3.00","refund_status":"REFUND_SUCCESS","gmt_refund_pay":"2026-12-03 18:40:00"}',
  'alipay.system.oauth.token': '{"user_id":"2088102104794936","open_id":"074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5","access_token":"authusrB5a6e8cae1d1a4a7dbf2e5a4f7c2d2","expires_in":3600,"refresh_token":"authusrB83f1d","re_expires_in":2592000,"auth_start":"2026-12-03 12:00:00"}',
}

/** The parameters of a gateway request: the query string (common parameters) plus the form body (biz_content …). */
function paramsOf(req: CapturedRequest): Record<string, string> {
  const u = new URL(req.url, 'http://gateway')
  return { ...Object.fromEntries(u.searchParams), ...Object.fromEntries(new URLSearchParams(req.body)) }
}

/** The string-to-sign of a request as the reference defines it: every parameter but sign, empty ones dropped, sorted, raw. */
function officialSignString(params: Record<string, string>): string {
  return Object.keys(params).filter(k => k !== 'sign' && params[k] !== '').sort().map(k => `${k}=${params[k]}`).join('&')
}

function expectCommonParams(params: Record<string, string>, method: string): void {
  expect(params.app_id).toBe(creds.appId)
  expect(params.method).toBe(method)
  expect(params.charset).toBe('utf-8')
  expect(params.sign_type).toBe('RSA2')
  expect(params.version).toBe('1.0')
  if (params.format !== undefined)
    expect(params.format).toBe('JSON') // optional, "仅支持JSON"
  // timestamp: yyyy-MM-dd HH:mm:ss in Beijing time, within a minute of now
  expect(params.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
  const sent = Date.parse(`${params.timestamp.replace(' ', 'T')}+08:00`)
  expect(Math.abs(sent - Date.now())).toBeLessThan(60_000)
  expect(verify('sha256', Buffer.from(officialSignString(params)), createPublicKey(appPub), Buffer.from(params.sign, 'base64'))).toBe(true)
}

let gw: CaptureServer
beforeAll(async () => {
  gw = await startCaptureServer((req) => {
    const method = paramsOf(req).method
    return { status: 200, headers: { 'Content-Type': 'text/html;charset=utf-8' }, body: buildSignedResponse(method, INNER[method], alipayKeys.privateKey) }
  })
})
afterEach(() => {
  gw.requests.length = 0
})
afterAll(async () => {
  await gw.close()
})

const client = (over: Partial<AlipayCredentials> = {}) => createAlipayClient({ ...creds, ...over }, { gateway: `${gw.origin}/gateway.do`, oauthBase: 'https://openauth.alipay.com' })
const order = { outTradeNo: 'O20261203000001A', amountFen: 1234, subject: '示例商户-会员月卡', notifyUrl: 'https://pay.example.com/api/notify/alipay', timeExpire: new Date('2026-12-03T10:34:56Z') }

function bizOf(params: Record<string, string>): Record<string, unknown> {
  return JSON.parse(params.biz_content) as Record<string, unknown>
}

/** The order fields: out_trade_no ≤ 64; total_amount a yuan string with two decimals in [0.01, 100000000]; subject ≤ 256 without / = &; time_expire yyyy-MM-dd HH:mm:ss. */
function expectOrderBiz(biz: Record<string, unknown>): void {
  expect(biz.out_trade_no).toBe('O20261203000001A')
  expect(biz.total_amount).toBe('12.34')
  expect(biz.subject).toBe('示例商户-会员月卡')
  expect(biz.time_expire).toBe('2026-12-03 18:34:56')
}

describe('alipay requests on the wire', () => {
  it('alipay.trade.precreate: POST to the gateway, notify_url a common parameter (https://opendocs.alipay.com/apis/api_1/alipay.trade.precreate)', async () => {
    expect(await client().precreate(order)).toEqual({ qrCode: 'https://qr.alipay.com/bax08431wcrcowe2cusw0049' })
    const [req] = gw.requests
    expect(req.method).toBe('POST')
    expect(new URL(req.url, 'http://gateway').pathname).toBe('/gateway.do')
    const params = paramsOf(req)
    expectCommonParams(params, 'alipay.trade.precreate')
    expect(params.notify_url).toBe('https://pay.example.com/api/notify/alipay')
    expectOrderBiz(bizOf(params))
  })

  it('alipay.trade.create: buyer_id or buyer_open_id, product_code FACE_TO_FACE_PAYMENT by default (AlipayTradeCreateModel; https://opendocs.alipay.com/apis/api_1/alipay.trade.create)', async () => {
    expect(await client().create({ ...order, buyer: { userId: '2088102104794936' } })).toEqual({ tradeNo: '2013112011001004330000121536' })
    let params = paramsOf(gw.requests[0])
    expectCommonParams(params, 'alipay.trade.create')
    let biz = bizOf(params)
    expectOrderBiz(biz)
    expect(biz).toMatchObject({ buyer_id: '2088102104794936', product_code: 'FACE_TO_FACE_PAYMENT' })
    expect(biz).not.toHaveProperty('op_app_id')

    await client().create({ ...order, buyer: { openId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' } })
    biz = bizOf(paramsOf(gw.requests[1]))
    expect(biz).toMatchObject({ buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' })
    expect(biz).not.toHaveProperty('buyer_id')

    // The mini program product names the mini program: "小程序支付中，商户实际经营主体的小程序应用的appid".
    await client({ createProductCode: 'JSAPI_PAY', opAppId: '2021004100000001' }).create({ ...order, buyer: { userId: '2088102104794936' } })
    params = paramsOf(gw.requests[2])
    expect(bizOf(params)).toMatchObject({ product_code: 'JSAPI_PAY', op_app_id: '2021004100000001' })
  })

  it('alipay.trade.wap.pay: a signed GET URL of the gateway with return_url, notify_url, QUICK_WAP_WAY and quit_url (AlipayTradeWapPayModel; https://opendocs.alipay.com/apis/api_1/alipay.trade.wap.pay)', () => {
    const url = new URL(client().wapPayUrl({ ...order, returnUrl: 'https://pay.example.com/#/pages/result/result?order=O1', quitUrl: 'https://pay.example.com/#/pages/checkout/checkout?order=O1' }))
    expect(`${url.origin}${url.pathname}`).toBe(`${gw.origin}/gateway.do`)
    const params = Object.fromEntries(url.searchParams)
    expectCommonParams(params, 'alipay.trade.wap.pay')
    expect(params.return_url).toBe('https://pay.example.com/#/pages/result/result?order=O1')
    expect(params.notify_url).toBe('https://pay.example.com/api/notify/alipay')
    const biz = bizOf(params)
    expectOrderBiz(biz)
    expect(biz).toMatchObject({ product_code: 'QUICK_WAP_WAY', quit_url: 'https://pay.example.com/#/pages/checkout/checkout?order=O1' })
    expect(gw.requests).toHaveLength(0) // the browser makes this request, not the server
  })

  it('alipay.trade.query and alipay.trade.close: biz_content {out_trade_no} only (https://opendocs.alipay.com/apis/api_1/alipay.trade.query, …/alipay.trade.close)', async () => {
    expect(await client().query('O20261203000001A')).toEqual({ outTradeNo: 'O20261203000001A', tradeNo: '2013112011001004330000121536', tradeStatus: 'WAIT_BUYER_PAY', totalAmount: '12.34', sellerId: '2088102147948060', appId: undefined })
    await client().close('O20261203000001A')
    const [q, c] = gw.requests.map(paramsOf)
    expectCommonParams(q, 'alipay.trade.query')
    expectCommonParams(c, 'alipay.trade.close')
    expect(bizOf(q)).toEqual({ out_trade_no: 'O20261203000001A' })
    expect(bizOf(c)).toEqual({ out_trade_no: 'O20261203000001A' })
  })

  it('alipay.trade.refund: out_trade_no, out_request_no (one per partial refund), refund_amount in yuan, refund_reason (AlipayTradeRefundModel; https://opendocs.alipay.com/apis/api_1/alipay.trade.refund)', async () => {
    expect(await client().refund({ outTradeNo: 'O20261203000001A', outRequestNo: 'R261203103456ABCDEFGHJKLM', refundFen: 300, reason: '少一杯' })).toEqual({ fundChange: true, refundFee: '3.00', tradeNo: '2013112011001004330000121536' })
    const params = paramsOf(gw.requests[0])
    expectCommonParams(params, 'alipay.trade.refund')
    expect(bizOf(params)).toEqual({ out_trade_no: 'O20261203000001A', out_request_no: 'R261203103456ABCDEFGHJKLM', refund_amount: '3.00', refund_reason: '少一杯' })
    expect(params).not.toHaveProperty('notify_url') // a refund is answered synchronously
  })

  it('alipay.trade.fastpay.refund.query: out_trade_no, out_request_no, query_options [gmt_refund_pay]; REFUND_SUCCESS is success (AlipayTradeFastpayRefundQueryModel; https://opendocs.alipay.com/apis/api_1/alipay.trade.fastpay.refund.query)', async () => {
    expect(await client().queryRefund('O20261203000001A', 'R261203103456ABCDEFGHJKLM')).toEqual({ outTradeNo: 'O20261203000001A', outRequestNo: 'R261203103456ABCDEFGHJKLM', refundStatus: 'REFUND_SUCCESS', refundAmount: '3.00', gmtRefundPay: '2026-12-03 18:40:00' })
    const params = paramsOf(gw.requests[0])
    expectCommonParams(params, 'alipay.trade.fastpay.refund.query')
    expect(bizOf(params)).toEqual({ out_trade_no: 'O20261203000001A', out_request_no: 'R261203103456ABCDEFGHJKLM', query_options: ['gmt_refund_pay'] })
  })

  it('alipay.system.oauth.token: grant_type=authorization_code and code as common parameters, no biz_content (https://opendocs.alipay.com/apis/api_9/alipay.system.oauth.token)', async () => {
    expect(await client().exchangeAuthCode('4b203fe6c11548bcabd8da5bb087a83b')).toEqual({ userId: '2088102104794936', openId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' })
    const params = paramsOf(gw.requests[0])
    expectCommonParams(params, 'alipay.system.oauth.token')
    expect(params).toMatchObject({ grant_type: 'authorization_code', code: '4b203fe6c11548bcabd8da5bb087a83b' })
    expect(params).not.toHaveProperty('biz_content')
  })

  it('authorize URL: publicAppAuthorize.htm with app_id, scope=auth_base, redirect_uri encoded once, state (https://opendocs.alipay.com/open/284/web)', () => {
    expect(client().authorizeUrl('https://pay.example.com/#/pages/checkout/checkout?order=O1', 's1'))
      .toBe('https://openauth.alipay.com/oauth2/publicAppAuthorize.htm?app_id=2021000122671080&scope=auth_base&redirect_uri=https%3A%2F%2Fpay.example.com%2F%23%2Fpages%2Fcheckout%2Fcheckout%3Forder%3DO1&state=s1')
  })
})
