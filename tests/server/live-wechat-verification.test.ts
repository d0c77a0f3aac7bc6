/**
 * WeChat Pay's two verification modes end to end, client against simulator: a merchant on the WeChat Pay public
 * key (PUB_KEY_ID_…), one on platform certificates, and one in the switch-over, where answers follow the request's
 * Wechatpay-Serial and notifications change signer mid-run. The notification verifier is also checked against
 * wechatpay-go's certificate-signed notification.
 */
import type { TestServer } from '../helpers/server'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyResponseSignature } from '../../sandbox/wechat/crypto'
import { generatePlatformCertificate, WechatSigner } from '../../sandbox/wechat/signer'
import { decryptCertificateList, downloadPlatformCertificates } from '../../server/providers/wechat/certificates'
import { verifyWechatNotification } from '../../server/providers/wechat/notify'
import { requestSerialHeader, wechatPayVerifierKeys } from '../../server/providers/wechat/verification'
import { eventually } from '../helpers/eventually'
import { key, removeDir, startTestServer } from '../helpers/server'
import { craftNotification, strangerKeyPem } from '../helpers/wechat-notify'

const goVectors = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/wechatpay-go/vectors.json'), 'utf8')) as {
  notify: { headers: Record<string, string>, body: string, certificate: string }
}

