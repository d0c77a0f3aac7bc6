/** The simulated WeChat user of a browser, remembered in the `sandbox_wx_user` cookie so one browser keeps one openid per appid. */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import { getCookie, setCookie } from 'hono/cookie'

export const USER_COOKIE = 'sandbox_wx_user'

/** The browser's sandbox user id (hex), created and set as a cookie on first sight. */
export function browserUser(c: Context, ctx: SandboxContext): string {
  const existing = getCookie(c, USER_COOKIE)
  if (existing && /^[0-9a-f]{24}$/.test(existing))
    return existing
  const id = ctx.store.newUser()
  setCookie(c, USER_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 365 * 24 * 3600 })
  return id
}

/** The browser's user id if it already has one (no cookie is set). */
export function knownBrowserUser(c: Context): string | undefined {
  const existing = getCookie(c, USER_COOKIE)
  return existing && /^[0-9a-f]{24}$/.test(existing) ? existing : undefined
}
