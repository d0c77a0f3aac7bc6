import { randomBytes } from 'node:crypto'

const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'

function randomAlnum(n: number): string {
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += ALNUM[b % ALNUM.length]
  return s
}

const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** `n` characters, 5 random bits each (a byte's low 5 bits: unbiased, as 32 divides 256). */
function randomBase32(n: number): string {
  let s = ''
  for (const b of randomBytes(n)) s += BASE32[b & 31]
  return s
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\D/g, '').slice(2, 14)
}

/**
 * An order number: `O` + 26 random characters of a 32-letter alphabet (130 bits). It is the only thing the public
 * cashier endpoints are asked by, so it cannot be guessed or enumerated; the shop's own (perhaps sequential) order id
 * is kept beside it and never appears in a customer-facing URL.
 */
export function newOrderNo(): string {
  return `O${randomBase32(26)}`
}

/** One provider order per attempt: `P` + yymmddHHMMss + 10 random (23 chars, within WeChat's 6–32). */
export function newOutTradeNo(now = new Date()): string {
  return `P${stamp(now)}${randomAlnum(10)}`
}

export function newAttemptId(): string {
  return `att_${randomBytes(12).toString('base64url')}`
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url')
}

export function newRefundId(): string {
  return `re_${randomBytes(12).toString('base64url')}`
}

/** Our refund number at the provider (WeChat out_refund_no ≤ 64, Alipay out_request_no ≤ 64): `R` + stamp + 12 random. */
export function newRefundNo(now = new Date()): string {
  return `R${stamp(now)}${randomAlnum(12)}`
}
