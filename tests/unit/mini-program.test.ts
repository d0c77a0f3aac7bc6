import type { UniLogin } from '@/src/auth/mp-session'
import type { UniPayment } from '@/src/pay/drivers/wechat-mp'
import { describe, expect, it, vi } from 'vitest'
import { ensureMiniProgramSession, MiniProgramLoginError, SESSION_TOKEN_KEY, storedSessionToken } from '@/src/auth/mp-session'
import { payInMiniProgram } from '@/src/pay/drivers/wechat-mp'

const params = { timeStamp: '1700000000', nonceStr: 'N', package: 'prepay_id=wx1', signType: 'RSA' as const, paySign: 'sig' }

function fakeUni(answer: { ok: true } | { errMsg: string }): UniPayment & { calls: unknown[] } {
  const calls: unknown[] = []
  return {
    calls,
    requestPayment: (opts) => {
      calls.push(opts)
      if ('ok' in answer)
        opts.success()
      else
        opts.fail({ errMsg: answer.errMsg })
    },
  }
}

function fakeStorage(login: (s: (r: { code: string }) => void, f: (e: { errMsg?: string }) => void) => void): UniLogin & { store: Map<string, unknown> } {
  const store = new Map<string, unknown>()
  return {
    store,
    login: ({ success, fail }) => login(success, fail),
    getStorageSync: k => store.get(k) ?? '',
    setStorageSync: (k, v) => void store.set(k, v),
    removeStorageSync: k => void store.delete(k),
  }
}

describe('payInMiniProgram (uni.requestPayment)', () => {
  it.each([
    ['requestPayment:ok', { ok: true } as const, 'submitted'],
    ['requestPayment:fail cancel', { errMsg: 'requestPayment:fail cancel' }, 'cancelled'],
    ['requestPayment:fail (detail)', { errMsg: 'requestPayment:fail 调用支付JSAPI缺少参数' }, 'failed'],
  ])('%s → %s', async (_, answer, status) => {
    const u = fakeUni(answer)
    const outcome = await payInMiniProgram(params, u)
    expect(outcome.status).toBe(status)
    expect(u.calls[0]).toMatchObject({ provider: 'wxpay', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' })
    if (outcome.status === 'failed')
      expect(outcome.error.message).toContain('缺少参数')
  })

  it('never reports paid, only submitted', async () => {
    const outcome = await payInMiniProgram(params, fakeUni({ ok: true }))
    expect(outcome.status).not.toBe('paid')
  })
})

describe('mini-program session', () => {
  it('logs in once and stores only the opaque token', async () => {
    const u = fakeStorage(s => s({ code: 'CODE1' }))
    const create = vi.fn(async (code: string) => ({ sessionToken: `tok-${code}`, expiresAt: '2026-12-01T00:00:00Z' }))
    expect(await ensureMiniProgramSession(u, create)).toBe('tok-CODE1')
    expect(await ensureMiniProgramSession(u, create)).toBe('tok-CODE1')
    expect(create).toHaveBeenCalledTimes(1)
    expect([...u.store.entries()]).toEqual([[SESSION_TOKEN_KEY, 'tok-CODE1']])
    expect(storedSessionToken(u)).toBe('tok-CODE1')
  })

  it('an expired session is replaced by a fresh login', async () => {
    let n = 0
    const u = fakeStorage(s => s({ code: `CODE${++n}` }))
    const create = async (code: string) => ({ sessionToken: `tok-${code}`, expiresAt: '' })
    await ensureMiniProgramSession(u, create)
    expect(await ensureMiniProgramSession(u, create, { fresh: true })).toBe('tok-CODE2')
    expect(storedSessionToken(u)).toBe('tok-CODE2')
  })

  it('a failed uni.login rejects with MiniProgramLoginError and stores nothing', async () => {
    const u = fakeStorage((_, f) => f({ errMsg: 'login:fail network' }))
    await expect(ensureMiniProgramSession(u, async () => ({ sessionToken: 'x', expiresAt: '' }))).rejects.toBeInstanceOf(MiniProgramLoginError)
    expect(u.store.size).toBe(0)
  })

  it('a refused code at the server leaves no token behind', async () => {
    const u = fakeStorage(s => s({ code: 'USED' }))
    await expect(ensureMiniProgramSession(u, async () => {
      throw new Error('oauth_code_invalid')
    })).rejects.toThrow('oauth_code_invalid')
    expect(storedSessionToken(u)).toBeUndefined()
  })
})
