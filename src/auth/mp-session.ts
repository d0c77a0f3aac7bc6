import type { MiniProgramSessionResponse } from '../../contract/api'

/** The slice of `uni` mini-program login uses (stubbed in tests). */
export interface UniLogin {
  login: (options: { provider: 'weixin', success: (res: { code: string }) => void, fail: (err: { errMsg?: string }) => void }) => void
  getStorageSync: (key: string) => unknown
  setStorageSync: (key: string, value: unknown) => void
  removeStorageSync: (key: string) => void
}

export const SESSION_TOKEN_KEY = 'uc.sessionToken'

export class MiniProgramLoginError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message)
    this.name = 'MiniProgramLoginError'
  }
}

/** The stored opaque token (never the openid, never the session_key), if any. */
export function storedSessionToken(u: Pick<UniLogin, 'getStorageSync'>): string | undefined {
  const v = u.getStorageSync(SESSION_TOKEN_KEY)
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

export function forgetSessionToken(u: Pick<UniLogin, 'removeStorageSync'>): void {
  u.removeStorageSync(SESSION_TOKEN_KEY)
}

function loginCode(u: UniLogin): Promise<string> {
  return new Promise((resolve, reject) => {
    u.login({
      provider: 'weixin',
      success: res => res.code ? resolve(res.code) : reject(new MiniProgramLoginError('uni.login returned no code')),
      fail: err => reject(new MiniProgramLoginError(err?.errMsg ?? 'uni.login failed', err)),
    })
  })
}

/**
 * A session token for the mini program: the stored one, or a fresh login
 * (`uni.login` → code → server → jscode2session) stored with `uni.setStorageSync`.
 */
export async function ensureMiniProgramSession(
  u: UniLogin,
  createSession: (code: string) => Promise<MiniProgramSessionResponse>,
  opts: { fresh?: boolean } = {},
): Promise<string> {
  if (!opts.fresh) {
    const existing = storedSessionToken(u)
    if (existing)
      return existing
  }
  forgetSessionToken(u)
  const code = await loginCode(u)
  const { sessionToken } = await createSession(code)
  u.setStorageSync(SESSION_TOKEN_KEY, sessionToken)
  return sessionToken
}
