import type { AlipayHarness } from './alipay-harness'
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signNotify } from '../../sandbox/alipay/sign'
import { AlipayAuthCodeError, createAlipayClient, toAlipayTime } from '../../server/providers/alipay/client'
import { amountMatches, checkAlipayNotification } from '../../server/providers/alipay/notify'
import { ProviderError } from '../../server/providers/errors'
import { control, newOutTradeNo, notificationsOf, startAlipayHarness, waitFor } from './alipay-harness'

let h: AlipayHarness

beforeAll(async () => {
  h = await startAlipayHarness()
})

beforeEach(async () => {
  await control(h, 'DELETE', '/faults')
})

afterAll(async () => {
  await h?.close()
})

const inAnHour = (): Date => new Date(Date.now() + 3600_000)

function order(amountFen = 1230, subject = '测试商品 Test item'): { outTradeNo: string, amountFen: number, subject: string, notifyUrl: string, timeExpire: Date } {
  return { outTradeNo: newOutTradeNo(), amountFen, subject, notifyUrl: h.notifyUrl, timeExpire: inAnHour() }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  }
  catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

/** Authorizes in the sandbox (cookie jar optional) and returns the auth_code, the redirect and the cookie. */
async function authorize(cookie?: string): Promise<{ code: string, location: string, cookie: string }> {
  const url = h.client.authorizeUrl('http://127.0.0.1:5173/index.html?x=1#/pages/pay/index?id=9', 'st8')
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  expect(res.status).toBe(302)
  const location = res.headers.get('location')!
  const jar = cookie ?? res.headers.get('set-cookie')!.split(';')[0]
  return { code: new URL(location).searchParams.get('auth_code')!, location, cookie: jar }
}

describe('alipay client: helpers', () => {
  it('formats time_expire in Beijing time', () => {
    expect(toAlipayTime(new Date('2024-01-01T04:00:00Z'))).toBe('2024-01-01 12:00:00')
    expect(toAlipayTime(new Date('2024-12-31T16:30:05Z'))).toBe('2025-01-01 00:30:05')
  })

  it.each([
    ['0.10', 10, true],
    ['0.1', 10, true],
    ['12.30', 1230, true],
    ['100000000.00', 10_000_000_000, true],
    ['0.10', 11, false],
    ['1.001', 100, false],
    ['01.00', 100, false],
    ['1,00', 100, false],
    ['', 0, false],
    [' 1.00', 100, false],
    ['1.00', 100.5, false],
  ] as const)('amountMatches(%j, %d) is %s', (yuan, fen, expected) => {
    expect(amountMatches(yuan, fen)).toBe(expected)
  })

  it('authorizeUrl encodes redirect_uri once', () => {
    const url = new URL(h.client.authorizeUrl('https://m.example.com/pay?a=1&b=2#/x', 's1'))
    expect(url.pathname).toBe('/sandbox/alipay/oauth/oauth2/publicAppAuthorize.htm')
    expect(url.searchParams.get('app_id')).toBe(h.keys.alipay.appId)
    expect(url.searchParams.get('scope')).toBe('auth_base')
    expect(url.searchParams.get('redirect_uri')).toBe('https://m.example.com/pay?a=1&b=2#/x')
    expect(url.search).toContain('redirect_uri=https%3A%2F%2Fm.example.com%2Fpay%3Fa%3D1%26b%3D2%23%2Fx&')
  })
})

describe('alipay client: checkAlipayNotification', () => {
  const sellerId = '2088000000000001'
  function signed(overrides: Record<string, string> = {}): Record<string, string> {
    const params: Record<string, string> = {
      notify_type: 'trade_status_sync',
      notify_id: 'n1',
      app_id: h.keys.alipay.appId,
      seller_id: sellerId,
      out_trade_no: 'O1',
      trade_no: '2026010122001400000000000001',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '0.10',
      sign_type: 'RSA2',
      ...overrides,
    }
    params.sign = signNotify(params, h.keys.alipay.alipayPrivateKeyPem)
    return params
  }
  const check = (p: Record<string, string>): ReturnType<typeof checkAlipayNotification> =>
    checkAlipayNotification(p, { appId: h.keys.alipay.appId, sellerId, verify: h.client.verifyNotify })

  it('accepts a well-signed notification', () => {
    expect(check(signed())).toEqual({ ok: true, outTradeNo: 'O1', tradeNo: '2026010122001400000000000001', tradeStatus: 'TRADE_SUCCESS', totalAmount: '0.10', notifyId: 'n1' })
  })

  it('401 before anything else when the signature fails', () => {
    const p = signed({ app_id: '2021000000000000' })
    expect(check({ ...p, total_amount: '100.00' })).toMatchObject({ ok: false, status: 401 })
    expect(check({ ...signed(), sign: '' })).toMatchObject({ ok: false, status: 401 })
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    const forged = { ...signed(), sign: signNotify(signed(), other.privateKey) }
    expect(check(forged)).toMatchObject({ ok: false, status: 401 })
  })

  it('400 for a foreign app_id or seller_id and malformed fields', () => {
    expect(check(signed({ app_id: '2021000000000000' }))).toMatchObject({ ok: false, status: 400 })
    expect(check(signed({ seller_id: '2088999999999999' }))).toMatchObject({ ok: false, status: 400 })
    const anySeller = checkAlipayNotification(signed({ seller_id: '2088999999999999' }), { appId: h.keys.alipay.appId, verify: h.client.verifyNotify })
    expect(anySeller).toMatchObject({ ok: true })
    expect(check(signed({ total_amount: '1.001' }))).toMatchObject({ ok: false, status: 400 })
    expect(check(signed({ trade_status: 'PAID' }))).toMatchObject({ ok: false, status: 400 })
    expect(check(signed({ trade_no: '' }))).toMatchObject({ ok: false, status: 400 })
  })
})

