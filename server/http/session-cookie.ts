import type { Context } from 'hono'
import type { SessionRow } from '../sessions/store'
import { getCookie, setCookie } from 'hono/cookie'

export const SESSION_COOKIE = 'uc_sid'
/** The mini program has no cookies: it sends the same opaque id in this header. */
export const SESSION_HEADER = 'x-session-token'

/**
 * Before a payer id is bound there is no session row: the cookie holds only the OAuth state this browser waits for,
 * as `oauth-<state>` (the state is not secret — it travels in the authorisation URL — what matters is that only this
 * browser sends it back with the code).
 */
const PENDING_PREFIX = 'oauth-'
const PENDING_MAX_AGE_S = 30 * 60

export function readSessionId(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE) ?? c.req.header(SESSION_HEADER)
}

/** The OAuth state a browser without a session waits for (from its cookie), if any. */
export function readPendingOAuthState(c: Context): string | undefined {
  const raw = getCookie(c, SESSION_COOKIE)
  if (!raw?.startsWith(PENDING_PREFIX))
    return undefined
  const state = raw.slice(PENDING_PREFIX.length)
  return /^[A-Z0-9]{8,64}$/i.test(state) ? state : undefined
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

/** The same cookie, holding the state of an authorisation this browser starts (no row is written). */
export function writePendingOAuthCookie(c: Context, state: string, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, `${PENDING_PREFIX}${state}`, {
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    path: '/',
    maxAge: PENDING_MAX_AGE_S,
  })
}
