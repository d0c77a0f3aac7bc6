/**
 * Known answers for the code the live server runs (wechatpay-axios-plugin's AesGcm and our notification verifier,
 * alipay-sdk inside the Alipay client) from material we did not write: wechatpay-java's AEAD_AES_256_GCM vector
 * and its encrypted platform-certificate download, the WeChat Pay doc key's signed notification, alipay-sdk's real
 * captured notification; and a cross-check with wechatpay-node-v3 in both directions.
 */
import { Buffer } from 'node:buffer'
import { createCipheriv, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import pkg from 'wechatpay-axios-plugin'
import WxPay from 'wechatpay-node-v3'
import { signResponse } from '../../sandbox/wechat/crypto'
import { createAlipayClient } from '../../server/providers/alipay/client'
import { checkAlipayNotification } from '../../server/providers/alipay/notify'
import { verifyWechatNotification } from '../../server/providers/wechat/notify'
import { wechatPayVerifierKeys } from '../../server/providers/wechat/verification'

// The package's typings only describe the default export; at runtime the CommonJS module carries every helper.
const { Aes: { AesGcm } } = pkg as unknown as typeof import('wechatpay-axios-plugin')

const FIX = path.join(import.meta.dirname, '../fixtures')
const read = (p: string) => readFileSync(path.join(FIX, p), 'utf8')
const java = JSON.parse(read('wechatpay-java/vectors.json')) as {
  apiv3_key: string
  aead_aes_256_gcm: { plaintext: string, associated_data: string, nonce: string, ciphertext: string }
  download_certificate_response: string
  download_certificate_serial: string
}
const javaWechatPayKey = read('wechatpay-java/wechat_pay_private_key.pem')
const javaCert = read('wechatpay-java/wechat_pay_certificate.pem')
const javaSerial = '440024045C4A427599D09BB4E3DE0279F2E813FD'
const self = JSON.parse(read('vectors/self_vectors.json')) as { wx_v3_notify: { headers: Record<string, string>, body: string, apiv3_key: string, plaintext: string } }
const realNotify = JSON.parse(read('vectors/alipay_real_notify.json')) as { fields: Record<string, string> }

const lookup = (h: Record<string, string>) => (name: string) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1]

