import { describe, expectTypeOf, it } from 'vitest'
import { pageUrl } from '@/src/routes'

describe('page routes', () => {
  it('takes each page\'s own query', () => {
    expectTypeOf(pageUrl('checkout', { orderNo: 'O1' })).toEqualTypeOf<string>()
    expectTypeOf(pageUrl('result', { orderNo: 'O1', from: 'pay' })).toEqualTypeOf<string>()
    // @ts-expect-error: the checkout needs its order
    pageUrl('checkout', {})
    // @ts-expect-error: there is no such page
    pageUrl('cart', { orderNo: 'O1' })
    // @ts-expect-error: `from` says which way the customer came back, nothing else
    pageUrl('result', { orderNo: 'O1', from: 'email' })
  })
})
