import { Buffer } from 'node:buffer'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import pkg from 'wechatpay-axios-plugin'
import {
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  authorizationHeader,
  buildRequestMessage,
  buildResponseMessage,
  jsapiPaySign,
  parseAuthorization,
  randomNonce,
  signRequest,
  signResponse,
  verifyJsapiPaySign,
  verifyRequestSignature,
  verifyResponseSignature,
} from '../../sandbox/wechat/crypto'

// The package's typings only describe the default export; at runtime the CommonJS module carries every helper.
const { Rsa, Formatter, Aes: { AesGcm } } = pkg as unknown as typeof import('wechatpay-axios-plugin')

const VECTORS = join(import.meta.dirname, '../fixtures/vectors')
const read = (name: string): string => readFileSync(join(VECTORS, name), 'utf8')
const docKey = read('wx_doc_test_key.pem')
const docPub = read('wx_doc_test_pub.pem')
const docPlatformPub = read('wx_doc_platform_pub.pem')
const selfVectors = JSON.parse(read('self_vectors.json')) as {
  wx_v3_notify: { headers: Record<string, string>, body: string, apiv3_key: string, plaintext: string }
}
const gcmVector = JSON.parse(read('self_gcm_vector.json')) as { key: string, nonce: string, associated_data: string, ciphertext: string, plaintext: string }

const TS = '1554208460'
const NONCE = '593BEC0C930BF1AFEB40B4A08C8FB242'

// §8.1
const JSAPI_BODY = '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}'
const JSAPI_SIG = 'gEuexJ547PHFV77TQ6eiE4tphVYfWfUe1Wc2dBmVnoMYU2rl/M4zhw+b3vBhuMw6AC7pteNkryLA7UWU2h+umo0OdSuuLm1++O3NckQPCSfm6dypsjn4GYm84KMqXWFrhFmyxEwIdEJDr3w1UYfxOcu55OQupfLkrt/ZzuOspnliJFrPzGQFUk7lGqMMtpz3EfbDUNxnVsHblORg3hVmuYNmbGWnS2ovU30Y2Q+iKFDxzkaXBk8LTy6HzvxizRo6Q+J4SVM7O0hKXfgo1QdI68kpzNULb3EVBXlhTyPUzhkHzzLxECL1qHl3HH2hEv8++C+4wBlsagF3j/O6PABojA=='
// §8.2
const GET_SIG = 'Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA=='
// §8.3
const QUERY_URL = '/v3/marketing/partnerships?limit=5&offset=10&authorized_data%3D%7B%22business_type%22%3A%22FAVOR_STOCK%22%2C%20%22stock_id%22%3A%222433405%22%7D&partner%3D%7B%22type%22%3A%22APPID%22%2C%22appid%22%3A%22wx4e1916a585d1f4e9%22%2C%22merchant_id%22%3A%222480029552%22%7D'
const QUERY_SIG = 'C9PrZx8RTw7NF+e6SLmZxKgUBdXjH6EmUiu1i85Y6MApfWn4ueNpS4ED5no6uGObU0cfzTdaWyl6gAWDmyO2nG3MjHursadpzpNT8d+HaZapKis+boTHwJLgZXHXtacjX4zx2lOk/AONrKCLkjXRnh/DDp/kNsmDNYEiu+d/SeVvr+cL0XkL0CibAphyQSLYkv7Fh9uel89ax3ZGgVnBx+/MaBLCrYc1UqyYBDqfWPhS9fZf2OSghWMFp9c5dm+ORc97XbgzSOwAl8dcfLSrL/Sb4+L57+JZiq0iURjMXWzAD8FTUFYsJtJOYszRXJKLZNh4WGST39oplhhSdtxcoQ=='
const UPLOAD_BODY = '{ "filename": "wechatpay_logo.png", "sha256": "d2973a45b1d528c21ebb77792ef3fcea40fa9a4e04a17e35369102ba9c84c8b1"}'
const UPLOAD_SIG = 'oykQTJijZbHL+0QjYjOcwvovGxlU9LMcfVheUUdvr94DIzN02MBwwAwnBMsDqGTnXe0fr7kxFbXz3cd53e7Fx2VU8S9Lt3u1dCMQV+b5Ut6wpReTMBcfSVVXl4AbmLHxvyi1KhVg+O3KGL2BT4dEbuR93voru/p/9CS7gyMSviZiupf1cuaipyTdZ/1Nn4ESeuPX8H7p2nwaxNLbS/rdLltvQGU1ecK0m4u5p4uXh1mdM1Kh8fymJHvkurOzVORoB3Y23g2RUFT0WwNBVxpp19bdAWsqIoouPjyY6tFGD9cnQIVmIbm9oRDrOWmQMHubWlmjYL5UfP39pq1T+/hNpw=='
// §8.4
const RESP_BODY = '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}'
const RESP_HEADERS = {
  'Wechatpay-Timestamp': '1722850421',
  'Wechatpay-Nonce': 'd824f2e086d3c1df967785d13fcd22ef',
  'Wechatpay-Serial': 'PUB_KEY_ID_0000000000000024101100397200000006',
  'Wechatpay-Signature': 'mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==',
  'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
}
// §8.5
const PAYSIGN_JSAPI = 'mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw=='
const PAYSIGN_APP = 'gXx9KhTP6IooKV1SuG3OCGlBIgZbKtubCZvnau6khw1iffvNT28IzLbKmztq2xA/RCNbZa1XOsoiuVmAEeTZQicWfhv4P+O4oBRIrx0X9f3cnWFkMBU9alTWs0nyQ1N9fcILOTe0f4kxOhVh+/Xhn5hOiUK7Sz3XA1mcpa3R2NCWf/e+0ow/RDf15iTymOHgDrEkT/gedg/3E0iXfDX3mFicSZhrHESZDOTXcl9RzELREBUFznd/o2NQM99WcL86m23HY0cTy+QGWU4QDmNrbQ9ihmLW71qPb0Cx/d7EQvw/Kyx0A6s64ZQp3hHdcmiRcLnjVXrKCk7LShaCK+lS3Q=='

