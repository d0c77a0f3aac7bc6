/** Identifier and time formats the sandbox hands out, shaped like the real ones. */
import { randomBytes, randomInt } from 'node:crypto'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const OPENID_CHARS = `${ALNUM}-_`

/** Random string over `alphabet` (defaults to [A-Za-z0-9]). */
export function randomString(length: number, alphabet = ALNUM): string {
  let s = ''
  for (let i = 0; i < length; i++)
    s += alphabet[randomInt(alphabet.length)]
  return s
}

/** Random decimal digits. */
export function randomDigits(length: number): string {
  return randomString(length, '0123456789')
}

/** Lower-case hex of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** `wx` + 32 lower-hex characters. */
export function newPrepayId(): string {
  return `wx${randomHex(16)}`
}

/** 28 characters starting with `o`, like a real openid. */
export function newOpenid(): string {
  return `o${randomString(27, OPENID_CHARS)}`
}

/** `4200…` 28 digits. */
export function newTransactionId(): string {
  return `4200${randomDigits(24)}`
}

/** `EV-` + 20 digits. */
export function newEventId(): string {
  return `EV-${randomDigits(20)}`
}

/** RFC 3339 in Beijing time, e.g. `2024-01-01T12:00:00+08:00`. */
export function rfc3339Beijing(ms: number = Date.now()): string {
  const shifted = new Date(ms + 8 * 3600_000)
  return `${shifted.toISOString().slice(0, 19)}+08:00`
}
