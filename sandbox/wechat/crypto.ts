/**
 * WeChat Pay API v3 cryptography: request/response signatures (SHA256withRSA), JSAPI paySign and the
 * AEAD_AES_256_GCM resource encryption used by notifications. Pure functions over node:crypto, no I/O.
 *
 * Every function takes the raw body string exactly as sent or received: never re-serialise JSON before
 * signing or verifying, the bytes must be identical.
 */
import type { KeyInput } from '../core/rsa'
import { Buffer } from 'node:buffer'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { rsaSign, rsaVerify } from '../core/rsa'

/** The scheme token of the `Authorization` header and the value of `Wechatpay-Signature-Type`. */
export const WECHATPAY_SCHEME = 'WECHATPAY2-SHA256-RSA2048'
/** Signatures starting with this are deliberate probes that a merchant must reject. */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/'
/** Default tolerated clock difference for timestamps (5 minutes). */
export const DEFAULT_MAX_SKEW_SECONDS = 300

/** The five `k="v"` fields of an `Authorization: WECHATPAY2-SHA256-RSA2048 …` header. */
export interface AuthorizationParams {
  mchid: string
  nonce_str: string
  signature: string
  timestamp: string
  serial_no: string
}

/** Outcome of a verification: `reason` says why it failed. */
export type VerifyResult<T = object> = ({ ok: true } & T) | { ok: false, reason: string }

function joinLines(...lines: string[]): string {
  return `${lines.join('\n')}\n`
}

/** A random nonce: 32 upper-case hex characters by default (as in the official examples). */
export function randomNonce(bytes = 16): string {
  return randomBytes(bytes).toString('hex').toUpperCase()
}

/** Current unix time in seconds, as a string. */
export function unixSeconds(nowMs: number = Date.now()): string {
  return String(Math.floor(nowMs / 1000))
}

/**
 * The 5-line request signature message `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
 * `urlPathWithQuery` is the path plus query exactly as sent (no scheme/host); body is '' for GET.
 */
export function buildRequestMessage(method: string, urlPathWithQuery: string, timestamp: string | number, nonce: string, body = ''): string {
  return joinLines(method.toUpperCase(), urlPathWithQuery, String(timestamp), nonce, body)
}

export interface SignRequestInput {
  mchId: string
  /** Merchant API certificate serial. */
  serial: string
  privateKeyPem: KeyInput
  method: string
  /** Path plus query exactly as sent, e.g. `/v3/pay/transactions/out-trade-no/T1?mchid=1900000100`. */
  url: string
  /** The exact body bytes that will be sent ('' or undefined for GET). */
  body?: string
  timestamp?: string | number
  nonce?: string
}

export interface SignedRequest {
  authorization: string
  timestamp: string
  nonce: string
  signature: string
  message: string
}

/** Signs a merchant request and returns the `Authorization` header value with its parts. */
export function signRequest(input: SignRequestInput): SignedRequest {
  const timestamp = String(input.timestamp ?? unixSeconds())
  const nonce = input.nonce ?? randomNonce()
  const message = buildRequestMessage(input.method, input.url, timestamp, nonce, input.body ?? '')
  const signature = rsaSign(message, input.privateKeyPem)
  const authorization = `${WECHATPAY_SCHEME} mchid="${input.mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${input.serial}"`
  return { authorization, timestamp, nonce, signature, message }
}

