import { pageUrl } from '../routes'

/**
 * Inside a mini program's `<web-view>`, JSAPI pay is not allowed: hand the order to the mini program's
 * own checkout page with `wx.miniProgram.navigateTo`. `weixin-js-sdk` is loaded here, lazily, so it
 * reaches only pages that run in a mini-program web-view.
 */
export async function handOffToMiniProgram(orderNo: string, timeoutMs = 5000): Promise<void> {
  const { default: sdk } = await import('weixin-js-sdk')
  const inMiniProgram = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs, false)
    sdk.miniProgram.getEnv((res) => {
      clearTimeout(timer)
      resolve(Boolean(res?.miniprogram))
    })
  })
  if (!inMiniProgram)
    throw new Error('this page is not inside a mini program')
  await new Promise<void>((resolve, reject) => {
    sdk.miniProgram.navigateTo({
      url: pageUrl('checkout', { orderNo }),
      success: () => resolve(),
      fail: e => reject(new Error(e?.errMsg ?? 'navigateTo failed')),
    })
  })
}
