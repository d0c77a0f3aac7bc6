import type { KeyObject } from 'node:crypto'
import type { WechatTransaction } from './pay-client'
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin'

/** The outer JSON of a WeChat Pay v3 notification. */
export interface WechatNotification {
  id: string
  create_time: string
  event_type: string
  resource_type: string
  summary?: string
  resource: { algorithm: string, ciphertext: string, nonce: string, associated_data?: string, original_type?: string }
}

export type NotifyVerdict
  = | { ok: true, notification: WechatNotification, transaction: WechatTransaction, resource: unknown, nonce: string }
    | { ok: false, status: 400 | 401, reason: string }

const MAX_SKEW_SECONDS = 300

/**
 * Checks a notification before anything is parsed: signature headers present, not a SIGNTEST probe,
 * fresh timestamp, serial known, SHA256withRSA over `timestamp\nnonce\nbody\n` valid; then decrypts
 * the resource with the APIv3 key (AEAD_AES_256_GCM).
 *
 * The key is the one of the notification's `Wechatpay-Serial`: from `keys` (the WeChat Pay public key by its
 * `PUB_KEY_ID_…` and platform certificates by serial, see wechatPayVerifierKeys), or the single public key given
 * as `platformPublicKeyPem` / `platformPublicKeyId`.
 */
export function verifyWechatNotification(opts: {
  headers: (name: string) => string | undefined
  rawBody: string
  keys?: ReadonlyMap<string, KeyObject | string>
  platformPublicKeyPem?: string
  platformPublicKeyId?: string
  apiV3Key: string
  now?: number
}): NotifyVerdict {
  const ts = opts.headers('wechatpay-timestamp')
  const nonce = opts.headers('wechatpay-nonce')
  const signature = opts.headers('wechatpay-signature')
  const serial = opts.headers('wechatpay-serial')
  if (!ts || !nonce || !signature || !serial)
    return { ok: false, status: 401, reason: 'missing Wechatpay-* signature headers' }
  if (signature.startsWith('WECHATPAY/SIGNTEST/'))
    return { ok: false, status: 401, reason: 'signature probe (WECHATPAY/SIGNTEST) refused' }
  if (!/^\d{1,12}$/.test(ts))
    return { ok: false, status: 401, reason: 'malformed Wechatpay-Timestamp' }
  const now = Math.floor((opts.now ?? Date.now()) / 1000)
  if (Math.abs(now - Number(ts)) > MAX_SKEW_SECONDS)
    return { ok: false, status: 401, reason: 'stale Wechatpay-Timestamp (more than 5 minutes off)' }
  const key = opts.keys?.get(serial) ?? (serial === opts.platformPublicKeyId ? opts.platformPublicKeyPem : undefined)
  if (!key)
    return { ok: false, status: 401, reason: `unknown Wechatpay-Serial ${serial}` }
  let valid = false
  try {
    valid = Rsa.verify(Formatter.response(ts, nonce, opts.rawBody), signature, key)
  }
  catch {
    valid = false
  }
  if (!valid)
    return { ok: false, status: 401, reason: 'signature does not verify' }

  let notification: WechatNotification
  try {
    notification = JSON.parse(opts.rawBody) as WechatNotification
  }
  catch {
    return { ok: false, status: 400, reason: 'body is not JSON' }
  }
  const r = notification?.resource
  if (!r || r.algorithm !== 'AEAD_AES_256_GCM' || typeof r.ciphertext !== 'string' || typeof r.nonce !== 'string')
    return { ok: false, status: 400, reason: 'resource missing or not AEAD_AES_256_GCM' }
  let resource: unknown
  try {
    resource = JSON.parse(Aes.AesGcm.decrypt(r.ciphertext, opts.apiV3Key, r.nonce, r.associated_data ?? ''))
  }
  catch {
    return { ok: false, status: 400, reason: 'resource does not decrypt with the APIv3 key' }
  }
  if (typeof resource !== 'object' || resource === null)
    return { ok: false, status: 400, reason: 'resource is not a JSON object' }
  // A payment notification's resource is a transaction; a refund notification's (REFUND.*) is a refund.
  return { ok: true, notification, transaction: resource as WechatTransaction, resource, nonce }
}