/** A v3 payment notification body whose resource is the transaction, encrypted with node:crypto directly. */
function notificationBody(transaction: object, apiV3Key: string, nonce = 'r4nd0mN0nc3x'): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(nonce))
  cipher.setAAD(Buffer.from('transaction'))
  const ct = Buffer.concat([cipher.update(JSON.stringify(transaction)), cipher.final(), cipher.getAuthTag()]).toString('base64')
  return JSON.stringify({ id: 'EV-2018022511223320873', create_time: '2015-05-20T13:29:35+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, associated_data: 'transaction', nonce } })
}

const TXN = { appid: 'wxd678efh567hg6787', mchid: '1230000109', out_trade_no: '1217752501201407033233368018', transaction_id: '4200000000202401011234567890', trade_type: 'NATIVE', trade_state: 'SUCCESS', trade_state_desc: '支付成功', amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' } }

describe('the AEAD_AES_256_GCM of the live client (wechatpay-axios-plugin AesGcm) against wechatpay-java', () => {
  it('aeadAesCipherTest: "message" with nonce uluk4a9R25RW and aad associatedData', () => {
    const v = java.aead_aes_256_gcm
    expect(AesGcm.decrypt(v.ciphertext, java.apiv3_key, v.nonce, v.associated_data)).toBe(v.plaintext)
    expect(AesGcm.encrypt(v.plaintext, java.apiv3_key, v.nonce, v.associated_data)).toBe(v.ciphertext)
    expect(() => AesGcm.decrypt(v.ciphertext, java.apiv3_key, v.nonce, 'bad-associatedData')).toThrow()
  })

  it('testConfig.DOWNLOAD_CERTIFICATE_RESPONSE: the encrypted platform certificate decrypts to the certificate of its serial_no', () => {
    const [item] = (JSON.parse(java.download_certificate_response) as { data: Array<{ serial_no: string, encrypt_certificate: { ciphertext: string, nonce: string, associated_data: string } }> }).data
    const e = item.encrypt_certificate
    const pem = AesGcm.decrypt(e.ciphertext, java.apiv3_key, e.nonce, e.associated_data)
    expect(new X509Certificate(pem).serialNumber).toBe(java.download_certificate_serial)
    expect(item.serial_no).toBe(java.download_certificate_serial)
  })
})

describe('notification verification and decryption, whole', () => {
  it('the signed notification made with the WeChat Pay doc key verifies and decrypts', () => {
    const v = self.wx_v3_notify
    const keys = new Map([[v.headers['Wechatpay-Serial'], read('vectors/wx_doc_test_pub.pem')]])
    const verdict = verifyWechatNotification({ headers: lookup(v.headers), rawBody: v.body, keys, apiV3Key: v.apiv3_key, now: Number(v.headers['Wechatpay-Timestamp']) * 1000 })
    expect(verdict.ok && verdict.transaction).toEqual(JSON.parse(v.plaintext))
  })

  it('a notification signed by wechatpay-node-v3 with wechatpay-java\'s test platform key verifies with its certificate (theirs through ours)', () => {
    const platform = new WxPay({ appid: 'wxd678efh567hg6787', mchid: '1230000109', serial_no: javaSerial, publicKey: Buffer.from(javaCert), privateKey: Buffer.from(javaWechatPayKey) })
    const body = notificationBody(TXN, java.apiv3_key)
    const ts = String(Math.floor(Date.now() / 1000))
    const nonce = 'fdasfwe8e8w7d9a8s7df9as8d7f98sd'
    const signature = (platform as unknown as { sha256WithRsa: (s: string) => string }).sha256WithRsa(`${ts}\n${nonce}\n${body}\n`)
    const headers = { 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': nonce, 'Wechatpay-Signature': signature, 'Wechatpay-Serial': javaSerial }
    const keys = wechatPayVerifierKeys({ platformCertificates: [{ serial: javaSerial, pem: javaCert, validTo: new Date('2025-05-09T02:04:30Z') }] })
    const verdict = verifyWechatNotification({ headers: lookup(headers), rawBody: body, keys, apiV3Key: java.apiv3_key })
    expect(verdict.ok && verdict.transaction).toEqual(TXN)
  })

  it('wechatpay-node-v3 verifies and decrypts a notification our simulator signs (ours through theirs)', async () => {
    const body = notificationBody(TXN, java.apiv3_key)
    const headers = signResponse(body, javaWechatPayKey, javaSerial)
    const merchant = new WxPay({ appid: 'wxd678efh567hg6787', mchid: '1230000109', serial_no: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB', publicKey: Buffer.from(javaCert), privateKey: Buffer.from(read('vectors/wx_doc_test_key.pem')), key: java.apiv3_key })
    // Its platform-certificate store, as fetchCertificates would fill it (it has no public-key mode).
    ;(WxPay as unknown as { certificates: Record<string, string> }).certificates[javaSerial] = new X509Certificate(javaCert).publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(await merchant.verifySign({ timestamp: headers['Wechatpay-Timestamp'], nonce: headers['Wechatpay-Nonce'], body, serial: javaSerial, signature: headers['Wechatpay-Signature'] })).toBe(true)
    expect(await merchant.verifySign({ timestamp: headers['Wechatpay-Timestamp'], nonce: headers['Wechatpay-Nonce'], body: body.replace('支付成功', '支付失败'), serial: javaSerial, signature: headers['Wechatpay-Signature'] })).toBe(false)
    const r = (JSON.parse(body) as { resource: { ciphertext: string, associated_data: string, nonce: string } }).resource
    expect(merchant.decipher_gcm(r.ciphertext, r.associated_data, r.nonce, java.apiv3_key)).toEqual(TXN)
  })
})

describe('alipay: the live client against alipay-sdk\'s real captured notification', () => {
  const f = realNotify.fields
  const client = createAlipayClient(
    { appId: f.app_id, privateKeyPem: read('vectors/alipay_fixture_app_priv.pem'), alipayPublicKeyPem: read('vectors/alipay_real_notify_pub.pem'), sellerId: f.seller_id },
    { gateway: 'https://openapi.alipay.com/gateway.do', oauthBase: 'https://openauth.alipay.com' },
  )

  it('verifies (sign and sign_type excluded) and passes the app and seller checks', () => {
    expect(client.verifyNotify(f)).toBe(true)
    expect(checkAlipayNotification(f, { appId: f.app_id, sellerId: f.seller_id, verify: p => client.verifyNotify(p) })).toMatchObject({ ok: true, outTradeNo: '20190815155618536-564-57', tradeStatus: 'TRADE_SUCCESS', totalAmount: '0.10' })
  })

  it('refuses it with one field changed, or for another seller', () => {
    expect(client.verifyNotify({ ...f, total_amount: '100.00' })).toBe(false)
    expect(checkAlipayNotification(f, { appId: f.app_id, sellerId: '2088000000000000', verify: p => client.verifyNotify(p) })).toMatchObject({ ok: false, status: 400 })
  })
})