const AT_VECTOR_TIME = new Date(1722850421 * 1000)

function freshPair(): { priv: string, pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { priv: privateKey, pub: publicKey }
}

/** Changes one character of a string (keeps the length). */
function tweak(s: string, at = 10): string {
  return `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`
}

describe('wechatpay request signatures: official vectors', () => {
  it('builds the 5-line message with a trailing newline', () => {
    expect(buildRequestMessage('GET', '/v3/refund/domestic/refunds/123123123123', TS, NONCE, ''))
      .toBe(`GET\n/v3/refund/domestic/refunds/123123123123\n${TS}\n${NONCE}\n\n`)
  })

  it('§8.1 POST jsapi order', () => {
    const signed = signRequest({ mchId: '1900007291', serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB', privateKeyPem: docKey, method: 'POST', url: '/v3/pay/transactions/jsapi', body: JSAPI_BODY, timestamp: TS, nonce: NONCE })
    expect(signed.signature).toBe(JSAPI_SIG)
    expect(signed.authorization).toBe(`WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="${NONCE}",signature="${JSAPI_SIG}",timestamp="${TS}",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"`)
  })

  it('§8.2 GET with an empty body', () => {
    expect(signRequest({ mchId: 'm', serial: 's', privateKeyPem: docKey, method: 'GET', url: '/v3/refund/domestic/refunds/123123123123', timestamp: TS, nonce: NONCE }).signature).toBe(GET_SIG)
  })

  it('§8.3 GET with an encoded query and POST with spaces in the body', () => {
    expect(signRequest({ mchId: 'm', serial: 's', privateKeyPem: docKey, method: 'GET', url: QUERY_URL, timestamp: TS, nonce: NONCE }).signature).toBe(QUERY_SIG)
    expect(signRequest({ mchId: 'm', serial: 's', privateKeyPem: docKey, method: 'POST', url: '/v3/marketing/favor/media/image-upload', body: UPLOAD_BODY, timestamp: TS, nonce: NONCE }).signature).toBe(UPLOAD_SIG)
  })

  it('parses the header and verifies it; any changed byte fails', () => {
    const header = authorizationHeader({ mchId: '1230000109', serial: 'SERIAL1', privateKeyPem: docKey, method: 'POST', url: '/v3/pay/transactions/jsapi', body: JSAPI_BODY, timestamp: TS, nonce: NONCE })
    expect(parseAuthorization(header)).toEqual({ mchid: '1230000109', nonce_str: NONCE, signature: JSAPI_SIG, timestamp: TS, serial_no: 'SERIAL1' })
    const now = Number(TS) * 1000
    const base = { authorization: header, method: 'POST', url: '/v3/pay/transactions/jsapi', body: JSAPI_BODY, publicKeyPem: docPub, now }
    expect(verifyRequestSignature(base)).toMatchObject({ ok: true, auth: { serial_no: 'SERIAL1' } })
    expect(verifyRequestSignature({ ...base, body: JSAPI_BODY.replace('"total":100', '"total":101') }).ok).toBe(false)
    expect(verifyRequestSignature({ ...base, body: JSON.stringify(JSON.parse(JSAPI_BODY), null, 1) }).ok).toBe(false)
    expect(verifyRequestSignature({ ...base, url: '/v3/pay/transactions/h5' }).ok).toBe(false)
    expect(verifyRequestSignature({ ...base, method: 'PUT' }).ok).toBe(false)
    expect(verifyRequestSignature({ ...base, authorization: header.replace(JSAPI_SIG, tweak(JSAPI_SIG)) }).ok).toBe(false)
    expect(verifyRequestSignature({ ...base, publicKeyPem: serial => (serial === 'OTHER' ? docPub : undefined) })).toMatchObject({ ok: false, reason: expect.stringContaining('serial') })
  })

  it('rejects stale timestamps and malformed headers', () => {
    const header = authorizationHeader({ mchId: 'm', serial: 's', privateKeyPem: docKey, method: 'GET', url: '/x', timestamp: TS, nonce: NONCE })
    const stale = verifyRequestSignature({ authorization: header, method: 'GET', url: '/x', body: '', publicKeyPem: docPub, now: (Number(TS) + 301) * 1000 })
    expect(stale).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') })
    expect(verifyRequestSignature({ authorization: header, method: 'GET', url: '/x', body: '', publicKeyPem: docPub, now: (Number(TS) + 299) * 1000 }).ok).toBe(true)
    expect(parseAuthorization('Bearer abc')).toBeNull()
    expect(parseAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SHA256-RSA'))).toBeNull()
    expect(parseAuthorization(header.replace(/,serial_no="[^"]*"/, ''))).toBeNull()
    expect(verifyRequestSignature({ authorization: undefined, method: 'GET', url: '/x', body: '', publicKeyPem: docPub }).ok).toBe(false)
  })
})

describe('wechatpay response signatures', () => {
  it('§8.4 official response verifies with the WeChat Pay public key', () => {
    expect(buildResponseMessage(RESP_HEADERS['Wechatpay-Timestamp'], RESP_HEADERS['Wechatpay-Nonce'], RESP_BODY))
      .toBe(`1722850421\nd824f2e086d3c1df967785d13fcd22ef\n${RESP_BODY}\n`)
    expect(verifyResponseSignature(RESP_HEADERS, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME, expectedSerial: RESP_HEADERS['Wechatpay-Serial'] }))
      .toEqual({ ok: true, serial: RESP_HEADERS['Wechatpay-Serial'] })
  })

  it('§8.4 negative: a changed byte, a stale timestamp, a SIGNTEST probe, a wrong serial, missing headers', () => {
    expect(verifyResponseSignature(RESP_HEADERS, RESP_BODY.replace('JyC91EIz1', 'JyC91EIz2'), docPlatformPub, { now: AT_VECTOR_TIME }).ok).toBe(false)
    expect(verifyResponseSignature({ ...RESP_HEADERS, 'Wechatpay-Nonce': tweak(RESP_HEADERS['Wechatpay-Nonce'], 3) }, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME }).ok).toBe(false)
    expect(verifyResponseSignature(RESP_HEADERS, RESP_BODY, docPlatformPub)).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') })
    const probe = { ...RESP_HEADERS, 'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${RESP_HEADERS['Wechatpay-Signature']}` }
    expect(verifyResponseSignature(probe, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME })).toMatchObject({ ok: false, reason: expect.stringContaining('SIGNTEST') })
    expect(verifyResponseSignature(RESP_HEADERS, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME, expectedSerial: 'PUB_KEY_ID_X' }).ok).toBe(false)
    const { 'Wechatpay-Nonce': _nonce, ...missing } = RESP_HEADERS
    expect(verifyResponseSignature(missing, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME }).ok).toBe(false)
    expect(verifyResponseSignature(RESP_HEADERS, RESP_BODY, docPub, { now: AT_VECTOR_TIME }).ok).toBe(false)
  })

  it('reads headers case-insensitively from plain objects and fetch Headers', () => {
    const lower = Object.fromEntries(Object.entries(RESP_HEADERS).map(([k, v]) => [k.toLowerCase(), v]))
    expect(verifyResponseSignature(lower, RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME }).ok).toBe(true)
    expect(verifyResponseSignature(new Headers(RESP_HEADERS), RESP_BODY, docPlatformPub, { now: AT_VECTOR_TIME }).ok).toBe(true)
  })

  it('signResponse round-trips, including an empty 204 body', () => {
    const { priv, pub } = freshPair()
    for (const body of ['', '{"a":1}']) {
      const headers = signResponse(body, priv, 'PUB_KEY_ID_0001')
      expect(headers['Wechatpay-Serial']).toBe('PUB_KEY_ID_0001')
      expect(headers['Wechatpay-Signature-Type']).toBe('WECHATPAY2-SHA256-RSA2048')
      expect(verifyResponseSignature(headers, body, pub, { expectedSerial: 'PUB_KEY_ID_0001' }).ok).toBe(true)
    }
  })
})

