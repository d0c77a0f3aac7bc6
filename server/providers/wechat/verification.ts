import type { KeyObject } from 'node:crypto'
import type { WechatCredentials } from '../../config'
import { createPublicKey } from 'node:crypto'

/**
 * The keys WeChat Pay's answers are verified with, by the `Wechatpay-Serial` they arrive with: the WeChat Pay public
 * key under its `PUB_KEY_ID_…`, and each platform certificate under its serial. A merchant in WeChat's switch-over
 * from certificates to the public key configures both, and an answer signed either way verifies.
 */
export function wechatPayVerifierKeys(creds: Pick<WechatCredentials, 'platformPublicKeyPem' | 'platformPublicKeyId' | 'platformCertificates'>): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>()
  if (creds.platformPublicKeyId && creds.platformPublicKeyPem)
    keys.set(creds.platformPublicKeyId, createPublicKey(creds.platformPublicKeyPem))
  for (const cert of creds.platformCertificates ?? [])
    keys.set(cert.serial, createPublicKey(cert.pem))
  return keys
}

/**
 * The `Wechatpay-Serial` request header, naming the key the merchant verifies with: the public key id when there is
 * one, which asks WeChat Pay to sign its answer with that key (the official samples send it on every call); else the
 * platform certificate valid longest, as wechatpay-java does.
 */
export function requestSerialHeader(creds: Pick<WechatCredentials, 'platformPublicKeyId' | 'platformCertificates'>): Record<string, string> {
  if (creds.platformPublicKeyId)
    return { 'Wechatpay-Serial': creds.platformPublicKeyId }
  const newest = [...(creds.platformCertificates ?? [])].sort((a, b) => b.validTo.getTime() - a.validTo.getTime())[0]
  return newest ? { 'Wechatpay-Serial': newest.serial } : {}
}
