/** Every way the cashier can take a payment. Values are shared with the server's contract. */
export const PAY_METHODS = [
  'wechat_jsapi',
  'wechat_h5',
  'wechat_native',
  'wechat_mp',
  'alipay_app',
  'alipay_wap',
  'alipay_qr',
] as const

export type PayMethod = typeof PAY_METHODS[number]

export type PayProvider = 'wechat' | 'alipay'

export function providerOf(method: PayMethod): PayProvider {
  return method.startsWith('wechat') ? 'wechat' : 'alipay'
}

export function isPayMethod(value: unknown): value is PayMethod {
  return typeof value === 'string' && (PAY_METHODS as readonly string[]).includes(value)
}
