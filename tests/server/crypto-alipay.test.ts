import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AlipaySdk } from 'alipay-sdk'
import { describe, expect, it } from 'vitest'
import { buildSignedResponse, requestSignString, responseKey, signNotify, signRequest, verifyRequest } from '../../sandbox/alipay/sign'
import { rsaSign, rsaVerify } from '../../sandbox/core/rsa'
import { extractSignedResponse, notifySignString, verifyNotify, verifyResponse } from '../../server/providers/alipay/sign'

const VECTORS = join(import.meta.dirname, '../fixtures/vectors')
const read = (name: string): string => readFileSync(join(VECTORS, name), 'utf8')
const appPriv = read('alipay_fixture_app_priv.pem')
const appPub = read('alipay_fixture_app_pub.pem')
const fixtureAlipayPub = read('alipay_fixture_pub.pem')
const realNotify = JSON.parse(read('alipay_real_notify.json')) as { fields: Record<string, string> }
const realNotifyPub = read('alipay_real_notify_pub.pem')
const selfVectors = JSON.parse(read('self_vectors.json')) as {
  alipay_request: { params: Record<string, string>, string_to_sign: string, sign: string }
  alipay_notify: { post_fields: Record<string, string>, string_to_verify: string }
}

const RESPONSE_RAW = '{"alipay_open_file_upload_response":{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"},"sign":"F+LDzpTNiavn7xVZPGuPCSSVRSmWzJGgtuji6tVELGEaqMaNj0jRKXUEr5nloZJBBmwEnddOyCjjepMmrTKTvoOqQ0Efxpr/R1iEeHTHVbb/Q8TTh6Up5gHJDkILdaWS2q1cWeQ6VT+HQY9P3WRXS7uhILHuDODIhpAyCu5KhWGt0rMCIG+Im6NODJP2oohtSCtmTFXg58HH587Z2y2bdbjzOxLvzD9IrU1imghXQ2S/Q+wMIvRk9on6cWnBLkrNvJKapA2ReNGWOwyuASvB9zDVzhMPbR+3mfRGkVDxsq5HYLjBKGskJMXHw0HuugZij6ScRuaLPODhmHwr/pJ9yw=="}'
const RESPONSE_INNER = '{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"}'

function freshPair(): { priv: string, pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { priv: privateKey, pub: publicKey }
}

describe('alipay notification signatures', () => {
  it('§8.9 the real captured notify verifies only with sign AND sign_type excluded', () => {
    const f = realNotify.fields
    expect(notifySignString(f)).not.toContain('sign_type=')
    expect(verifyNotify(f, realNotifyPub)).toBe(true)
    // request rule (sign_type kept) must not verify this notify
    expect(rsaVerify(requestSignString(f), f.sign, realNotifyPub)).toBe(false)
  })

  it('§8.9 any changed field fails', () => {
    const f = realNotify.fields
    for (const [k, v] of Object.entries(f)) {
      if (k === 'sign' || k === 'sign_type')
        continue
      expect(verifyNotify({ ...f, [k]: `${v}0` }, realNotifyPub), k).toBe(false)
    }
    expect(verifyNotify({ ...f, extra: 'x' }, realNotifyPub)).toBe(false)
    expect(verifyNotify({ ...f, sign: '' }, realNotifyPub)).toBe(false)
    expect(verifyNotify(f, fixtureAlipayPub)).toBe(false)
  })

  it('§8.9 self notify vector: exact string, signature and verification', () => {
    const { post_fields: fields, string_to_verify: expected } = selfVectors.alipay_notify
    expect(notifySignString(fields)).toBe(expected)
    expect(signNotify(fields, appPriv)).toBe(fields.sign)
    expect(verifyNotify(fields, appPub)).toBe(true)
  })
})

describe('alipay request signatures', () => {
  it('§8.9 self request vector reproduces exactly (sign_type included)', () => {
    const { params, string_to_sign: expected, sign } = selfVectors.alipay_request
    expect(requestSignString(params)).toBe(expected)
    expect(signRequest(params, appPriv)).toBe(sign)
    expect(verifyRequest({ ...params, sign }, appPub)).toBe(true)
    expect(verifyRequest({ ...params, sign, timestamp: '2024-01-01 12:00:01' }, appPub)).toBe(false)
    expect(verifyRequest({ ...params, sign, sign_type: 'RSA' }, appPub)).toBe(false)
  })

  it('drops empty values and excludes only sign', () => {
    expect(requestSignString({ b: '2', a: '1', sign: 'x', sign_type: 'RSA2', empty: '', none: undefined, nil: null })).toBe('a=1&b=2&sign_type=RSA2')
    expect(notifySignString({ b: '2', a: '1', sign: 'x', sign_type: 'RSA2', empty: '' })).toBe('a=1&b=2')
  })
})

