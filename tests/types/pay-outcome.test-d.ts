import type { PayError, PayOutcome } from '@/src/pay/outcome'
import { describe, expectTypeOf, it } from 'vitest'

describe('payOutcome', () => {
  it('has an error exactly when it failed', () => {
    expectTypeOf<Extract<PayOutcome, { status: 'failed' }>['error']>().toEqualTypeOf<PayError>()
    expectTypeOf<Exclude<PayOutcome, { status: 'failed' }>['error']>().toEqualTypeOf<undefined>()
  })

  it('narrows by status and by error alike', () => {
    const outcome = {} as PayOutcome
    if (outcome.error) {
      expectTypeOf(outcome.status).toEqualTypeOf<'failed'>()
      expectTypeOf(outcome.error.type).toEqualTypeOf<'unsupported' | 'provider' | 'invalid_params' | 'network'>()
    }
    if (outcome.status !== 'failed') {
      // @ts-expect-error: only a failed outcome carries an error to read
      void outcome.error.message
    }
  })

  it('never says paid: only the server does', () => {
    expectTypeOf<'paid'>().not.toMatchTypeOf<PayOutcome['status']>()
  })
})
