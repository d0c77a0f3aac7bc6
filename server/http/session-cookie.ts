import type { Context } from 'hono'
import type { SessionRow } from '../sessions/store'
import { getCookie, setCookie } from 'hono/cookie'

export const SESSION_COOKIE = 'uc_sid'
/** The mini program has no cookies: it sends the same opaque id in this header. */
export const SESSION_HEADER = 'x-session-token'

export function readSessionId(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE) ?? c.req.header(SESSION_HEADER)
}

/** HttpOnly, SameSite=Lax (the OAuth return is a top-level GET), Secure behind https. */
export function writeSessionCookie(c: Context, session: SessionRow, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, session.id, {
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    path: '/',
    maxAge: 7 * 24 * 3600,
  })
}