/** Just the `Authorization` header value for a merchant request. */
export function authorizationHeader(input: SignRequestInput): string {
  return signRequest(input).authorization
}

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`; null unless the scheme and all 5 fields are present. */
export function parseAuthorization(header: string | null | undefined): AuthorizationParams | null {
  if (!header)
    return null
  const trimmed = header.trim()
  const space = trimmed.indexOf(' ')
  if (space < 0 || trimmed.slice(0, space) !== WECHATPAY_SCHEME)
    return null
  const fields: Record<string, string> = {}
  for (const m of trimmed.slice(space + 1).matchAll(/([a-z_]+)="([^"]*)"/g))
    fields[m[1]] = m[2]
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no)
    return null
  return { mchid, nonce_str, signature, timestamp, serial_no }
}

/** Accepts a Date or epoch milliseconds; returns unix seconds. */
function toSeconds(now: Date | number | undefined): number {
  if (now instanceof Date)
    return Math.floor(now.getTime() / 1000)
  return Math.floor((now ?? Date.now()) / 1000)
}

function checkTimestamp(timestamp: string, now: Date | number | undefined, maxSkewSeconds: number): string | null {
  if (!/^\d{1,12}$/.test(timestamp))
    return `timestamp "${timestamp}" is not unix seconds`
  const skew = Math.abs(toSeconds(now) - Number(timestamp))
  if (skew > maxSkewSeconds)
    return `timestamp ${timestamp} is ${skew}s away from now (max ${maxSkewSeconds}s)`
  return null
}

export interface VerifyRequestInput {
  authorization: string | null | undefined
  method: string
  /** Path plus query exactly as received. */
  url: string
  /** Raw body as received ('' for GET). */
  body: string
  /** The merchant public key, or a lookup by certificate serial (undefined = unknown serial). */
  publicKeyPem: KeyInput | ((serial: string, mchid: string) => KeyInput | undefined)
  maxSkewSeconds?: number
  /** Date or epoch milliseconds; defaults to now. */
  now?: Date | number
}

/** Verifies a merchant request's `Authorization` header (scheme, fields, timestamp window, serial, RSA signature). */
export function verifyRequestSignature(input: VerifyRequestInput): VerifyResult<{ auth: AuthorizationParams }> {
  const auth = parseAuthorization(input.authorization)
  if (!auth)
    return { ok: false, reason: 'missing or malformed Authorization header' }
  const stale = checkTimestamp(auth.timestamp, input.now, input.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS)
  if (stale)
    return { ok: false, reason: stale }
  const key = typeof input.publicKeyPem === 'function' ? input.publicKeyPem(auth.serial_no, auth.mchid) : input.publicKeyPem
  if (!key)
    return { ok: false, reason: `unknown certificate serial_no ${auth.serial_no} for mchid ${auth.mchid}` }
  const message = buildRequestMessage(input.method, input.url, auth.timestamp, auth.nonce_str, input.body)
  if (!rsaVerify(message, auth.signature, key))
    return { ok: false, reason: 'signature does not match the request' }
  return { ok: true, auth }
}

/** The 3-line response/notification message `TIMESTAMP\nNONCE\nBODY\n`. */
export function buildResponseMessage(timestamp: string | number, nonce: string, body = ''): string {
  return joinLines(String(timestamp), nonce, body)
}

/** The `Wechatpay-*` headers that accompany every response and notification. */
export interface WechatpaySignatureHeaders {
  'Wechatpay-Timestamp': string
  'Wechatpay-Nonce': string
  'Wechatpay-Signature': string
  'Wechatpay-Serial': string
  'Wechatpay-Signature-Type': string
}

/** Signs a response or notification body with the WeChat Pay (platform) private key. */
export function signResponse(
  body: string,
  platformPrivateKeyPem: KeyInput,
  publicKeyId: string,
  opts: { timestamp?: string | number, nonce?: string } = {},
): WechatpaySignatureHeaders {
  const timestamp = String(opts.timestamp ?? unixSeconds())
  const nonce = opts.nonce ?? randomNonce()
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': rsaSign(buildResponseMessage(timestamp, nonce, body), platformPrivateKeyPem),
    'Wechatpay-Serial': publicKeyId,
    'Wechatpay-Signature-Type': WECHATPAY_SCHEME,
  }
}

/** Anything header-like: a fetch `Headers`, or a plain object whose keys may be in any case. */
export type HeaderSource = Headers | WechatpaySignatureHeaders | Record<string, string | string[] | undefined>

/** Case-insensitive header read. */
export function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined
  const wanted = name.toLowerCase()
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === wanted)
      return Array.isArray(v) ? v[0] : v
  }
  return undefined
}

export interface VerifyResponseOptions {
  maxSkewSeconds?: number
  /** Date or epoch milliseconds; defaults to now. */
  now?: Date | number
  /** When given, `Wechatpay-Serial` must equal it (the `PUB_KEY_ID_…` you hold the key for). */
  expectedSerial?: string
}

/**
 * Verifies a WeChat Pay response or notification: rejects `WECHATPAY/SIGNTEST/` probes, missing headers,
 * timestamps outside the window, an unexpected serial and bad signatures, each with a reason.
 */
export function verifyResponseSignature(
  headers: HeaderSource,
  body: string,
  publicKeyPem: KeyInput,
  opts: VerifyResponseOptions = {},
): VerifyResult<{ serial: string }> {
  const timestamp = readHeader(headers, 'Wechatpay-Timestamp')
  const nonce = readHeader(headers, 'Wechatpay-Nonce')
  const signature = readHeader(headers, 'Wechatpay-Signature')
  const serial = readHeader(headers, 'Wechatpay-Serial')
  if (!timestamp || !nonce || !signature || !serial)
    return { ok: false, reason: 'missing Wechatpay-Timestamp/Nonce/Signature/Serial header' }
  if (signature.startsWith(SIGNTEST_PREFIX))
    return { ok: false, reason: `signature probe (${SIGNTEST_PREFIX}) must be rejected` }
  const type = readHeader(headers, 'Wechatpay-Signature-Type')
  if (type && type !== WECHATPAY_SCHEME)
    return { ok: false, reason: `unsupported Wechatpay-Signature-Type ${type}` }
  const stale = checkTimestamp(timestamp, opts.now, opts.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS)
  if (stale)
    return { ok: false, reason: stale }
  if (opts.expectedSerial && serial !== opts.expectedSerial)
    return { ok: false, reason: `Wechatpay-Serial ${serial} is not ${opts.expectedSerial}` }
  if (!rsaVerify(buildResponseMessage(timestamp, nonce, body), signature, publicKeyPem))
    return { ok: false, reason: 'signature does not match the body' }
  return { ok: true, serial }
}

/** The 4-line JSAPI / mini program paySign message `appId\ntimeStamp\nnonceStr\npackage\n`. */
export function buildPaySignMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return joinLines(appId, timeStamp, nonceStr, pkg)
}

/** v3 JSAPI / mini program `paySign` (signType RSA) with the merchant private key; `pkg` is `prepay_id=…`. */
export function jsapiPaySign(appId: string, timeStamp: string, nonceStr: string, pkg: string, privateKeyPem: KeyInput): string {
  return rsaSign(buildPaySignMessage(appId, timeStamp, nonceStr, pkg), privateKeyPem)
}

/** Verifies a v3 `paySign` with the merchant public key. */
export function verifyJsapiPaySign(appId: string, timeStamp: string, nonceStr: string, pkg: string, paySign: string, publicKeyPem: KeyInput): boolean {
  return rsaVerify(buildPaySignMessage(appId, timeStamp, nonceStr, pkg), paySign, publicKeyPem)
}

const GCM_TAG_BYTES = 16

function gcmKey(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8')
  if (key.length !== 32)
    throw new RangeError(`APIv3 key must be 32 bytes, got ${key.length}`)
  return key
}

/** AEAD_AES_256_GCM encryption as WeChat does it: base64(ciphertext || 16-byte tag). */
export function aes256GcmEncrypt(plaintext: string, apiV3Key: string, nonce: string, aad = ''): string {
  const cipher = createCipheriv('aes-256-gcm', gcmKey(apiV3Key), Buffer.from(nonce, 'utf8'))
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64')
}

/** AEAD_AES_256_GCM decryption; the last 16 bytes are the tag. Throws when authentication fails. */
export function aes256GcmDecrypt(ciphertextB64: string, apiV3Key: string, nonce: string, aad = ''): string {
  const data = Buffer.from(ciphertextB64, 'base64')
  if (data.length < GCM_TAG_BYTES)
    throw new Error('ciphertext shorter than the GCM tag')
  const decipher = createDecipheriv('aes-256-gcm', gcmKey(apiV3Key), Buffer.from(nonce, 'utf8'))
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES))
  return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]).toString('utf8')
}
