/**
 * What the Alipay client checks itself (alipay-sdk does the request signing): the RSA2 signature of async
 * notifications and returns, and of the inner JSON of a gateway response. Pure functions over node:crypto.
 *
 * The notification string-to-sign is every parameter except `sign` and `sign_type`, empty values dropped, keys
 * sorted by ASCII, raw (not URL-encoded) `k=v` pairs joined with `&`.
 */
import type { KeyObject } from 'node:crypto'
import { Buffer } from 'node:buffer'
import { verify } from 'node:crypto'

/** Form / query parameters as received; empty and missing values are left out of the signed string. */
export type AlipayParams = Record<string, string | null | undefined>

function rsa2Verify(message: string, signatureB64: string, publicKey: string | KeyObject): boolean {
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signatureB64, 'base64'))
  }
  catch {
    return false
  }
}

/** Notification / return string-to-sign (see above). */
export function notifySignString(params: AlipayParams): string {
  return Object.keys(params)
    .filter(k => k !== 'sign' && k !== 'sign_type')
    .filter(k => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .sort()
    .map(k => `${k}=${params[k]}`)
    .join('&')
}

/** Verifies `params.sign` of a notification (or return) with the Alipay public key. */
export function verifyNotify(params: AlipayParams, alipayPublicKeyPem: string | KeyObject): boolean {
  const sign = params.sign
  return !!sign && rsa2Verify(notifySignString(params), sign, alipayPublicKeyPem)
}

/** Verifies the signature over the inner JSON text of a gateway response. */
export function verifyResponse(innerJsonText: string, sign: string, publicKeyPem: string | KeyObject): boolean {
  return rsa2Verify(innerJsonText, sign, publicKeyPem)
}

/**
 * Cuts the signed inner JSON text and the sign out of a raw response text `{"<key>":<inner>,"sign":"…"}` without
 * re-serialising. Null when the key or the sign is missing.
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
