/**
 * Which key the simulated WeChat Pay signs its answers and notifications with, as a merchant's account is set up:
 *
 * - `public_key`: the WeChat Pay public key (微信支付公钥), `Wechatpay-Serial: PUB_KEY_ID_…` — merchants onboarded
 *   since public keys exist; they have no platform certificate.
 * - `certificate`: the platform certificate (平台证书), `Wechatpay-Serial: <certificate serial>` — older merchants.
 * - `switch`: a merchant in WeChat's switch-over (灰度切换) from certificate to public key. An answer is signed with
 *   the public key when the request names it in its `Wechatpay-Serial` header, else with the certificate; the
 *   notifications' signer starts as the certificate and is switched with `PUT /api/wechat/signer` (each delivery
 *   attempt is signed anew, so a retry after the switch carries the other signature).
 *
 * Control API (relative to the sandbox mount): `GET /api/wechat/signer` → state; `PUT /api/wechat/signer`
 * `{notifications: 'public_key' | 'certificate'}` (switch mode only) → state.
 *
 * Also `GET /wechatpay/v3/certificates` (merchant Authorization required): the platform certificate encrypted with
 * the APIv3 key (AEAD_AES_256_GCM, associated_data `certificate`), or, for a public-key-only account, 404
 * RESOURCE_NOT_EXISTS as WeChat answers merchants that have no platform certificate.
 */
import type { MiddlewareHandler } from 'hono'
import type { SandboxContext } from '../context'
import type { SandboxKeys } from '../types'
import type { WechatpaySignatureHeaders } from './crypto'
import { AsyncLocalStorage } from 'node:async_hooks'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import forge from 'node-forge'
import { randomString, rfc3339Beijing } from '../core/ids'
import { aes256GcmEncrypt, signResponse } from './crypto'
import { authenticateMerchant, wxError, wxJson } from './pay-http'

export type WechatSignerMode = 'public_key' | 'certificate' | 'switch'
export const WECHAT_SIGNER_MODES: readonly WechatSignerMode[] = ['public_key', 'certificate', 'switch']

type Signer = 'public_key' | 'certificate'

/** A simulated platform certificate and its private key (generated with the other sandbox keys). */
export interface PlatformCertificateKeys {
  privateKeyPem: string
  certificatePem: string
  /** 40 upper-hex characters, like WeChat's certificate serials. */
  serial: string
}

/** A fresh RSA-2048 key and a self-signed X.509 certificate for it, valid five years from now. */
export function generatePlatformCertificate(now = new Date()): PlatformCertificateKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  // The top bit clear keeps the DER integer positive, so the serial reads back as these 40 hex characters.
  const serialBytes = randomBytes(20)
  serialBytes[0] &= 0x7F
  serialBytes[0] |= 0x10
  const serial = serialBytes.toString('hex').toUpperCase()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  cert.serialNumber = serial
  cert.validity.notBefore = new Date(now.getTime() - 60_000)
  cert.validity.notAfter = new Date(now.getTime() + 5 * 365 * 86_400_000)
  const name = [{ name: 'countryName', value: 'CN' }, { name: 'organizationName', value: 'Tenpay.com (sandbox)' }, { name: 'commonName', value: 'Tenpay.com Root CA (sandbox)' }]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create())
  return { privateKeyPem: privateKey, certificatePem: forge.pki.certificateToPem(cert), serial }
}

/** The request's `Wechatpay-Serial`, for the answer to that request. */
const requestSerial = new AsyncLocalStorage<string | undefined>()

export class WechatSigner {
  private notifications: Signer

  constructor(private readonly keys: SandboxKeys['wechat'], readonly mode: WechatSignerMode) {
    if (mode !== 'public_key' && !keys.platformCertificate)
      throw new Error(`sandbox WeChat Pay signer "${mode}" needs a platform certificate, which these sandbox keys predate: delete sandbox-keys.json to regenerate them`)
    this.notifications = mode === 'public_key' ? 'public_key' : 'certificate'
  }

  /** Remembers each API request's `Wechatpay-Serial` while its answer is made. */
  readonly middleware: MiddlewareHandler = async (c, next) => requestSerial.run(c.req.header('Wechatpay-Serial'), next)

  /** The headers of an API answer (errors and 204 included). */
  responseHeaders(body: string): WechatpaySignatureHeaders {
    const asked = requestSerial.getStore()
    const signer: Signer = this.mode === 'switch'
      ? (asked === this.keys.platformPublicKeyId ? 'public_key' : 'certificate')
      : this.mode
    return this.sign(body, signer)
  }

  /** The headers of one notification delivery attempt. */
  notificationHeaders(body: string): WechatpaySignatureHeaders {
    return this.sign(body, this.notifications)
  }

  /** Switch mode only: which key signs the next notification attempts. */
  setNotificationSigner(signer: Signer): void {
    if (this.mode !== 'switch')
      throw new Error(`the notification signer changes only in switch mode (this sandbox signs with its ${this.mode === 'public_key' ? 'public key' : 'certificate'} only)`)
    this.notifications = signer
  }

  state(): { mode: WechatSignerMode, notifications: Signer, public_key_id: string, certificate_serial: string | null } {
    return { mode: this.mode, notifications: this.notifications, public_key_id: this.keys.platformPublicKeyId, certificate_serial: this.keys.platformCertificate?.serial ?? null }
  }

  private sign(body: string, signer: Signer): WechatpaySignatureHeaders {
    const cert = this.keys.platformCertificate
    if (signer === 'certificate' && cert)
      return signResponse(body, cert.privateKeyPem, cert.serial)
    return signResponse(body, this.keys.platformPrivateKeyPem, this.keys.platformPublicKeyId)
  }
}

/** `GET` / `PUT /api/wechat/signer`, and the certificate download `GET /wechatpay/v3/certificates`. */
export function wechatSignerControl(signer: WechatSigner, ctx: SandboxContext): Hono {
  const app = new Hono()
  app.get('/wechatpay/v3/certificates', async (c) => {
    const call = await authenticateMerchant(c, ctx)
    if (call instanceof Response)
      return call
    const cert = ctx.keys.wechat.platformCertificate
    if (signer.mode === 'public_key' || !cert)
      return wxError(ctx, { status: 404, code: 'RESOURCE_NOT_EXISTS', message: '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥' })
    const validity = forge.pki.certificateFromPem(cert.certificatePem).validity
    const nonce = randomString(12)
    return wxJson(ctx, 200, {
      data: [{
        serial_no: cert.serial,
        effective_time: rfc3339Beijing(validity.notBefore.getTime()),
        expire_time: rfc3339Beijing(validity.notAfter.getTime()),
        encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', nonce, associated_data: 'certificate', ciphertext: aes256GcmEncrypt(cert.certificatePem, ctx.keys.wechat.apiV3Key, nonce, 'certificate') },
      }],
    })
  })
  app.get('/api/wechat/signer', c => c.json(signer.state()))
  app.put('/api/wechat/signer', async (c) => {
    const body = await c.req.json<unknown>().catch(() => null)
    const wanted = (body as { notifications?: unknown } | null)?.notifications
    if (wanted !== 'public_key' && wanted !== 'certificate')
      return c.json({ error: 'send {"notifications": "public_key" | "certificate"}' }, 400)
    try {
      signer.setNotificationSigner(wanted)
    }
    catch (e) {
      return c.json({ error: (e as Error).message }, 409)
    }
    return c.json(signer.state())
  })
  return app
}