describe('jsapi paySign', () => {
  it('§8.5 JSAPI / mini program and APP vectors', () => {
    const pkgValue = 'prepay_id=wx201410272009395522657a690389285100'
    expect(jsapiPaySign('wx2421b1c4370ec43b', TS, NONCE, pkgValue, docKey)).toBe(PAYSIGN_JSAPI)
    expect(jsapiPaySign('wx2421b1c4370ec43b', TS, NONCE, 'wx201410272009395522657a690389285100', docKey)).toBe(PAYSIGN_APP)
    expect(verifyJsapiPaySign('wx2421b1c4370ec43b', TS, NONCE, pkgValue, PAYSIGN_JSAPI, docPub)).toBe(true)
    expect(verifyJsapiPaySign('wx2421b1c4370ec43b', TS, NONCE, `${pkgValue}1`, PAYSIGN_JSAPI, docPub)).toBe(false)
    expect(verifyJsapiPaySign('wx2421b1c4370ec43b', TS, NONCE, pkgValue, tweak(PAYSIGN_JSAPI), docPub)).toBe(false)
  })
})

describe('aes-256-gcm', () => {
  it('§8.8 self GCM vector decrypts and re-encrypts identically', () => {
    expect(aes256GcmDecrypt(gcmVector.ciphertext, gcmVector.key, gcmVector.nonce, gcmVector.associated_data)).toBe(gcmVector.plaintext)
    expect(aes256GcmEncrypt(gcmVector.plaintext, gcmVector.key, gcmVector.nonce, gcmVector.associated_data)).toBe(gcmVector.ciphertext)
  })

  it('§8.8 library fixtures with a 16-byte IV', () => {
    expect(aes256GcmEncrypt('', '0123456789abcdef0123456789abcdef', '0123456789abcdef', '')).toBe('GvpmmdtYwexXIPhySs9Tlg==')
    expect(aes256GcmEncrypt('hello', '0123456789abcdef0123456789abcdef', '0123456789abcdef', 'world')).toBe('APoZlYpivU3HjbAiB4CvW1rAFr8J')
  })

  it('fails authentication on any change of ciphertext, aad, nonce or key; rejects non-32-byte keys', () => {
    const { key, nonce, associated_data: aad, ciphertext } = gcmVector
    expect(() => aes256GcmDecrypt(tweak(ciphertext, 20), key, nonce, aad)).toThrow()
    expect(() => aes256GcmDecrypt(ciphertext, key, nonce, 'transactio')).toThrow()
    expect(() => aes256GcmDecrypt(ciphertext, key, tweak(nonce, 2), aad)).toThrow()
    expect(() => aes256GcmDecrypt(ciphertext, tweak(key, 2), nonce, aad)).toThrow()
    expect(() => aes256GcmDecrypt(ciphertext, 'testMchAPIv3Key0', nonce, aad)).toThrow(RangeError)
  })

  it('§8.8 self signed notification: verify with the platform key, then decrypt', () => {
    const v = selfVectors.wx_v3_notify
    const now = Number(v.headers['Wechatpay-Timestamp']) * 1000
    expect(verifyResponseSignature(v.headers, v.body, docPub, { now, expectedSerial: v.headers['Wechatpay-Serial'] }).ok).toBe(true)
    expect(verifyResponseSignature(v.headers, v.body.replace('支付成功', '支付失败'), docPub, { now }).ok).toBe(false)
    const { resource } = JSON.parse(v.body) as { resource: { ciphertext: string, nonce: string, associated_data: string } }
    expect(aes256GcmDecrypt(resource.ciphertext, v.apiv3_key, resource.nonce, resource.associated_data)).toBe(v.plaintext)
  })
})

