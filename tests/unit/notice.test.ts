import { describe, expect, it } from 'vitest'
import { ApiError } from '@/src/api/errors'
import { MiniProgramLoginError } from '@/src/auth/mp-session'
import { reactToError, reactToOutcome } from '@/src/pay/notice'

const apiError = (code: ApiError['code']) => new ApiError({ code, status: 400, message: `said ${code}` })

describe('what the customer is told', () => {
  it.each([
    ['order_not_found', 'error.order_not_found', false],
    ['order_expired', 'error.order_expired', false],
    ['order_not_payable', 'error.order_not_payable', false],
    ['network', 'error.network', true],
    ['timeout', 'error.network', true],
    ['provider_unavailable', 'error.provider', true],
    ['provider_error', 'error.provider', true],
    ['rate_limited', 'error.rate_limited', true],
    ['oauth_state_mismatch', 'error.oauth_state', true],
    ['oauth_code_invalid', 'error.oauth_failed', true],
  ] as const)('%s shows %s', (code, key, retry) => {
    expect(reactToError(apiError(code))).toEqual({ kind: 'notice', notice: { key, retry, tone: 'error' } })
  })

  it('an order already paid goes to the result page', () => {
    expect(reactToError(apiError('order_already_paid'))).toEqual({ kind: 'result' })
  })

  it('anything else shows its message', () => {
    expect(reactToError(apiError('internal_error'))).toMatchObject({ notice: { key: 'error.generic', values: { message: 'said internal_error' } } })
    expect(reactToError(new Error('boom'))).toMatchObject({ notice: { key: 'error.generic', values: { message: 'boom' } } })
    expect(reactToError(new MiniProgramLoginError('no code'))).toMatchObject({ notice: { key: 'error.login_failed' } })
  })

  it('a wallet\'s claim goes to the server, a cancel is no error', () => {
    expect(reactToOutcome({ status: 'submitted' }, 'wechat_jsapi')).toEqual({ kind: 'result', from: 'pay' })
    expect(reactToOutcome({ status: 'unknown' }, 'alipay_app')).toEqual({ kind: 'result', from: 'pay' })
    expect(reactToOutcome({ status: 'redirected' }, 'wechat_h5')).toEqual({ kind: 'stay' })
    expect(reactToOutcome({ status: 'cancelled' }, 'wechat_jsapi')).toMatchObject({ notice: { key: 'checkout.cancelled', tone: 'info' } })
  })

  it('a missing bridge names the wallet', () => {
    const unsupported = { status: 'failed', error: { type: 'unsupported', message: 'no bridge' } } as const
    expect(reactToOutcome(unsupported, 'alipay_app')).toMatchObject({ notice: { key: 'error.bridge_missing_alipay' } })
    expect(reactToOutcome(unsupported, 'wechat_jsapi')).toMatchObject({ notice: { key: 'error.bridge_missing' } })
    expect(reactToOutcome({ status: 'failed', error: { type: 'provider', message: 'declined' } }, 'wechat_jsapi')).toMatchObject({ notice: { key: 'error.wallet_failed', values: { message: 'declined' } } })
  })
})