describe('alipay client against the sandbox', () => {
  it('precreate → query WAIT_BUYER_PAY → pay → notification → query TRADE_SUCCESS', async () => {
    const o = order(10)
    const { qrCode } = await h.client.precreate(o)
    expect(qrCode).toMatch(/^https:\/\/qr\.alipay\.com\/bax\w+$/)
    const waiting = await h.client.query(o.outTradeNo)
    expect(waiting).toMatchObject({ outTradeNo: o.outTradeNo, tradeStatus: 'WAIT_BUYER_PAY', totalAmount: '0.10' })
    expect(waiting!.tradeNo).toMatch(/^20\d{26}$/)

    expect((await control(h, 'POST', '/alipay/pay', { qr_code: qrCode })).status).toBe(200)
    const [n] = await waitFor(() => notificationsOf(h, o.outTradeNo).length > 0 && notificationsOf(h, o.outTradeNo))
    expect(n.verified).toBe(true)
    expect(n.contentType).toBe('application/x-www-form-urlencoded; charset=utf-8')
    expect(n.verdict).toMatchObject({ ok: true, tradeStatus: 'TRADE_SUCCESS', totalAmount: '0.10', tradeNo: waiting!.tradeNo })
    expect(amountMatches(n.params.total_amount, o.amountFen)).toBe(true)
    expect(n.params).toMatchObject({ notify_type: 'trade_status_sync', app_id: h.keys.alipay.appId, auth_app_id: h.keys.alipay.appId, seller_id: h.keys.alipay.sellerId, charset: 'utf-8', version: '1.0', sign_type: 'RSA2', subject: o.subject, receipt_amount: '0.10', buyer_pay_amount: '0.10' })
    expect(n.params.buyer_id).toMatch(/^2088\d{12}$/)
    expect(n.params.gmt_payment).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    expect(n.params.notify_time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    expect(JSON.parse(n.params.fund_bill_list)).toEqual([{ amount: '0.10', fundChannel: 'ALIPAYACCOUNT' }])

    expect(await h.client.query(o.outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', totalAmount: '0.10' })
    const closing = await rejection(h.client.close(o.outTradeNo))
    expect(closing).toBeInstanceOf(ProviderError)
    expect(closing).toMatchObject({ kind: 'rejected', providerCode: 'ACQ.TRADE_STATUS_ERROR' })
  })

  it('query of an unknown trade is null; close of an unknown trade is fine; close then TRADE_CLOSED', async () => {
    expect(await h.client.query('NO_SUCH_TRADE_1')).toBeNull()
    await expect(h.client.close('NO_SUCH_TRADE_1')).resolves.toBeUndefined()
    const o = order()
    await h.client.precreate(o)
    await h.client.close(o.outTradeNo)
    await h.client.close(o.outTradeNo)
    expect(await h.client.query(o.outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED' })
    expect((await control(h, 'POST', '/alipay/pay', { out_trade_no: o.outTradeNo })).status).toBe(409)
  })

  it('same out_trade_no: same amount is the same trade, another amount ACQ.CONTEXT_INCONSISTENT', async () => {
    const o = order(500)
    const a = await h.client.precreate(o)
    const b = await h.client.precreate(o)
    expect(b.qrCode).toBe(a.qrCode)
    const slashed = order(500, 'A/B = C&D')
    await h.client.precreate(slashed)
    expect((await control(h, 'GET', '/payments?status=pending')).json.payments.find((p: { out_trade_no: string }) => p.out_trade_no === slashed.outTradeNo).description).toBe('A B   C D')
    const err = await rejection(h.client.precreate({ ...o, amountFen: 501 }))
    expect(err).toMatchObject({ kind: 'rejected', providerCode: 'ACQ.CONTEXT_INCONSISTENT', retryable: false })
  })

  it('wap.pay: signed GET URL; no trade until the cashier opens; pay → signed return_url + notification', async () => {
    const o = order(1)
    const url = h.client.wapPayUrl({ ...o, returnUrl: 'http://127.0.0.1:5173/index.html#/pages/result/index?o=1', quitUrl: 'http://127.0.0.1:5173/index.html#/pages/checkout/index' })
    expect(url.startsWith(`${h.gateway}?`)).toBe(true)
    const u = new URL(url)
    expect(u.searchParams.get('method')).toBe('alipay.trade.wap.pay')
    const biz = JSON.parse(u.searchParams.get('biz_content')!) as Record<string, string>
    expect(biz).toMatchObject({ out_trade_no: o.outTradeNo, total_amount: '0.01', product_code: 'QUICK_WAP_WAY', subject: o.subject })
    expect(biz.time_expire).toBe(toAlipayTime(o.timeExpire))

    expect(await h.client.query(o.outTradeNo)).toBeNull()
    const page = await fetch(url)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('确认付款')
    expect(html).toContain('¥0.01')
    expect(html).toContain('测试商品 Test item')
    expect(html).toContain('/sandbox/api/alipay')
    expect(await h.client.query(o.outTradeNo)).toMatchObject({ tradeStatus: 'WAIT_BUYER_PAY', totalAmount: '0.01' })

    const paid = await control(h, 'POST', '/alipay/pay', { out_trade_no: o.outTradeNo })
    expect(paid.json).toMatchObject({ ok: true, already_paid: false, trade: { trade_status: 'TRADE_SUCCESS' } })
    const back = paid.json.return_url as string
    expect(back).toMatch(/^http:\/\/127\.0\.0\.1:5173\/index\.html\?[^#]+#\/pages\/result\/index\?o=1$/)
    const returned = Object.fromEntries(new URL(back.replace('#/pages/result/index?o=1', '')).searchParams)
    expect(returned).toMatchObject({ method: 'alipay.trade.wap.pay.return', out_trade_no: o.outTradeNo, total_amount: '0.01', seller_id: h.keys.alipay.sellerId, app_id: h.keys.alipay.appId })
    expect(h.client.verifyNotify(returned)).toBe(true)
    expect(h.client.verifyNotify({ ...returned, total_amount: '100.00' })).toBe(false)

    await waitFor(() => notificationsOf(h, o.outTradeNo).length > 0)
    expect(await h.client.query(o.outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS' })
    expect((await control(h, 'POST', '/alipay/pay', { out_trade_no: o.outTradeNo })).json.already_paid).toBe(true)
    expect(await (await fetch(url)).text()).toContain('交易已被支付')
  })

  it('oauth: auth_code in the query before the #fragment; user_id and open_id; same browser same user; codes single-use', async () => {
    const first = await authorize()
    expect(first.location).toMatch(/^http:\/\/127\.0\.0\.1:5173\/index\.html\?x=1&app_id=\d+&source=alipay_wallet&scope=auth_base&auth_code=[0-9a-f]{32}&state=st8#\/pages\/pay\/index\?id=9$/)
    const buyer = await h.client.exchangeAuthCode(first.code)
    expect(buyer.userId).toMatch(/^2088\d{12}$/)
    expect(buyer.openId).toMatch(/^0\w{45}$/)

    const used = await rejection(h.client.exchangeAuthCode(first.code))
    expect(used).toBeInstanceOf(AlipayAuthCodeError)
    expect(used).toMatchObject({ subCode: 'isv.code-invalid' })
    expect(await rejection(h.client.exchangeAuthCode('0000'))).toBeInstanceOf(AlipayAuthCodeError)

    const again = await authorize(first.cookie)
    expect(await h.client.exchangeAuthCode(again.code)).toEqual(buyer)
    const stranger = await authorize()
    expect((await h.client.exchangeAuthCode(stranger.code)).userId).not.toBe(buyer.userId)
  })

  it('create with buyer_id and with buyer_open_id (after OAuth); unknown buyers are refused', async () => {
    const buyer = await h.client.exchangeAuthCode((await authorize()).code)
    const byId = order()
    const { tradeNo } = await h.client.create({ ...byId, buyer: { userId: buyer.userId } })
    expect(tradeNo).toMatch(/^20\d{26}$/)
    expect(await h.client.query(byId.outTradeNo)).toMatchObject({ tradeNo, tradeStatus: 'WAIT_BUYER_PAY' })
    const again = await h.client.create({ ...byId, buyer: { userId: buyer.userId } })
    expect(again.tradeNo).toBe(tradeNo)

    const byOpenId = order()
    const created = await h.client.create({ ...byOpenId, buyer: { openId: buyer.openId } })
    expect(created.tradeNo).toMatch(/^\d{28}$/)

    const stranger = await rejection(h.client.create({ ...order(), buyer: { userId: '2088000000000000' } }))
    expect(stranger).toMatchObject({ kind: 'rejected', providerCode: 'ACQ.INVALID_PARAMETER' })
    const otherBuyer = await h.client.exchangeAuthCode((await authorize()).code)
    expect(await rejection(h.client.create({ ...byId, buyer: { userId: otherBuyer.userId! } }))).toMatchObject({ providerCode: 'ACQ.CONTEXT_INCONSISTENT' })
  })

  it('a forged request signature is refused with isv.invalid-signature (not retryable)', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    const forger = createAlipayClient(
      { appId: h.keys.alipay.appId, privateKeyPem: other.privateKey, alipayPublicKeyPem: h.keys.alipay.alipayPublicKeyPem },
      { gateway: h.gateway, oauthBase: h.oauthBase },
    )
    const err = await rejection(forger.precreate(order()))
    expect(err).toBeInstanceOf(ProviderError)
    expect(err).toMatchObject({ kind: 'rejected', providerCode: 'isv.invalid-signature', retryable: false })
  })

  it('a tampered response signature → bad_signature', async () => {
    const proxy = await h.listen(async (req) => {
      const url = new URL(req.url)
      const res = await fetch(`${h.origin}${url.pathname}${url.search}`, { method: req.method, headers: { 'Content-Type': req.headers.get('Content-Type') ?? '' }, body: req.method === 'POST' ? await req.text() : undefined })
      const text = await res.text()
      return new Response(text.replace(/"trade_status":"(\w+)"/, '"trade_status":"TRADE_SUCCESS"').replace(/"qr_code":"https:\\\/\\\/qr\.alipay\.com\\\/bax/, '"qr_code":"https:\\/\\/evil.example.com\\/bax'), { status: res.status, headers: { 'Content-Type': 'application/json' } })
    })
    const ali = h.keys.alipay
    const victim = createAlipayClient({ appId: ali.appId, privateKeyPem: ali.appPrivateKeyPem, alipayPublicKeyPem: ali.alipayPublicKeyPem }, { gateway: `${proxy}/sandbox/alipay/gateway.do`, oauthBase: h.oauthBase })
    const o = order()
    expect(await rejection(victim.precreate(o))).toMatchObject({ kind: 'bad_signature', retryable: true })
    expect(await rejection(victim.query(o.outTradeNo))).toMatchObject({ kind: 'bad_signature' })

    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    const misconfigured = createAlipayClient({ appId: ali.appId, privateKeyPem: ali.appPrivateKeyPem, alipayPublicKeyPem: wrongKey.publicKey }, { gateway: h.gateway, oauthBase: h.oauthBase })
    expect(await rejection(misconfigured.query(o.outTradeNo))).toMatchObject({ kind: 'bad_signature' })
    // an error_response whose sign does not verify is not trusted either
    expect(await rejection(misconfigured.exchangeAuthCode('nope'))).toMatchObject({ kind: 'bad_signature' })
  })

  it('20000 (failApiRate), timeouts and an unreachable gateway → unavailable (retryable)', async () => {
    await control(h, 'PUT', '/faults', { failApiRate: 1, apiOps: ['query'] })
    const o = order()
    await h.client.precreate(o)
    expect(await rejection(h.client.query(o.outTradeNo))).toMatchObject({ kind: 'unavailable', providerCode: 'isp.unknow-error', retryable: true })

    await control(h, 'PUT', '/faults', { failApiRate: 1, apiOps: ['oauth'] })
    expect(await rejection(h.client.exchangeAuthCode((await authorize()).code))).toMatchObject({ kind: 'unavailable' })

    await control(h, 'PUT', '/faults', { failApiRate: 0, slowApiMs: 2500, apiOps: ['query'] })
    const ali = h.keys.alipay
    const impatient = createAlipayClient({ appId: ali.appId, privateKeyPem: ali.appPrivateKeyPem, alipayPublicKeyPem: ali.alipayPublicKeyPem }, { gateway: h.gateway, oauthBase: h.oauthBase, timeoutMs: 300 })
    // undici's timers are coarse: the 300 ms timeout fires within about a second, well before the 2.5 s reply
    expect(await rejection(impatient.query(o.outTradeNo))).toMatchObject({ kind: 'unavailable', providerCode: 'NETWORK' })

    const nowhere = createAlipayClient({ appId: ali.appId, privateKeyPem: ali.appPrivateKeyPem, alipayPublicKeyPem: ali.alipayPublicKeyPem }, { gateway: 'http://127.0.0.1:9/gateway.do', oauthBase: h.oauthBase })
    expect(await rejection(nowhere.query(o.outTradeNo))).toMatchObject({ kind: 'unavailable' })
  })
})
