import type { AlipayJSBridge } from '@/src/pay/drivers/alipay-app'
import type { WeixinJSBridge } from '@/src/pay/drivers/wechat-jsapi'
import { describe, expectTypeOf, it } from 'vitest'

describe('globals', () => {
  it('declares the wallet bridges on window as optional', () => {
    expectTypeOf<Window['WeixinJSBridge']>().toEqualTypeOf<WeixinJSBridge | undefined>()
    expectTypeOf<Window['AlipayJSBridge']>().toEqualTypeOf<AlipayJSBridge | undefined>()
    expectTypeOf<Window['__wxjs_environment']>().toEqualTypeOf<string | undefined>()
  })

  it('declares iOS Safari\'s navigator.standalone as optional', () => {
    expectTypeOf<Navigator['standalone']>().toEqualTypeOf<boolean | undefined>()
  })

  it('declares VITE_API_BASE as possibly unset', () => {
    expectTypeOf<ImportMetaEnv['VITE_API_BASE']>().toEqualTypeOf<string | undefined>()
  })
})