describe('alipay response signatures', () => {
  it('§8.9 real response: the signed content is the inner JSON text as emitted', () => {
    const key = responseKey('alipay.open.file.upload')
    expect(key).toBe('alipay_open_file_upload_response')
    const extracted = extractSignedResponse(RESPONSE_RAW, key)
    expect(extracted?.content).toBe(RESPONSE_INNER)
    expect(verifyResponse(extracted!.content, extracted!.sign, fixtureAlipayPub)).toBe(true)
    expect(verifyResponse(RESPONSE_INNER.replace('10000', '10001'), extracted!.sign, fixtureAlipayPub)).toBe(false)
  })

  it('buildSignedResponse emits {"<key>":<inner>,"sign":"…"} byte for byte', () => {
    const inner = '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/bax1"}'
    const raw = buildSignedResponse('alipay.trade.precreate', inner, appPriv)
    const sign = rsaSign(inner, appPriv)
    expect(raw).toBe(`{"alipay_trade_precreate_response":${inner},"sign":"${sign}"}`)
    expect(extractSignedResponse(raw, 'alipay_trade_precreate_response')).toEqual({ content: inner, sign })
    expect(verifyResponse(inner, sign, appPub)).toBe(true)
    expect(buildSignedResponse('alipay.trade.query', '{"code":"40004"}', appPriv, 'error_response')).toMatch(/^\{"error_response":\{"code":"40004"\},"sign":"/)
  })
})

describe('cross-check with alipay-sdk', () => {
  it('sdkExecute signs the self request vector identically', () => {
    const { params, sign } = selfVectors.alipay_request
    const sdk = new AlipaySdk({ appId: params.app_id, privateKey: appPriv.trim(), alipayPublicKey: fixtureAlipayPub.trim() })
    const query = sdk.sdkExecute('alipay.trade.wap.pay', {
      bizContent: JSON.parse(params.biz_content) as Record<string, unknown>,
      timestamp: params.timestamp,
      format: 'JSON',
      notifyUrl: params.notify_url,
      returnUrl: params.return_url,
    })
    const parsed = Object.fromEntries(new URLSearchParams(query))
    expect(parsed.sign).toBe(sign)
    expect(signRequest(parsed, appPriv)).toBe(sign)
    expect(verifyRequest(parsed, appPub)).toBe(true)
  })

  it('with fresh PKCS#8 keys: the sdk request sign matches ours; checkNotifySignV2 accepts our notify; checkResponseSign accepts our response', () => {
    const app = freshPair()
    const alipay = freshPair()
    const sdk = new AlipaySdk({ appId: '2021000000000001', privateKey: app.priv.trim(), keyType: 'PKCS8', alipayPublicKey: alipay.pub.trim() })
    const query = sdk.sdkExecute('alipay.trade.app.pay', {
      bizContent: { outTradeNo: 'T1', totalAmount: '9.99', subject: '商品 & 服务' },
      timestamp: '2026-01-02 03:04:05',
      notifyUrl: 'https://m.example.com/notify',
    })
    const parsed = Object.fromEntries(new URLSearchParams(query))
    expect(signRequest(parsed, app.priv)).toBe(parsed.sign)
    expect(verifyRequest(parsed, app.pub)).toBe(true)

    const notify: Record<string, string> = {
      notify_time: '2026-01-02 03:05:00',
      notify_type: 'trade_status_sync',
      notify_id: '2026010200222000000000000001',
      app_id: '2021000000000001',
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: '2026010222001400000000000001',
      out_trade_no: 'T1',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '9.99',
      subject: '商品 & 服务',
      fund_bill_list: '[{"amount":"9.99","fundChannel":"ALIPAYACCOUNT"}]',
    }
    notify.sign = signNotify(notify, alipay.priv)
    expect(sdk.checkNotifySignV2(notify)).toBe(true)
    expect(sdk.checkNotifySignV2({ ...notify, total_amount: '0.01' })).toBe(false)

    const inner = '{"code":"10000","msg":"Success","out_trade_no":"T1","qr_code":"https:\\/\\/qr.alipay.com\\/bax0"}'
    const raw = buildSignedResponse('alipay.trade.precreate', inner, alipay.priv)
    const { sign } = JSON.parse(raw) as { sign: string }
    expect(() => sdk.checkResponseSign(raw, 'alipay_trade_precreate_response', sign, 'trace')).not.toThrow()
    expect(() => sdk.checkResponseSign(raw.replace('T1', 'T2'), 'alipay_trade_precreate_response', sign, 'trace')).toThrow()
  })
})
