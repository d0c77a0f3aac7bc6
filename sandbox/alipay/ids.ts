/** Alipay identifier and time formats the sandbox hands out, shaped like the real ones. */
import { randomDigits, randomHex, randomString } from '../core/ids'

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (Alipay's timestamp, time_expire, gmt_* and notify_time). */
export function beijingDateTime(ms: number = Date.now()): string {
  const iso = new Date(ms + 8 * 3600_000).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** Parses a Beijing `yyyy-MM-dd HH:mm:ss` into ms since epoch; null when malformed or not a real date. */
export function parseBeijingDateTime(text: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text)
  if (!m)
    return null
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number)
  const ms = Date.UTC(y, mo - 1, d, h - 8, mi, s)
  return beijingDateTime(ms) === text ? ms : null
}

/** `yyyyMMdd` + `22001` + 15 digits = 28 digits, like `2026011522001412345678901234`. */
export function newAlipayTradeNo(ms: number = Date.now()): string {
  return `${beijingDateTime(ms).slice(0, 10).replaceAll('-', '')}22001${randomDigits(15)}`
}

/** `2088` + 12 digits: an Alipay user id. */
export function newAlipayUserId(): string {
  return `2088${randomDigits(12)}`
}

/** A per-app open id: `0` + 45 alphanumerics (the newer openid form). */
export function newAlipayOpenId(): string {
  return `0${randomString(45)}`
}

/** 32 hex characters, like a real auth_code. */
export function newAuthCode(): string {
  return randomHex(16)
}

/** `https://qr.alipay.com/bax…` precreate QR content. */
export function newQrCode(): string {
  return `https://qr.alipay.com/bax${randomString(20).toLowerCase()}${randomDigits(4)}`
}

/** 34 alphanumerics, like a real notify_id. */
export function newNotifyId(): string {
  return `2026${randomString(30)}`
}

/** `138****1234`: the masked logon id Alipay shows merchants. */
export function maskedLogonId(userId: string): string {
  return `138****${userId.slice(-4)}`
}
