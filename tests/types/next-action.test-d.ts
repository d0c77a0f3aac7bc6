import type { PaymentAction, PaymentActionKind } from '@/contract/api'
import type { ActionContext, ActionHandlers, ActionStep } from '@/src/pay/next-action'
import { describe, expectTypeOf, it } from 'vitest'
import { actionHandlers } from '@/src/pay/next-action'

describe('next action', () => {
  it('has a handler for every kind of PaymentAction, and nothing else', () => {
    expectTypeOf<keyof typeof actionHandlers>().toEqualTypeOf<PaymentActionKind>()
    expectTypeOf<keyof ActionHandlers>().toEqualTypeOf<PaymentAction['kind']>()
  })

  it('hands each handler its own kind of action', () => {
    expectTypeOf(actionHandlers.qrcode).parameter(0).toEqualTypeOf<Extract<PaymentAction, { kind: 'qrcode' }>>()
    expectTypeOf(actionHandlers.jsapi).parameter(0).toHaveProperty('params')
    expectTypeOf(actionHandlers.redirect).parameter(1).toEqualTypeOf<ActionContext>()
    expectTypeOf(actionHandlers.mp).returns.toEqualTypeOf<ActionStep | Promise<ActionStep>>()
  })

  it('refuses a handler table that misses a kind', () => {
    // @ts-expect-error: the table must cover every kind
    const partial: ActionHandlers = { qrcode: actionHandlers.qrcode }
    void partial
  })
})
