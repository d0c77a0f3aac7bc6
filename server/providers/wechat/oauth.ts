import { ProviderError } from '../errors'

/** WeChat's answers to a code that cannot be exchanged (used, unknown, expired). */
export const INVALID_CODE_ERRCODES = new Set([40029, 40163, 42003])

export class OAuthCodeError extends Error {
  constructor(readonly errcode: number, message: string) {
    super(message)
    this.name = 'OAuthCodeError'
  }
}

export interface WechatOAuthClient {
  /** snsapi_base authorize URL; `redirect_uri` is encoded exactly once, the parameter order is WeChat's. */
  authorizeUrl: (redirectUri: string, state: string) => string
  /** Exchanges a code for the openid, or throws OAuthCodeError / ProviderError. */
  exchangeCode: (code: string) => Promise<{ openid: string, isSnapshotUser: boolean }>
}

interface AccessTokenAnswer {
  openid?: string
  errcode?: number
  errmsg?: string
  is_snapshotuser?: number
}

export function createWechatOAuthClient(opts: {
  appId: string
  appSecret: string
  oauthBase: string
  apiBase: string
  timeoutMs?: number
  /** For code2session-style exchanges the path differs; default is the official account's. */
}): WechatOAuthClient {
  return {
    authorizeUrl: (redirectUri, state) =>
      `${opts.oauthBase}/connect/oauth2/authorize?appid=${opts.appId}&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`,
    async exchangeCode(code) {
      const qs = new URLSearchParams({ appid: opts.appId, secret: opts.appSecret, code, grant_type: 'authorization_code' })
      let answer: AccessTokenAnswer
      try {
        const res = await fetch(`${opts.apiBase}/sns/oauth2/access_token?${qs}`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 8000) })
        if (!res.ok)
          throw new ProviderError('unavailable', `HTTP_${res.status}`, `WeChat OAuth answered HTTP ${res.status}`, res.status)
        answer = await res.json() as AccessTokenAnswer
      }
      catch (e) {
        if (e instanceof ProviderError)
          throw e
        throw new ProviderError('unavailable', 'NETWORK', `WeChat OAuth unreachable: ${(e as Error).message}`)
      }
      if (answer.errcode !== undefined && answer.errcode !== 0) {
        if (INVALID_CODE_ERRCODES.has(answer.errcode))
          throw new OAuthCodeError(answer.errcode, answer.errmsg ?? 'invalid code')
        if (answer.errcode === -1)
          throw new ProviderError('unavailable', String(answer.errcode), `WeChat OAuth busy: ${answer.errmsg}`)
        throw new ProviderError('rejected', String(answer.errcode), `WeChat OAuth refused: ${answer.errcode} ${answer.errmsg}`)
      }
      if (!answer.openid)
        throw new ProviderError('rejected', 'NO_OPENID', 'WeChat OAuth answered without an openid')
      return { openid: answer.openid, isSnapshotUser: answer.is_snapshotuser === 1 }
    },
  }
}

export interface MiniProgramLogin {
  /** `jscode2session`: the openid under the mini program's appid. The session_key is dropped here. */
  exchange: (jsCode: string) => Promise<{ openid: string }>
}

export function createMiniProgramLogin(opts: { appId: string, secret: string, apiBase: string, timeoutMs?: number }): MiniProgramLogin {
  return {
    async exchange(jsCode) {
      const qs = new URLSearchParams({ appid: opts.appId, secret: opts.secret, js_code: jsCode, grant_type: 'authorization_code' })
      let answer: AccessTokenAnswer
      try {
        const res = await fetch(`${opts.apiBase}/sns/jscode2session?${qs}`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 8000) })
        if (!res.ok)
          throw new ProviderError('unavailable', `HTTP_${res.status}`, `WeChat login answered HTTP ${res.status}`, res.status)
        answer = await res.json() as AccessTokenAnswer
      }
      catch (e) {
        if (e instanceof ProviderError)
          throw e
        throw new ProviderError('unavailable', 'NETWORK', `WeChat login unreachable: ${(e as Error).message}`)
      }
      if (answer.errcode !== undefined && answer.errcode !== 0) {
        if (INVALID_CODE_ERRCODES.has(answer.errcode))
          throw new OAuthCodeError(answer.errcode, answer.errmsg ?? 'invalid code')
        if (answer.errcode === -1 || answer.errcode === 45011)
          throw new ProviderError('unavailable', String(answer.errcode), `WeChat login busy: ${answer.errmsg}`)
        throw new ProviderError('rejected', String(answer.errcode), `WeChat login refused: ${answer.errcode} ${answer.errmsg}`)
      }
      if (!answer.openid)
        throw new ProviderError('rejected', 'NO_OPENID', 'WeChat login answered without an openid')
      return { openid: answer.openid }
    },
  }
}
