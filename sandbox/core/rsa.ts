/** SHA256withRSA (PKCS#1 v1.5), the signature of both WeChat Pay v3 and Alipay RSA2. */
import type { KeyObject } from 'node:crypto'
import { Buffer } from 'node:buffer'
import { sign, verify } from 'node:crypto'

/** A PEM string (PKCS#1, PKCS#8 or SPKI) or an already parsed key. */
export type KeyInput = string | KeyObject

/** SHA256withRSA over the UTF-8 bytes of `message`, base64. */
export function rsaSign(message: string, privateKey: KeyInput): string {
  return sign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64')
}

/** Verifies a base64 SHA256withRSA signature; false (never throws) for malformed input. */
export function rsaVerify(message: string, signatureB64: string, publicKey: KeyInput): boolean {
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signatureB64, 'base64'))
  }
  catch {
    return false
  }
}
