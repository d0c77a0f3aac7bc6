/**
 * Alipay OpenAPI (v2 gateway) RSA2 signatures: request signing, async notification (and return) signing,
 * and the signed `*_response` JSON. Pure functions over node:crypto, no I/O.
 *
 * Two string-to-sign rules exist:
 * - requests: every parameter except `sign`, `sign_type` INCLUDED;
 * - notifications / returns: every parameter except `sign` AND `sign_type`.
 * Both drop empty values, sort keys by ASCII and join raw (not URL-encoded) `k=v` pairs with `&`.
 */
import type { KeyInput } from './wechatpay'
import { rsaSign, rsaVerify } from './wechatpay'

/** Form / query parameters as received; empty and missing values are left out of the signed string. */
export type AlipayParams = Record<string, string | null | undefined>

function signString(params: AlipayParams, exclude: ReadonlySet<string>): string {
  return Object.keys(params)
    .filter(k => !exclude.has(k))
    .filter((k) => {
      const v = params[k]
      return v !== undefined && v !== null && v !== ''
    })
    .sort()
    .map(k => `${k}=${params[k]}`)
    .join('&')
}

const REQUEST_EXCLUDED = new Set(['sign'])
const NOTIFY_EXCLUDED = new Set(['sign', 'sign_type'])

/** Request string-to-sign: all params except `sign` (sign_type included), empty values dropped, sorted, raw values. */
export function requestSignString(params: AlipayParams): string {
  return signString(params, REQUEST_EXCLUDED)
}

/** RSA2 (SHA256withRSA) request signature with the merchant app private key, base64. */
export function signRequest(params: AlipayParams, appPrivateKeyPem: KeyInput): string {
  return rsaSign(requestSignString(params), appPrivateKeyPem)
}

/** Verifies `params.sign` over the request string-to-sign with the merchant app public key. */
export function verifyRequest(params: AlipayParams, appPublicKeyPem: KeyInput): boolean {
  const sign = params.sign
  if (!sign)
    return false
  return rsaVerify(requestSignString(params), sign, appPublicKeyPem)
}

/** Notification / return string-to-sign: all params except `sign` and `sign_type`, empty values dropped, sorted. */
export function notifySignString(params: AlipayParams): string {
  return signString(params, NOTIFY_EXCLUDED)
}

/** Signs a notification (or return) parameter set with the Alipay private key. */
export function signNotify(params: AlipayParams, alipayPrivateKeyPem: KeyInput): string {
  return rsaSign(notifySignString(params), alipayPrivateKeyPem)
}

/** Verifies `params.sign` of a notification (or return) with the Alipay public key. */
export function verifyNotify(params: AlipayParams, alipayPublicKeyPem: KeyInput): boolean {
  const sign = params.sign
  if (!sign)
    return false
  return rsaVerify(notifySignString(params), sign, alipayPublicKeyPem)
}

/** Signs the inner JSON text of a gateway response exactly as it will be emitted. */
export function signResponse(innerJsonText: string, privateKeyPem: KeyInput): string {
  return rsaSign(innerJsonText, privateKeyPem)
}

/** Verifies the signature over the inner JSON text of a gateway response. */
export function verifyResponse(innerJsonText: string, sign: string, publicKeyPem: KeyInput): boolean {
  return rsaVerify(innerJsonText, sign, publicKeyPem)
}

/** `alipay.trade.query` → `alipay_trade_query_response`. */
export function responseKey(method: string): string {
  return `${method.replaceAll('.', '_')}_response`
}

/**
 * Builds the raw gateway response text `{"<method_with_underscores>_response":<inner>,"sign":"…"}`,
 * the sign covering `innerJsonText` byte for byte. Pass `key` to emit e.g. `error_response` instead.
 */
export function buildSignedResponse(method: string, innerJsonText: string, privateKeyPem: KeyInput, key: string = responseKey(method)): string {
  const sign = signResponse(innerJsonText, privateKeyPem)
  return `{${JSON.stringify(key)}:${innerJsonText},"sign":${JSON.stringify(sign)}}`
}

/**
 * Cuts the signed inner JSON text and the sign out of a raw response text (the inverse of buildSignedResponse),
 * without re-serialising. Null when the key or the sign is missing.
 */
export function extractSignedResponse(rawText: string, key: string): { content: string, sign: string } | null {
  const start = rawText.indexOf(`${JSON.stringify(key)}:`)
  const signAt = rawText.lastIndexOf(',"sign":"')
  if (start < 0 || signAt < start)
    return null
  const content = rawText.slice(start + key.length + 3, signAt).trim()
  const signMatch = /^,"sign":"([^"]*)"/.exec(rawText.slice(signAt))
  if (!signMatch)
    return null
  return { content, sign: signMatch[1] }
}
