import { expect, test } from '@playwright/test'
import { createOrder, newContext, orderStatus, origin, saveScreen, setBridgeOutcome, UA } from './support'

test.describe('inside WeChat: OAuth + JSAPI', () => {
  test('checkout → OAuth round trip → JSAPI with a verified paySign → result paid from the server', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true })
    const page = await context.newPage()
    const { orderNo } = await createOrder({ amountFen: 1234 })
    const authorize: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/sandbox/wechat/open/connect/oauth2/authorize'))
        authorize.push(r.url())
    })
    const navigations: string[] = []
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame())
        navigations.push(f.url())
    })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await expect(page.getByTestId('result-paid')).toContainText('¥12.34')
    expect(await orderStatus(orderNo)).toBe('paid')
    // It went to the sandbox's authorize endpoint and came back with the code before the '#'.
    expect(authorize).toHaveLength(1)
    expect(authorize[0]).toContain('scope=snsapi_base')
    expect(navigations.some(u => /\?code=[^#]+&state=\w+#\/pages\/checkout/.test(u))).toBe(true)
    // The code never stays in the address bar.
    expect(page.url()).not.toContain('code=')
    const calls = await page.evaluate(() => (window as unknown as { __bridgeCalls: Array<{ params: { signType: string, package: string } }> }).__bridgeCalls)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.params.signType).toBe('RSA')
    expect(calls[0]!.params.package).toMatch(/^prepay_id=wx/)
    // The openid stays on the server: not in the address bar, nor in any storage the page can read.
    const trades = await (await fetch(`${origin}/sandbox/api/payments?status=paid`)).json() as { payments: Array<{ kind: string, transaction?: { payer?: { openid?: string } } }> }
    const openids = trades.payments.filter(p => p.kind === 'jsapi').map(p => p.transaction?.payer?.openid).filter(Boolean) as string[]
    expect(openids.length).toBeGreaterThan(0)
    const stored = await page.evaluate(() => JSON.stringify({ url: location.href, local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }))
    for (const openid of openids)
      expect(stored).not.toContain(openid)
    await saveScreen(page, 'wechat-jsapi-paid')
    await context.close()
  })

  test('one API round trip between the OAuth return and getBrandWCPayRequest', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    let returned = false
    const between: string[] = []
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame() && /\?code=/.test(f.url()))
        returned = true
    })
    page.on('request', (r) => {
      if (returned && new URL(r.url()).pathname.startsWith('/api/'))
        between.push(`${r.method()} ${new URL(r.url()).pathname}`)
    })
    await page.exposeFunction('__markBridge', () => {
      between.push('BRIDGE')
    })
    await page.addInitScript(() => {
      document.addEventListener('WeixinJSBridgeReady', () => {
        const b = (window as unknown as { WeixinJSBridge: { invoke: (...a: unknown[]) => unknown } }).WeixinJSBridge
        const inner = b.invoke.bind(b)
        b.invoke = (...a: unknown[]) => {
          void (window as unknown as { __markBridge: () => Promise<void> }).__markBridge()
          return inner(...a)
        }
      })
    })
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('result-paid')).toBeVisible()
    const beforeBridge = between.slice(0, between.indexOf('BRIDGE'))
    expect(beforeBridge).toEqual(['POST /api/payments'])
    await context.close()
  })

  test('cancel in the wallet: back on the checkout, and paying again works', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true, outcome: { wechat: 'cancel' } })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('notice')).toContainText('支付已取消')
    expect(await orderStatus(orderNo)).toBe('pending')
    await setBridgeOutcome(page, 'ok')
    await page.getByTestId('pay').click()
    await expect(page.getByTestId('result-paid')).toBeVisible()
    await context.close()
  })

  test('a failing wallet shows a specific error and leaves the order unpaid', async ({ browser }) => {
    const context = await newContext(browser, UA.wechatIphone, { bridge: true, outcome: { wechat: 'fail' } })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('notice')).toContainText('支付未完成')
    await expect(page.getByTestId('pay')).toBeEnabled()
    expect(await orderStatus(orderNo)).toBe('pending')
    await saveScreen(page, 'wechat-jsapi-failed')
    await context.close()
  })

  test('reloading right after the OAuth return neither replays the code nor authorises again', async ({ browser }) => {
    // The wallet is cancelled, so the page stays on the checkout to be reloaded.
    const context = await newContext(browser, UA.wechatIphone, { bridge: true, outcome: { wechat: 'cancel' } })
    const page = await context.newPage()
    const { orderNo } = await createOrder()
    await page.goto(`/#/pages/checkout/checkout?orderNo=${orderNo}`)
    await expect(page.getByTestId('notice')).toContainText('支付已取消')
    expect(page.url()).not.toContain('code=')
    const authorizations: string[] = []
    const paymentsAnswers: number[] = []
    page.on('request', (r) => {
      if (r.url().includes('/connect/oauth2/authorize'))
        authorizations.push(r.url())
    })
    page.on('response', (r) => {
      if (r.url().endsWith('/api/payments'))
        paymentsAnswers.push(r.status())
    })
    await page.reload()
    await expect(page.getByTestId('notice')).toContainText('支付已取消')
    expect(authorizations).toEqual([])
    expect(paymentsAnswers).toEqual([200])
    await context.close()
  })
})
