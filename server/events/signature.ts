/**
 * Webhook signatures: `Uni-Cashier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` over the
 * exact bytes sent. Several v1 values may appear while a secret is rotated. The shop checks it with verifyWebhook
 * (the same function is in docs/merchant-api.md and examples/shop/).
 */
import { Buffer } from 'node:buffer'
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'Uni-Cashier-Signature'
/** A signature older (or newer) than this is refused by verifyWebhook: a captured request cannot be replayed later. */
export const DEFAULT_TOLERANCE_SECONDS = 300

export function signWebhook(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return `t=${timestamp},v1=${v1}`
}

/** True when `header` carries a fresh v1 signature of `body` under `secret`. */
export function verifyWebhook(body: string, header: string | undefined, secret: string, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = Date.now()): boolean {
  if (!header)
    return false
  const parts = header.split(',').map(p => p.trim().split('='))
  const t = Number(parts.find(([k]) => k === 't')?.[1])
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds)
    return false
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'))
  return parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const given = Buffer.from(v ?? '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
