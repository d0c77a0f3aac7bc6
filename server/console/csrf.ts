/**
 * Cross-site request forgery: every console POST must come from a page of this server (Origin, or Referer when a
 * browser sends no Origin) and, once logged in, carry the session's token in the hidden `_csrf` field.
 */
import type { Context } from 'hono'
import { Buffer } from 'node:buffer'
import { randomBytes, timingSafeEqual } from 'node:crypto'

export const CSRF_FIELD = '_csrf'

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url')
}

export function csrfTokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string')
    return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function originOf(value: string | undefined): string | undefined {
  if (!value || value === 'null')
    return undefined
  try {
    return new URL(value).origin
  }
  catch {
    return undefined
  }
}

/**
 * True when the request says it comes from PUBLIC_URL's origin or the origin it was addressed to (the Host header a
 * browser cannot forge across sites). A request naming neither Origin nor Referer is refused.
 */
export function sameOrigin(c: Context, publicUrl: string): boolean {
  const from = originOf(c.req.header('origin')) ?? (c.req.header('origin') === undefined ? originOf(c.req.header('referer')) : undefined)
  if (!from)
    return false
  return from === new URL(publicUrl).origin || from === new URL(c.req.url).origin
}
