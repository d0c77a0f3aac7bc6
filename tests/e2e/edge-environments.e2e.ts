import { expect, test } from '@playwright/test'
import { createOrder, newContext, orderStatus } from './support'

/** Real user agents from tests/fixtures/user-agents.json. */
const MINI_PROGRAM_WEBVIEW = 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.31(0x18001e31) NetType/WIFI Language/zh_CN miniProgram'
const WECOM = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.39 MicroMessenger/7.0.1 Language/zh ColorScheme/Light wwmver/3.26.38.377'
const WINDOWS_WECHAT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090c33) XWEB/14315'
const DINGTALK = 'Mozilla/5.0 (iPhone; CPU iPhone OS 14_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/18A373 AliApp(DingTalk/5.1.33) com.laiwang.DingTalk/13976299 Channel/201200 language/zh-Hans-CN WK'

test.describe('edge environments', () => {
  test('a mini-program web-view hands the order to the mini program and never calls JSAPI', async ({ browser }) => {
    const context = await newContext(browser, MINI_PROGRAM_WEBVIEW)
    // What WeChat provides inside a web-view: the environment flag and a bridge (recorded here).
    await context.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>
      w.__wxjs_environment = 'miniprogram'
      const invokes: Array<{ name: string, args: unknown }> = []
      w.__invokes = invokes
      w.WeixinJSBridge = {
        invoke: (name: string, args: unknown, cb: (r: { err_msg: string }) => void) => {
          invokes.push({ name, args })
          cb({ err_msg: `${name}:ok` })
        },
        on: () => {},
        call: () => {},
      }
    })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('progress')).toContainText('小程序')
    await expect.poll(() => page.evaluate(() => (window as unknown as { __invokes: Array<{ name: string }> }).__invokes.map(i => i.name))).toContain('invokeMiniProgramAPI')
    const invokes = await page.evaluate(() => (window as unknown as { __invokes: Array<{ name: string, args: { name?: string, arg?: { url?: string } } }> }).__invokes)
    const nav = invokes.find(i => i.name === 'invokeMiniProgramAPI')
    expect(nav?.args).toMatchObject({ name: 'navigateTo', arg: { url: `/pages/checkout/checkout?orderNo=${orderNo}` } })
    expect(invokes.map(i => i.name)).not.toContain('getBrandWCPayRequest')
    expect(await orderStatus(orderNo)).toBe('pending')
    await context.close()
  })

  for (const [name, ua, hint] of [['WeCom', WECOM, '企业微信'], ['WeChat for Windows', WINDOWS_WECHAT, '电脑版微信']] as const) {
    test(`${name} gets the Native QR code and is told why`, async ({ browser }) => {
      const context = await newContext(browser, ua)
      const page = await context.newPage()
      const { orderNo } = await createOrder()
      await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
      await expect(page.getByTestId('qr-canvas')).toBeVisible()
      await expect(page.getByTestId('hint')).toContainText(hint)
      await context.close()
    })
  }

  test('DingTalk sees the browser methods with an "open in your browser" hint and copy-link', async ({ browser }) => {
    const context = await newContext(browser, DINGTALK)
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('hint')).toContainText('在浏览器中打开')
    await expect(page.getByTestId('copy-link')).toBeVisible()
    await expect(page.locator('[data-method="wechat_h5"]')).toHaveAttribute('aria-checked', 'true')
    await context.close()
  })
})
