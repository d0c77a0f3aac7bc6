/**
 * The simulator's side of Alipay RSA2: it verifies requests and signs responses, notifications and returns.
 * Written apart from the client's own checks (server/providers/alipay/sign.ts) so that a mistake in one is not
 * repeated in the other.
 *
 * Two string-to-sign rules exist:
 * - requests: every parameter except `sign`, `sign_type` INCLUDED;
 * - notifications / returns: every parameter except `sign` AND `sign_type`.
 * Both drop empty values, sort keys by ASCII and join raw (not URL-encoded) `k=v` pairs with `&`.
 */
import type { KeyInput } from '../core/rsa'
import { rsaSign, rsaVerify } from '../core/rsa'

/** Form / query parameters as received; empty and missing values are left out of the signed string. */
export type AlipayParams = Record<string, string | null | undefined>

function signString(params: AlipayParams, exclude: ReadonlySet<string>): string {
  const kept = Object.entries(params).filter(([k, v]) => !exclude.has(k) && v !== undefined && v !== null && v !== '')
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return kept.map(([k, v]) => `${k}=${v}`).join('&')
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
  return !!sign && rsaVerify(requestSignString(params), sign, appPublicKeyPem)
}

/** Signs a notification (or return) parameter set with the Alipay private key. */
export function signNotify(params: AlipayParams, alipayPrivateKeyPem: KeyInput): string {
  return rsaSign(signString(params, NOTIFY_EXCLUDED), alipayPrivateKeyPem)
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
  const sign = rsaSign(innerJsonText, privateKeyPem)
  return `{${JSON.stringify(key)}:${innerJsonText},"sign":${JSON.stringify(sign)}}`
}