/** Creates a demo order, a Native payment for it, pays it in the sandbox and waits for the notification to land. */
async function payNative(server: TestServer): Promise<{ create: number, status: string, outTradeNo: string }> {
  const order = await server.call('POST', '/api/demo/orders', { body: { methods: ['wechat_native'] } })
  const orderNo = order.json.orderNo as string
  const created = await server.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_native' }, headers: { 'Idempotency-Key': key() } })
  if (created.status !== 200)
    return { create: created.status, status: 'not created', outTradeNo: '' }
  const attempt = await server.services.db.selectFrom('payment_attempts').select('out_trade_no').where('order_no', '=', orderNo).executeTakeFirstOrThrow()
  await fetch(`${server.url}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: attempt.out_trade_no }) })
  // Only the notification may make it paid here: a status read would query WeChat and heal a refused notification.
  const row = await eventually(
    () => server.services.db.selectFrom('orders').select('status').where('order_no', '=', orderNo).executeTakeFirstOrThrow(),
    r => r.status === 'paid',
  )
  return { create: created.status, status: row.status, outTradeNo: attempt.out_trade_no }
}

async function notificationsOf(server: TestServer, outTradeNo: string): Promise<Array<{ status: string, attempts: Array<{ http_status?: number }> }>> {
  const res = await fetch(`${server.url}/sandbox/api/wechat/notifications?out_trade_no=${outTradeNo}`)
  return ((await res.json()) as { notifications: Array<{ status: string, attempts: Array<{ http_status?: number }> }> }).notifications
}

describe.each(['public_key', 'certificate', 'switch'] as const)('a merchant verifying with %s', (mode) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { SANDBOX_WECHATPAY_SIGNER: mode, RECONCILE_AFTER_SECONDS: '3600' } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dataDir)
  })

  it('creates payments (answers verified) and takes the payment notification', async () => {
    const paid = await payNative(server)
    expect(paid.create).toBe(200)
    expect(paid.status).toBe('paid')
    const [n] = await eventually(() => notificationsOf(server, paid.outTradeNo), ns => ns[0]?.status === 'acknowledged')
    expect(n.status).toBe('acknowledged')
    expect(n.attempts.map(a => a.http_status)).toEqual([200])
  })

  it('holds the keys of its mode only, and names the key it verifies with in Wechatpay-Serial', () => {
    const creds = server.services.config.wechat!
    const keys = server.keys().wechat
    const serials = [...wechatPayVerifierKeys(creds).keys()]
    if (mode === 'public_key')
      expect(serials).toEqual([keys.platformPublicKeyId])
    if (mode === 'certificate')
      expect(serials).toEqual([keys.platformCertificate!.serial])
    if (mode === 'switch')
      expect(serials.sort()).toEqual([keys.platformPublicKeyId, keys.platformCertificate!.serial].sort())
    expect(requestSerialHeader(creds)).toEqual({ 'Wechatpay-Serial': mode === 'certificate' ? keys.platformCertificate!.serial : keys.platformPublicKeyId })
  })

  it('downloads its platform certificates from GET /v3/certificates, or learns it has none', async () => {
    const keys = server.keys().wechat
    const download = downloadPlatformCertificates({ mchId: keys.mchId, serial: keys.merchantSerial, privateKeyPem: keys.merchantPrivateKeyPem, apiV3Key: keys.apiV3Key, baseUrl: `${server.url}/sandbox/wechatpay` })
    if (mode === 'public_key')
      return expect(download).rejects.toMatchObject({ kind: 'not_found', providerCode: 'RESOURCE_NOT_EXISTS' })
    const certs = await download
    expect(certs.map(c => [c.serial, c.pem])).toEqual([[keys.platformCertificate!.serial, keys.platformCertificate!.certificatePem]])
    await expect(downloadPlatformCertificates({ mchId: keys.mchId, serial: keys.merchantSerial, privateKeyPem: keys.merchantPrivateKeyPem, apiV3Key: 'x'.repeat(32), baseUrl: `${server.url}/sandbox/wechatpay` }))
      .rejects
      .toMatchObject({ providerCode: 'DECRYPT_FAILED' })
  })
})

describe('the switch-over: notifications change signer mid-run', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { SANDBOX_WECHATPAY_SIGNER: 'switch', RECONCILE_AFTER_SECONDS: '3600' } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dataDir)
  })

  async function setNotificationSigner(signer: string): Promise<{ status: number, body: Record<string, unknown> }> {
    const res = await fetch(`${server.url}/sandbox/api/wechat/signer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notifications: signer }) })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }

  it('takes a certificate-signed notification, then a public-key-signed one after the switch', async () => {
    expect((await setNotificationSigner('certificate')).body.notifications).toBe('certificate')
    expect((await payNative(server)).status).toBe('paid')
    expect((await setNotificationSigner('public_key')).body.notifications).toBe('public_key')
    expect((await payNative(server)).status).toBe('paid')
    expect((await setNotificationSigner('certificate')).body.notifications).toBe('certificate')
    expect((await payNative(server)).status).toBe('paid')
  })

  it('answers WeChat as its notification doc asks: 200 {"code":"SUCCESS"} once applied, 4xx with {code, message} JSON when refused (回调通知处理.md)', async () => {
    const paid = await payNative(server)
    const row = await server.services.db.selectFrom('orders').innerJoin('payment_attempts', 'payment_attempts.order_no', 'orders.order_no').select('orders.amount_fen').where('payment_attempts.out_trade_no', '=', paid.outTradeNo).executeTakeFirstOrThrow()
    const keys = server.keys()
    const good = craftNotification(keys, { out_trade_no: paid.outTradeNo, total: row.amount_fen })
    const ok = await server.call('POST', '/api/notify/wechatpay', { rawBody: good.body, headers: good.headers })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({ code: 'SUCCESS', message: '成功' })
    const forged = craftNotification(keys, { out_trade_no: paid.outTradeNo, total: row.amount_fen }, { signWith: strangerKeyPem() })
    const refused = await server.call('POST', '/api/notify/wechatpay', { rawBody: forged.body, headers: forged.headers })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
    expect(refused.json).toMatchObject({ code: expect.any(String), message: expect.any(String) })
  })

  it('refuses a signer that is not one of the two', async () => {
    expect((await setNotificationSigner('hmac')).status).toBe(400)
  })
})

