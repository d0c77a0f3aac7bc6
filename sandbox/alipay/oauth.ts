/**
 * Simulated Alipay web authorization, relative to the sandbox mount:
 *   GET /alipay/oauth/oauth2/publicAppAuthorize.htm?app_id&scope&redirect_uri&state   (openauth.alipay.com)
 * → 302 to redirect_uri with app_id, source, scope, auth_code and state (before any #fragment); one Alipay user
 * per browser. The code is redeemed through the gateway method alipay.system.oauth.token (see oauthToken).
 * Codes are single-use and valid 5 minutes.
 */
import type { SandboxContext } from '../context'
import type { AliError } from './gateway-http'
import { Hono } from 'hono'
import { browserUser } from '../core/browser-user'
import { randomString } from '../core/ids'
import { aliError } from './gateway-http'
import { alipayMessagePage } from './html'
import { beijingDateTime, newAuthCode } from './ids'
import { withQuery } from './urls'
import { isHttpUrl } from './validate'

export const AUTH_CODE_TTL_MS = 5 * 60_000
const SCOPES = ['auth_base', 'auth_user']

/** Routes of the simulated authorization page. */
export function alipayOauth(ctx: SandboxContext): Hono {
  const app = new Hono()

  app.get('/alipay/oauth/oauth2/publicAppAuthorize.htm', (c) => {
    const { app_id: appId = '', scope = '', redirect_uri: redirectUri = '', state = '' } = c.req.query()
    if (appId !== ctx.keys.alipay.appId)
      return c.html(alipayMessagePage('参数错误：app_id 无效', `invalid app_id ${appId}`), 400)
    const scopes = scope.split(',')
    if (scope === '' || !scopes.every(s => SCOPES.includes(s)))
      return c.html(alipayMessagePage('参数错误：scope 无效', `scope must be auth_base or auth_user, got ${scope}`), 400)
    if (state.length > 100)
      return c.html(alipayMessagePage('参数错误：state 长度不能超过 100', 'state must be at most 100 characters'), 400)
    if (!isHttpUrl(redirectUri))
      return c.html(alipayMessagePage('参数错误：redirect_uri 无效', 'redirect_uri must be an absolute http(s) URL'), 400)
    const { userId, openId } = ctx.store.alipay.userFor(browserUser(c, ctx), appId)
    const code = newAuthCode()
    ctx.store.alipay.authCodes.put(code, { appId, userId, openId, scope, expiresAt: Date.now() + AUTH_CODE_TTL_MS, used: false })
    ctx.log({ app_id: appId, user_id: userId, scope }, 'alipay oauth: auth_code issued')
    return c.redirect(withQuery(redirectUri, { app_id: appId, source: 'alipay_wallet', scope, auth_code: code, state }), 302)
  })

  return app
}

/**
 * alipay.system.oauth.token: `grant_type=authorization_code` and `code` are top-level parameters.
 * Returns the response fields (user_id and open_id) or an error for `error_response`.
 */
export function oauthToken(ctx: SandboxContext, params: Record<string, string>): Record<string, unknown> | AliError {
  const grantType = params.grant_type
  if (!grantType)
    return aliError('40001', 'isv.missing-parameter', '缺少必选参数 grant_type')
  if (grantType !== 'authorization_code')
    return aliError('40002', 'isv.grant-type-invalid', `不支持的 grant_type ${grantType} (the sandbox only supports authorization_code)`)
  const code = params.code ?? ''
  const entry = ctx.store.alipay.authCodes.get(code)
  if (!entry || entry.appId !== params.app_id || entry.used || Date.now() > entry.expiresAt)
    return aliError('40002', 'isv.code-invalid', '授权码code无效')
  entry.used = true
  return {
    user_id: entry.userId,
    open_id: entry.openId,
    access_token: `authbseB${randomString(32)}`,
    expires_in: 1296000,
    refresh_token: `authbseB${randomString(32)}`,
    re_expires_in: 2592000,
    auth_start: beijingDateTime(),
  }
}
