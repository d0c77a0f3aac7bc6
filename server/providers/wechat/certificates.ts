import type { PlatformCertificate } from '../../config'
import { Buffer } from 'node:buffer'
import { createPublicKey, verify, X509Certificate } from 'node:crypto'
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin'
import { ProviderError } from '../errors'

/** One entry of `GET /v3/certificates`. */
interface CertificateEntry {
  serial_no: string
  effective_time?: string
  expire_time?: string
  encrypt_certificate: { algorithm: string, nonce: string, associated_data?: string, ciphertext: string }
}

/**
 * Decrypts the answer of `GET /v3/certificates` (each certificate AEAD_AES_256_GCM-encrypted with the APIv3 key) and
 * checks that each certificate is the one its `serial_no` names.
 */
export function decryptCertificateList(body: string, apiV3Key: string): PlatformCertificate[] {
  const list = (JSON.parse(body) as { data?: CertificateEntry[] }).data
  if (!Array.isArray(list))
    throw new ProviderError('rejected', 'MALFORMED', 'WeChat Pay certificate list has no data array')
  return list.map((entry) => {
    const e = entry.encrypt_certificate
    if (e?.algorithm !== 'AEAD_AES_256_GCM')
      throw new ProviderError('rejected', 'MALFORMED', `certificate ${entry.serial_no} is not AEAD_AES_256_GCM-encrypted`)
    let pem: string
    try {
      pem = Aes.AesGcm.decrypt(e.ciphertext, apiV3Key, e.nonce, e.associated_data ?? '')
    }
    catch {
      throw new ProviderError('rejected', 'DECRYPT_FAILED', `certificate ${entry.serial_no} does not decrypt with the APIv3 key`)
    }
    const x509 = new X509Certificate(pem)
    if (x509.serialNumber.toUpperCase() !== entry.serial_no.toUpperCase())
      throw new ProviderError('rejected', 'SERIAL_MISMATCH', `certificate listed as ${entry.serial_no} has serial ${x509.serialNumber}`)
    return { serial: x509.serialNumber.toUpperCase(), pem, validTo: new Date(x509.validTo) }
  })
}

export interface DownloadCertificatesInput {
  mchId: string
  /** Merchant API certificate serial. */
  serial: string
  privateKeyPem: string
  apiV3Key: string
  /** https://api.mch.weixin.qq.com, or the sandbox. */
  baseUrl: string
  timeoutMs?: number
}

/**
 * Downloads the platform certificates (`GET /v3/certificates`, signed like every call) for a merchant that verifies
 * with them. The answer is signed with one of the certificates it carries, so it is verified with the decrypted
 * certificate of its `Wechatpay-Serial` (within 5 minutes), as wechatpay-java's certificate downloader does; a forged
 * list cannot carry a certificate encrypted with the merchant's APIv3 key. A merchant on the WeChat Pay public key
 * only gets 404 RESOURCE_NOT_EXISTS (`not_found`).
 */
export async function downloadPlatformCertificates(input: DownloadCertificatesInput): Promise<PlatformCertificate[]> {
  const url = new URL('v3/certificates', input.baseUrl.endsWith('/') ? input.baseUrl : `${input.baseUrl}/`)
  const pathWithQuery = `${url.pathname}${url.search}`
  const nonce = Formatter.nonce()
  const timestamp = Formatter.timestamp()
  const signature = Rsa.sign(Formatter.request('GET', pathWithQuery, timestamp, nonce, ''), Rsa.from(input.privateKeyPem, Rsa.KEY_TYPE_PRIVATE))
  let res: Response
  let body: string
  try {
    res = await fetch(url, {
      headers: { 'Authorization': Formatter.authorization(input.mchId, nonce, signature, timestamp, input.serial), 'Accept': 'application/json', 'User-Agent': 'uni-cashier' },
      signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    })
    body = await res.text()
  }
  catch (e) {
    throw new ProviderError('unavailable', 'NETWORK', `WeChat Pay unreachable: ${(e as Error).message}`)
  }
  if (res.status === 404)
    throw new ProviderError('not_found', 'RESOURCE_NOT_EXISTS', 'WeChat Pay has no platform certificate for this merchant: it verifies with the WeChat Pay public key')
  if (res.status !== 200)
    throw new ProviderError(res.status >= 500 ? 'unavailable' : 'rejected', `HTTP_${res.status}`, `WeChat Pay answered HTTP ${res.status}: ${body.slice(0, 200)}`, res.status)
  const certs = decryptCertificateList(body, input.apiV3Key)
  const h = (name: string) => res.headers.get(name) ?? ''
  const signer = certs.find(c => c.serial === h('Wechatpay-Serial').toUpperCase())
  const skew = Math.abs(Date.now() / 1000 - Number(h('Wechatpay-Timestamp')))
  const message = `${h('Wechatpay-Timestamp')}\n${h('Wechatpay-Nonce')}\n${body}\n`
  if (!signer || !(skew <= 300) || !verify('sha256', Buffer.from(message), createPublicKey(signer.pem), Buffer.from(h('Wechatpay-Signature'), 'base64')))
    throw new ProviderError('bad_signature', 'BAD_SIGNATURE', 'the certificate list is not signed by one of its own certificates')
  return certs
}
