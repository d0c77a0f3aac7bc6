/**
 * Simulated WeChat login, relative to the sandbox mount:
 *   GET /wechat/open/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state   (open.weixin.qq.com)
 *   GET /wechat/api/sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code       (api.weixin.qq.com)
 *   GET /wechat/api/sns/jscode2session?appid&secret&js_code&grant_type=authorization_code        (mini program login)
 * Codes are single-use and valid 5 minutes. API errors are JSON `{errcode, errmsg}` with HTTP 200, like WeChat.
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { OneTimeCode } from './types'
import { Buffer } from 'node:buffer'
import { Hono } from 'hono'
import { browserUser } from '../core/browser-user'
import { apiFault } from '../core/faults'
import { messagePage } from '../core/html'
import { randomHex, randomString } from '../core/ids'

export const CODE_TTL_MS = 5 * 60_000
const SCOPES = ['snsapi_base', 'snsapi_userinfo']

/** Inserts `code` and `state` into the query part of `redirectUri`, before any `#fragment`. */
export function addCodeToRedirect(redirectUri: string, code: string, state: string): string {
  const hashAt = redirectUri.indexOf('#')
  const base = hashAt < 0 ? redirectUri : redirectUri.slice(0, hashAt)
  const fragment = hashAt < 0 ? '' : redirectUri.slice(hashAt)
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'
  return `${base}${sep}code=${code}&state=${state}${fragment}`
}

function wxApiError(c: Context, errcode: number, errmsg: string): Response {
  return c.json({ errcode, errmsg: `${errmsg}, rid: ${randomHex(4)}-${randomHex(4)}` })
}

type CodeCheck = { ok: true, entry: OneTimeCode } | { ok: false, errcode: number, errmsg: string }

/** Consumes a one-time code: 40029 unknown (or another appid's), 40163 used, 42003 expired. */
function consumeCode(entry: OneTimeCode | undefined, appid: string): CodeCheck {
  if (!entry || entry.appid !== appid)
    return { ok: false, errcode: 40029, errmsg: 'invalid code' }
  if (entry.used)
    return { ok: false, errcode: 40163, errmsg: 'code been used' }
  if (Date.now() > entry.expiresAt)
    return { ok: false, errcode: 42003, errmsg: 'code expired' }
  entry.used = true
  return { ok: true, entry }
}

/** Routes of the simulated WeChat OAuth and mini program login. */
export function wechatOauth(ctx: SandboxContext): Hono {
  const app = new Hono()
  const wx = ctx.keys.wechat

  app.get('/wechat/open/connect/oauth2/authorize', (c) => {
    const { appid, redirect_uri: redirectUri, response_type: responseType, scope, state = '' } = c.req.query()
    if (appid !== wx.appId)
      return c.html(messagePage('参数错误：appid 无效', `invalid appid ${appid ?? ''}`), 400)
    if (responseType !== 'code')
      return c.html(messagePage('参数错误：response_type 必须为 code', 'response_type must be code'), 400)
    if (!SCOPES.includes(scope ?? ''))
      return c.html(messagePage('10005 此公众号并没有这些scope的权限', `scope must be snsapi_base or snsapi_userinfo, got ${scope ?? ''}`), 400)
    if (!/^[a-z0-9]{0,128}$/i.test(state))
      return c.html(messagePage('参数错误：state 只能是字母和数字，最多 128 字节', 'state must be [A-Za-z0-9]{0,128}'), 400)
    let target: URL | undefined
    try {
      target = new URL(redirectUri ?? '')
    }
    catch {}
    if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:'))
      return c.html(messagePage('10003 redirect_uri 参数错误', 'redirect_uri must be an absolute http(s) URL'), 400)
    const openid = ctx.store.openidFor(browserUser(c, ctx), appid)
    const code = randomString(32)
    ctx.store.oauthCodes.put(code, { appid, openid, scope, expiresAt: Date.now() + CODE_TTL_MS, used: false })
    ctx.log({ appid, openid, scope }, 'wechat oauth: code issued')
    return c.redirect(addCodeToRedirect(redirectUri!, code, state), 302)
  })

  app.get('/wechat/api/sns/oauth2/access_token', async (c) => {
    const { appid = '', secret, code = '', grant_type: grantType } = c.req.query()
    if (await apiFault(ctx.faults, 'oauth', ctx.random) === 'fail')
      return wxApiError(c, -1, 'system error')
    if (appid !== wx.appId)
      return wxApiError(c, 40013, 'invalid appid')
    if (secret !== wx.appSecret)
      return wxApiError(c, 40125, 'invalid appsecret')
    if (grantType !== 'authorization_code')
      return wxApiError(c, 40002, 'invalid grant_type')
    const checked = consumeCode(ctx.store.oauthCodes.get(code), appid)
    if (!checked.ok)
      return wxApiError(c, checked.errcode, checked.errmsg)
    return c.json({
      access_token: randomString(86),
      expires_in: 7200,
      refresh_token: randomString(86),
      openid: checked.entry.openid,
      scope: checked.entry.scope ?? 'snsapi_base',
    })
  })

  app.get('/wechat/api/sns/jscode2session', async (c) => {
    const { appid = '', secret, js_code: jsCode = '', grant_type: grantType } = c.req.query()
    if (await apiFault(ctx.faults, 'oauth', ctx.random) === 'fail')
      return wxApiError(c, -1, 'system error')
    if (appid !== wx.miniProgramAppId)
      return wxApiError(c, 40013, 'invalid appid')
    if (secret !== wx.miniProgramSecret)
      return wxApiError(c, 40125, 'invalid appsecret')
    if (grantType !== 'authorization_code')
      return wxApiError(c, 40002, 'invalid grant_type')
    const checked = consumeCode(ctx.store.jsCodes.get(jsCode), appid)
    if (!checked.ok)
      return wxApiError(c, checked.errcode, checked.errmsg)
    return c.json({ openid: checked.entry.openid, session_key: Buffer.from(randomHex(16), 'hex').toString('base64') })
  })

  return app
}

/** Issues a fresh single-use mini program `js_code` for `openid` (or a new user), as wx.login would. */
export function issueJsCode(ctx: SandboxContext, openid?: string): { js_code: string, openid: string, appid: string } | { error: string } {
  const appid = ctx.keys.wechat.miniProgramAppId
  let id = openid
  if (id === undefined) {
    id = ctx.store.openidFor(ctx.store.newUser(), appid)
  }
  else if (!/^[\w-]{1,128}$/.test(id) || !ctx.store.adoptOpenid(id, appid)) {
    return { error: `openid ${id} is malformed or belongs to another appid` }
  }
  const jsCode = randomString(32)
  ctx.store.jsCodes.put(jsCode, { appid, openid: id, expiresAt: Date.now() + CODE_TTL_MS, used: false })
  return { js_code: jsCode, openid: id, appid }
}
