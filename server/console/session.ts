/**
 * Console sign-in and sessions. A session is a row of `console_sessions` keyed by the SHA-256 of the cookie's value
 * (a database dump holds no usable session), with its CSRF token and the API key it was opened with. The cookie is
 * `uc_console` on Path=/console only: the cashier's session cookie (`uc_sid`) is never read here, and this cookie is
 * never read by the merchant API, which takes nothing but `Authorization: Bearer sk_…`.
 */
import type { Context } from 'hono'
import type { Buffer } from 'node:buffer'
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import { createHash, timingSafeEqual } from 'node:crypto'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { sql } from 'kysely'
import { checkApiKey } from '../merchant/api-keys'
import { newSessionId } from '../orders/ids'
import { newCsrfToken } from './csrf'

export const CONSOLE_COOKIE = 'uc_console'
export const CONSOLE_PATH = '/console'
/** A console session lasts this long from its login, however active. */
export const CONSOLE_SESSION_SECONDS = 12 * 3600

export interface ConsoleSession {
  /** SHA-256 (hex) of the cookie's value: the row's id. */
  id: string
  csrfToken: string
  /** The API key the session was opened with; null for the console password. */
  apiKeyId: string | null
  expiresAt: Date
}

export type LoginCheck = { ok: true, apiKeyId: string | null } | { ok: false }

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest()

/** Compares in time independent of where the strings differ and of their lengths (both are hashed first). */
export function passwordMatches(expected: string, given: string): boolean {
  return timingSafeEqual(sha256(expected), sha256(given))
}

/**
 * The secret typed into the login form: an API key (sk_…, existing and not revoked) or CONSOLE_PASSWORD (only when
 * it is set).
 */
export async function checkLoginSecret(db: Db, config: Pick<ServerConfig, 'consolePassword'>, secret: string): Promise<LoginCheck> {
  const given = secret.trim()
  if (!given || given.length > 256)
    return { ok: false }
  if (given.startsWith('sk_')) {
    const check = await checkApiKey(db, `Bearer ${given}`)
    return check.ok ? { ok: true, apiKeyId: check.key.id } : { ok: false }
  }
  if (config.consolePassword !== undefined && passwordMatches(config.consolePassword, given))
    return { ok: true, apiKeyId: null }
  return { ok: false }
}

/** Opens a session (always a new id: a session fixed before login is never reused); answers the cookie's value. */
export async function createConsoleSession(db: Db, apiKeyId: string | null): Promise<string> {
  const token = newSessionId()
  await db.insertInto('console_sessions').values({
    id: sha256(token).toString('hex'),
    csrf_token: newCsrfToken(),
    api_key_id: apiKeyId,
    expires_at: new Date(Date.now() + CONSOLE_SESSION_SECONDS * 1000),
  }).execute()
  return token
}

/**
 * The request's console session: unexpired, and still backed by what opened it (a revoked API key, or a password
 * session once CONSOLE_PASSWORD is unset, ends it at once).
 */
export async function readConsoleSession(c: Context, db: Db, config: Pick<ServerConfig, 'consolePassword'>): Promise<ConsoleSession | undefined> {
  const token = getCookie(c, CONSOLE_COOKIE)
  if (!token || !/^[\w-]{43}$/.test(token))
    return undefined
  const id = sha256(token).toString('hex')
  const row = await db.selectFrom('console_sessions')
    .leftJoin('api_keys', 'api_keys.id', 'console_sessions.api_key_id')
    .select(['console_sessions.id', 'console_sessions.csrf_token', 'console_sessions.api_key_id', 'console_sessions.expires_at', 'api_keys.revoked_at', 'api_keys.id as key_id'])
    .where('console_sessions.id', '=', id)
    .where('console_sessions.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
  if (!row)
    return undefined
  const backed = row.api_key_id === null ? config.consolePassword !== undefined : row.key_id !== null && row.revoked_at === null
  if (!backed) {
    await db.deleteFrom('console_sessions').where('id', '=', id).execute()
    return undefined
  }
  return { id: row.id, csrfToken: row.csrf_token, apiKeyId: row.api_key_id, expiresAt: new Date(row.expires_at) }
}

export async function destroyConsoleSession(db: Db, session: ConsoleSession): Promise<void> {
  await db.deleteFrom('console_sessions').where('id', '=', session.id).execute()
}

/** HttpOnly, SameSite=Strict, Path=/console, Secure when PUBLIC_URL is https. */
export function writeConsoleCookie(c: Context, token: string, secure: boolean): void {
  setCookie(c, CONSOLE_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure, path: CONSOLE_PATH, maxAge: CONSOLE_SESSION_SECONDS })
}

export function clearConsoleCookie(c: Context, secure: boolean): void {
  deleteCookie(c, CONSOLE_COOKIE, { httpOnly: true, sameSite: 'Strict', secure, path: CONSOLE_PATH })
}
