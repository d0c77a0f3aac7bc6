import { randomBytes } from 'node:crypto'

const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'

function randomAlnum(n: number): string {
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += ALNUM[b % ALNUM.length]
  return s
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\D/g, '').slice(2, 14)
}

/** A merchant order number: `O` + yymmddHHMMss + 6 random (19 chars). */
export function newOrderNo(now = new Date()): string {
  return `O${stamp(now)}${randomAlnum(6)}`
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
