import type { MiniProgramPayParams } from '../../../contract/api'
import type { PayOutcome } from '../outcome'

/** The slice of `uni` the mini-program driver uses (stubbed in tests). */
export interface UniPayment {
  requestPayment: (options: {
    provider: 'wxpay'
    orderInfo: Record<string, never>
    timeStamp: string
    nonceStr: string
    package: string
    signType: string
    paySign: string
    success: () => void
    fail: (err: { errMsg?: string }) => void
  }) => void
}

/** Maps `requestPayment`'s failure message: `requestPayment:fail cancel` is the customer backing out. */
export function mpFailureOutcome(err: { errMsg?: string } | undefined): PayOutcome {
  const msg = err?.errMsg ?? ''
  if (/cancel/i.test(msg))
    return { status: 'cancelled' }
  return { status: 'failed', error: { type: 'provider', message: msg || 'requestPayment failed', cause: err } }
}

/** Pays inside the mini program with `uni.requestPayment`. Success is only a claim the server confirms. */
export function payInMiniProgram(params: MiniProgramPayParams, u: UniPayment): Promise<PayOutcome> {
  return new Promise((resolve) => {
    u.requestPayment({
      provider: 'wxpay',
      orderInfo: {},
      ...params,
      success: () => resolve({ status: 'submitted' }),
      fail: err => resolve(mpFailureOutcome(err)),
    })
  })
}