describe('the simulated signer', () => {
  const cert = generatePlatformCertificate()
  const keys = { platformPrivateKeyPem: '', platformPublicKeyPem: '', platformPublicKeyId: 'PUB_KEY_ID_0001', platformCertificate: cert } as unknown as ConstructorParameters<typeof WechatSigner>[0]
  const publicPair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
  Object.assign(keys, { platformPrivateKeyPem: publicPair.privateKey, platformPublicKeyPem: publicPair.publicKey })

  it('a certificate whose serial reads back as the 40 hex characters it signs with', () => {
    expect(cert.serial).toMatch(/^[0-9A-F]{40}$/)
    expect(new X509Certificate(cert.certificatePem).serialNumber).toBe(cert.serial)
  })

  it('switch mode: the answer follows the request\'s Wechatpay-Serial; certificate mode ignores it', async () => {
    const sw = new WechatSigner(keys, 'switch')
    const answer = async (signer: WechatSigner, serial?: string) => {
      let headers: Record<string, string> = {}
      await signer.middleware({ req: { header: () => serial } } as never, async () => {
        headers = { ...signer.responseHeaders('{"a":1}') }
      })
      return headers
    }
    expect((await answer(sw, 'PUB_KEY_ID_0001'))['Wechatpay-Serial']).toBe('PUB_KEY_ID_0001')
    expect((await answer(sw))['Wechatpay-Serial']).toBe(cert.serial)
    const certOnly = new WechatSigner(keys, 'certificate')
    const h = await answer(certOnly, 'PUB_KEY_ID_0001')
    expect(h['Wechatpay-Serial']).toBe(cert.serial)
    expect(verifyResponseSignature(h, '{"a":1}', new X509Certificate(cert.certificatePem).publicKey).ok).toBe(true)
    expect(verifyResponseSignature(h, '{"a":1}', publicPair.publicKey).ok).toBe(false)
    expect(() => certOnly.setNotificationSigner('public_key')).toThrow(/only in switch mode/)
  })
})

describe('the certificate list, against the encrypted GET /v3/certificates answer of wechatpay-java', () => {
  const java = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/wechatpay-java/vectors.json'), 'utf8')) as { apiv3_key: string, download_certificate_response: string, download_certificate_serial: string }

  it('decrypts to the certificate its serial_no names', () => {
    const [cert] = decryptCertificateList(java.download_certificate_response, java.apiv3_key)
    expect(cert.serial).toBe(java.download_certificate_serial)
    expect(cert.validTo.getUTCFullYear()).toBe(2028)
  })

  it('refuses it under another APIv3 key, or listed under another serial', () => {
    expect(() => decryptCertificateList(java.download_certificate_response, 'a'.repeat(32))).toThrow(/does not decrypt/)
    const relabelled = java.download_certificate_response.replace(java.download_certificate_serial, '1111111111111111111111111111111111111111')
    expect(() => decryptCertificateList(relabelled, java.apiv3_key)).toThrow(/has serial/)
  })
})

describe('notification verification by serial, against wechatpay-go\'s certificate-signed notification', () => {
  const n = goVectors.notify
  const at = Number(n.headers['Wechatpay-Timestamp']) * 1000
  const headers = (h: Record<string, string>) => (name: string) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1]
  const apiV3Key = '0123456789abcdef0123456789abcdef'

  it('passes the signature with the platform certificate of its serial (the resource is then not ours to decrypt)', () => {
    const keys = wechatPayVerifierKeys({ platformCertificates: [{ serial: 'D7CE59D1F522D701', pem: n.certificate, validTo: new Date('2031-04-25T08:55:23Z') }] })
    const verdict = verifyWechatNotification({ headers: headers(n.headers), rawBody: n.body, keys, apiV3Key, now: at })
    // 400 is the decryption step: the signature check (401) was passed. The vector's APIv3 key is 16 bytes (AES-128).
    expect(verdict).toEqual({ ok: false, status: 400, reason: 'resource does not decrypt with the APIv3 key' })
  })

  it('is refused (401) by a merchant holding only a public key: the defect this mode fixes', () => {
    const keys = wechatPayVerifierKeys({ platformPublicKeyId: 'PUB_KEY_ID_0000000000000024101100397200000006', platformPublicKeyPem: new X509Certificate(n.certificate).publicKey.export({ type: 'spki', format: 'pem' }).toString() })
    expect(verifyWechatNotification({ headers: headers(n.headers), rawBody: n.body, keys, apiV3Key, now: at })).toMatchObject({ ok: false, status: 401, reason: 'unknown Wechatpay-Serial D7CE59D1F522D701' })
  })

  it('a changed body byte fails the certificate signature', () => {
    const keys = wechatPayVerifierKeys({ platformCertificates: [{ serial: 'D7CE59D1F522D701', pem: n.certificate, validTo: new Date() }] })
    expect(verifyWechatNotification({ headers: headers(n.headers), rawBody: n.body.replace('签约成功', '签约失败'), keys, apiV3Key, now: at })).toMatchObject({ ok: false, status: 401, reason: 'signature does not verify' })
  })
})