describe('cross-check with wechatpay-axios-plugin (fresh keys)', () => {
  const { priv, pub } = freshPair()

  it('our request signature verifies with Rsa.verify and theirs with ours', () => {
    const body = '{"mchid":"1900000100","out_trade_no":"T-1","amount":{"total":1}}'
    const signed = signRequest({ mchId: '1900000100', serial: 'ABC', privateKeyPem: priv, method: 'POST', url: '/v3/pay/transactions/native', body })
    expect(Rsa.verify(Formatter.request('POST', '/v3/pay/transactions/native', signed.timestamp, signed.nonce, body), signed.signature, Rsa.from(pub, Rsa.KEY_TYPE_PUBLIC))).toBe(true)

    const ts = Formatter.timestamp()
    const nonce = Formatter.nonce()
    const theirSig = Rsa.sign(Formatter.request('GET', '/v3/pay/transactions/out-trade-no/T-1?mchid=1900000100', ts, nonce, ''), Rsa.from(priv, Rsa.KEY_TYPE_PRIVATE))
    const theirHeader = Formatter.authorization('1900000100', nonce, theirSig, ts, 'ABC')
    expect(verifyRequestSignature({ authorization: theirHeader, method: 'GET', url: '/v3/pay/transactions/out-trade-no/T-1?mchid=1900000100', body: '', publicKeyPem: pub }).ok).toBe(true)
  })

  it('our response signature verifies with their response formatter', () => {
    const body = '{"prepay_id":"wx0123"}'
    const h = signResponse(body, priv, 'PUB_KEY_ID_1')
    expect(Rsa.verify(Formatter.response(h['Wechatpay-Timestamp'], h['Wechatpay-Nonce'], body), h['Wechatpay-Signature'], Rsa.from(pub, Rsa.KEY_TYPE_PUBLIC))).toBe(true)
  })

  it('paySign agrees both ways', () => {
    const ts = String(Formatter.timestamp())
    const nonce = randomNonce()
    const p = 'prepay_id=wx0123456789abcdef0123456789abcdef'
    const ours = jsapiPaySign('wx1234567890abcdef', ts, nonce, p, priv)
    const theirs = Rsa.sign(Formatter.joinedByLineFeed('wx1234567890abcdef', ts, nonce, p), Rsa.from(priv, Rsa.KEY_TYPE_PRIVATE))
    expect(ours).toBe(theirs) // PKCS#1 v1.5 is deterministic
    expect(verifyJsapiPaySign('wx1234567890abcdef', ts, nonce, p, theirs, pub)).toBe(true)
  })

  it('aes-256-gcm agrees both ways', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz012345'
    const nonce = 'abcdefghijkl'
    const plaintext = '{"trade_state":"SUCCESS","desc":"支付成功"}'
    const ours = aes256GcmEncrypt(plaintext, key, nonce, 'transaction')
    expect(AesGcm.decrypt(ours, key, nonce, 'transaction')).toBe(plaintext)
    expect(aes256GcmDecrypt(AesGcm.encrypt(plaintext, key, nonce, 'transaction'), key, nonce, 'transaction')).toBe(plaintext)
    expect(Buffer.from(ours, 'base64').length).toBe(Buffer.byteLength(plaintext) + 16)
  })

  it('randomNonce is 32 upper-hex characters and differs each call', () => {
    const a = randomNonce()
    expect(a).toMatch(/^[0-9A-F]{32}$/)
    expect(randomNonce()).not.toBe(a)
  })
})
