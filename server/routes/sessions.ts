import type { Services } from '../services'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { HttpError } from '../http/errors'
import { errorResponses, MpSession, MpSessionCreated } from '../http/schemas'
import { providerFailure } from '../payments/errors'
import { ProviderError } from '../providers/errors'
import { OAuthCodeError } from '../providers/wechat/oauth'

const mpSessionRoute = createRoute({
  method: 'post',
  path: '/api/mp/session',
  tags: ['sessions'],
  summary: 'Mini program login: trade a uni.login code for an opaque session token',
  description: 'The server exchanges the code at jscode2session and keeps the openid (and drops the session_key). The token goes back in the X-Session-Token header of later requests.',
  request: { body: { required: true, content: { 'application/json': { schema: MpSession } } } },
  responses: {
    201: { description: 'A session token', content: { 'application/json': { schema: MpSessionCreated } } },
    ...errorResponses(400, 409, 413, 422, 502),
  },
})

export function sessionRoutes(s: Services) {
  const app = new OpenAPIHono()
  app.openapi(mpSessionRoute, async (c) => {
    const mp = s.providers.wechat?.miniProgram
    if (!mp)
      throw new HttpError(422, 'method_not_allowed', 'no mini program is configured on this server')
    const { code } = c.req.valid('json')
    let openid: string
    try {
      openid = (await mp.login.exchange(code)).openid
    }
    catch (e) {
      if (e instanceof OAuthCodeError)
        throw new HttpError(409, 'oauth_code_invalid', `the login code cannot be used (errcode ${e.errcode}); call uni.login again`)
      if (e instanceof ProviderError)
        throw providerFailure(e, s.log, 'mini program login')
      throw e
    }
    const session = await s.sessions.create({ wechat_mp_openid: openid })
    return c.json({ sessionToken: session.id, expiresAt: new Date(session.expires_at).toISOString() }, 201)
  })
  return app
}
