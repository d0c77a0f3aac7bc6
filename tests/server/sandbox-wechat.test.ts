import type { ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Sandbox, SandboxKeys } from '../../sandbox/types'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Script } from 'node:vm'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import pkg from 'wechatpay-axios-plugin'
import { createSandbox } from '../../sandbox/index'
import { ensureSandboxKeys } from '../../sandbox/keys'
import {
  aes256GcmDecrypt,
  authorizationHeader,
  jsapiPaySign,
  randomNonce,
  verifyResponseSignature,
} from '../../sandbox/wechat/crypto'

// The package's typings only describe the default export; at runtime the CommonJS module carries every class.
const { Wechatpay } = pkg as unknown as typeof import('wechatpay-axios-plugin')

const H5_DOMAIN = '127.0.0.1:5173'

interface Received {
  path: string
  headers: Record<string, string>
  body: string
  verified: boolean
  reason?: string
  at: number
}

interface WxReply {
  status: number
  text: string
  json: Record<string, unknown>
  verified: boolean
  headers: Headers
}

let dataDir: string
let keys: SandboxKeys
let sandbox: Sandbox
let origin: string
let receiverOrigin: string
const servers: ServerType[] = []
const received: Received[] = []
/** out_trade_no → how many more notification replies should be 500 */
const failNext = new Map<string, number>()

function listen(app: { fetch: (req: Request, env: unknown) => Response | Promise<Response> }): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`))
    servers.push(server)
  })
}

async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v)
      return v
    if (Date.now() > until)
      throw new Error('timed out waiting')
    await new Promise(r => setTimeout(r, 20))
  }
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** A tiny WeChat Pay v3 client made from the crypto module. */
async function wx(method: string, path: string, body?: unknown, opts: { tamper?: (b: string) => string, timestamp?: number } = {}): Promise<WxReply> {
  const url = `/sandbox/wechatpay${path}`
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  const w = keys.wechat
  const authorization = authorizationHeader({ mchId: w.mchId, serial: w.merchantSerial, privateKeyPem: w.merchantPrivateKeyPem, method, url, body: text, timestamp: opts.timestamp })
  const sent = opts.tamper ? opts.tamper(text) : text
  const res = await fetch(`${origin}${url}`, {
    method,
    headers: { 'Authorization': authorization, 'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': 'test' },
    body: method === 'GET' ? undefined : sent,
  })
  const replyText = await res.text()
  const verified = verifyResponseSignature(res.headers, replyText, w.platformPublicKeyPem, { expectedSerial: w.platformPublicKeyId }).ok
  return { status: res.status, text: replyText, json: replyText ? JSON.parse(replyText) as Record<string, unknown> : {}, verified, headers: res.headers }
}

// any: the control API answers many shapes; the assertions check them.
async function control(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> {
  const res = await fetch(`${origin}/sandbox/api${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() as any }
}

let seq = 0
function outTradeNo(): string {
  seq++
  return `T${Date.now()}${seq}`
}

function orderBody(kind: 'jsapi' | 'h5' | 'native', overrides: Record<string, unknown> = {}, openid?: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    appid: keys.wechat.appId,
    mchid: keys.wechat.mchId,
    description: '测试商品 Test item',
    out_trade_no: outTradeNo(),
    notify_url: `${receiverOrigin}/notify`,
    amount: { total: 100, currency: 'CNY' },
  }
  if (kind === 'jsapi')
    body.payer = { openid }
  if (kind === 'h5')
    body.scene_info = { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } }
  return { ...body, ...overrides }
}

/** OAuth in one go: authorize (with cookie jar) + exchange → openid. */
async function oauthOpenid(cookie?: string): Promise<{ openid: string, cookie: string }> {
  const redirect = encodeURIComponent('http://127.0.0.1:5173/index.html#/pages/pay/index')
  const res = await fetch(`${origin}/sandbox/wechat/open/connect/oauth2/authorize?appid=${keys.wechat.appId}&redirect_uri=${redirect}&response_type=code&scope=snsapi_base&state=s1#wechat_redirect`, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  const location = new URL(res.headers.get('location')!)
  const setCookie = res.headers.get('set-cookie')
  const jar = cookie ?? setCookie!.split(';')[0]
  const token = await (await fetch(`${origin}/sandbox/wechat/api/sns/oauth2/access_token?appid=${keys.wechat.appId}&secret=${keys.wechat.appSecret}&code=${location.searchParams.get('code')}&grant_type=authorization_code`)).json() as { openid: string }
  return { openid: token.openid, cookie: jar }
}

async function decryptNotification(r: Received): Promise<Record<string, unknown>> {
  const { resource } = JSON.parse(r.body) as { resource: { ciphertext: string, nonce: string, associated_data: string } }
  return JSON.parse(aes256GcmDecrypt(resource.ciphertext, keys.wechat.apiV3Key, resource.nonce, resource.associated_data)) as Record<string, unknown>
}

function notificationsFor(otn: string): Received[] {
  return received.filter(r => r.verified && r.body.includes('"TRANSACTION.SUCCESS"') && r.headers['x-otn'] === otn)
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sandbox-test-'))
  keys = ensureSandboxKeys(dataDir)

  const receiver = new Hono()
  receiver.post('/notify', async (c) => {
    const body = await c.req.text()
    const headers: Record<string, string> = {}
    c.req.raw.headers.forEach((v, k) => {
      headers[k] = v
    })
    const check = verifyResponseSignature(headers, body, keys.wechat.platformPublicKeyPem, { expectedSerial: keys.wechat.platformPublicKeyId })
    const entry: Received = { path: c.req.path, headers, body, verified: check.ok, reason: check.ok ? undefined : check.reason, at: Date.now() }
    received.push(entry)
    if (!check.ok)
      return c.json({ code: 'FAIL', message: '失败' }, 401)
    const txn = await decryptNotification(entry)
    const otn = String(txn.out_trade_no)
    entry.headers['x-otn'] = otn
    const remaining = failNext.get(otn) ?? 0
    if (remaining > 0) {
      failNext.set(otn, remaining - 1)
      return c.json({ code: 'FAIL', message: '失败' }, 500)
    }
    return c.body(null, 204)
  })
  receiver.post('/accept-all', c => c.json({ code: 'SUCCESS', message: '成功' }))
  receiverOrigin = await listen(receiver)

  let handler: ((req: Request, env: unknown) => Response | Promise<Response>) | undefined
  origin = await listen({ fetch: (req, env) => handler!(req, env) })
  sandbox = createSandbox({ keys, publicUrl: origin, timeScale: 0.001, h5Domain: H5_DOMAIN })
  const root = new Hono()
  root.route('/sandbox', sandbox.app)
  handler = (req, env) => root.fetch(req, env as object)
})

beforeEach(async () => {
  await control('DELETE', '/faults')
})

afterAll(async () => {
  await sandbox?.close()
  await Promise.all(servers.map(s => new Promise(r => s.close(r))))
  rmSync(dataDir, { recursive: true, force: true })
})

describe('sandbox keys', () => {
  it('are written with mode 0600 and reloaded unchanged', () => {
    const file = join(dataDir, 'sandbox-keys.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(ensureSandboxKeys(dataDir)).toEqual(keys)
    const w = keys.wechat
    expect(w.appId).toMatch(/^wx[0-9a-f]{16}$/)
    expect(w.mchId).toMatch(/^19\d{8}$/)
    expect(w.merchantSerial).toMatch(/^[0-9A-F]{40}$/)
    expect(w.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d{32}$/)
    expect(w.apiV3Key).toHaveLength(32)
    expect(w.merchantPrivateKeyPem).toContain('BEGIN PRIVATE KEY')
    expect(keys.alipay.appId).toMatch(/^2021\d{12}$/)
    expect(keys.alipay.sellerId).toMatch(/^2088\d{12}$/)
  })
})

describe('wechat oauth', () => {
  it('redirects with code and state placed before the #fragment, keeps one openid per browser, codes are single-use', async () => {
    const redirect = 'http://127.0.0.1:5173/index.html?from=qr#/pages/pay/index?id=9'
    const authorize = `${origin}/sandbox/wechat/open/connect/oauth2/authorize?appid=${keys.wechat.appId}&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&scope=snsapi_base&state=abc123`
    const first = await fetch(authorize, { redirect: 'manual' })
    expect(first.status).toBe(302)
    const location = first.headers.get('location')!
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:5173\/index\.html\?from=qr&code=[A-Za-z0-9]+&state=abc123#\/pages\/pay\/index\?id=9$/)
    const code = new URL(location).searchParams.get('code')!
    const cookie = first.headers.get('set-cookie')!.split(';')[0]
    expect(cookie).toMatch(/^sandbox_wx_user=/)

    const exchange = (c: string, secret = keys.wechat.appSecret, appid = keys.wechat.appId): Promise<Record<string, unknown>> =>
      fetch(`${origin}/sandbox/wechat/api/sns/oauth2/access_token?appid=${appid}&secret=${secret}&code=${c}&grant_type=authorization_code`).then(r => r.json() as Promise<Record<string, unknown>>)
    const token = await exchange(code)
    expect(token).toMatchObject({ expires_in: 7200, scope: 'snsapi_base' })
    expect(token.openid).toMatch(/^o[\w-]{27}$/)
    expect(typeof token.access_token).toBe('string')
    expect(typeof token.refresh_token).toBe('string')
    expect(await exchange(code)).toMatchObject({ errcode: 40163 })
    expect(await exchange('nope')).toMatchObject({ errcode: 40029 })

    const again = await fetch(authorize, { redirect: 'manual', headers: { cookie } })
    const code2 = new URL(again.headers.get('location')!).searchParams.get('code')!
    expect(await exchange(code2, 'wrong')).toMatchObject({ errcode: 40125 })
    expect(await exchange(code2, keys.wechat.appSecret, 'wx0000000000000000')).toMatchObject({ errcode: 40013 })
    expect((await exchange(code2)).openid).toBe(token.openid)

    const other = await oauthOpenid()
    expect(other.openid).not.toBe(token.openid)
  })

  it('rejects unknown appid, bad scope and bad state with a 400 page', async () => {
    const base = `${origin}/sandbox/wechat/open/connect/oauth2/authorize?redirect_uri=${encodeURIComponent('http://127.0.0.1:5173/')}&response_type=code`
    expect((await fetch(`${base}&appid=wx0000000000000000&scope=snsapi_base`, { redirect: 'manual' })).status).toBe(400)
    expect((await fetch(`${base}&appid=${keys.wechat.appId}&scope=snsapi_login`, { redirect: 'manual' })).status).toBe(400)
    expect((await fetch(`${base}&appid=${keys.wechat.appId}&scope=snsapi_base&state=a-b`, { redirect: 'manual' })).status).toBe(400)
    const ok = await fetch(`${base}&appid=${keys.wechat.appId}&scope=snsapi_userinfo`, { redirect: 'manual' })
    expect(ok.status).toBe(302)
    expect(ok.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:5173\/\?code=\w+&state=$/)
  })

  it('mini program: mp-login js_code → jscode2session, single use', async () => {
    const login = await control('POST', '/wechat/mp-login', {})
    expect(login.status).toBe(200)
    const w = keys.wechat
    const session = (code: string): Promise<Record<string, unknown>> =>
      fetch(`${origin}/sandbox/wechat/api/sns/jscode2session?appid=${w.miniProgramAppId}&secret=${w.miniProgramSecret}&js_code=${code}&grant_type=authorization_code`).then(r => r.json() as Promise<Record<string, unknown>>)
    const s = await session(login.json.js_code)
    expect(s.openid).toBe(login.json.openid)
    expect(typeof s.session_key).toBe('string')
    expect(await session(login.json.js_code)).toMatchObject({ errcode: 40163 })
    expect(await session('unknown')).toMatchObject({ errcode: 40029 })
    const again = await control('POST', '/wechat/mp-login', { openid: login.json.openid })
    expect((await session(again.json.js_code)).openid).toBe(login.json.openid)
  })
})

describe('wechat pay v3: orders', () => {
  it('creates jsapi, h5 and native orders with signed responses', async () => {
    const { openid } = await oauthOpenid()
    const jsapi = await wx('POST', '/v3/pay/transactions/jsapi', orderBody('jsapi', {}, openid))
    expect(jsapi.status).toBe(200)
    expect(jsapi.verified).toBe(true)
    expect(jsapi.headers.get('Request-ID')).toBeTruthy()
    expect(jsapi.json.prepay_id).toMatch(/^wx[0-9a-f]{32}$/)

    const h5 = await wx('POST', '/v3/pay/transactions/h5', orderBody('h5'))
    expect(h5.status).toBe(200)
    expect(String(h5.json.h5_url)).toMatch(new RegExp(`^${origin}/sandbox/wechatpay/h5/checkmweb\\?prepay_id=wx[0-9a-f]{32}&package=\\d+$`))

    const native = await wx('POST', '/v3/pay/transactions/native', orderBody('native'))
    expect(native.status).toBe(200)
    expect(native.json.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w+$/)
  })

  it('accepts the mini program appid with a mini program openid, and refuses an openid of another appid', async () => {
    const login = await control('POST', '/wechat/mp-login', {})
    const mp = await wx('POST', '/v3/pay/transactions/jsapi', orderBody('jsapi', { appid: keys.wechat.miniProgramAppId }, login.json.openid))
    expect(mp.status).toBe(200)
    const wrongApp = await wx('POST', '/v3/pay/transactions/jsapi', orderBody('jsapi', {}, login.json.openid))
    expect(wrongApp.status).toBe(400)
    expect(wrongApp.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'payer.openid' } })
    const invented = await wx('POST', '/v3/pay/transactions/jsapi', orderBody('jsapi', {}, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'))
    expect(invented.json).toMatchObject({ code: 'PARAM_ERROR' })
  })

  it('401 SIGN_ERROR for a bad signature, a stale timestamp or a missing header (still signed)', async () => {
    const tampered = await wx('POST', '/v3/pay/transactions/native', orderBody('native'), { tamper: b => b.replace('"total":100', '"total":1') })
    expect(tampered.status).toBe(401)
    expect(tampered.json.code).toBe('SIGN_ERROR')
    expect(tampered.verified).toBe(true)
    const stale = await wx('POST', '/v3/pay/transactions/native', orderBody('native'), { timestamp: Math.floor(Date.now() / 1000) - 600 })
    expect(stale.status).toBe(401)
    const bare = await fetch(`${origin}/sandbox/wechatpay/v3/pay/transactions/native`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })
    expect(bare.status).toBe(401)
    expect((await bare.json() as { code: string }).code).toBe('SIGN_ERROR')
  })

  it.each([
    ['amount.total 0', 'native', { amount: { total: 0 } }, 'amount.total'],
    ['amount.total 1.5', 'native', { amount: { total: 1.5 } }, 'amount.total'],
    ['out_trade_no too short', 'native', { out_trade_no: 'abc' }, 'out_trade_no'],
    ['out_trade_no bad chars', 'native', { out_trade_no: 'abc#defg' }, 'out_trade_no'],
    ['notify_url with query', 'native', { notify_url: 'https://m.example.com/n?x=1' }, 'notify_url'],
    ['notify_url relative', 'native', { notify_url: '/notify' }, 'notify_url'],
    ['description missing', 'native', { description: undefined }, 'description'],
    ['time_expire malformed', 'native', { time_expire: '2030-01-01 00:00:00' }, 'time_expire'],
    ['h5 without scene_info', 'h5', { scene_info: undefined }, 'scene_info'],
    ['h5 without h5_info.type', 'h5', { scene_info: { payer_client_ip: '1.2.3.4', h5_info: {} } }, 'scene_info.h5_info.type'],
    ['jsapi without payer', 'jsapi', { payer: undefined }, 'payer'],
  ] as const)('400 PARAM_ERROR: %s', async (_name, kind, overrides, field) => {
    const res = await wx('POST', `/v3/pay/transactions/${kind}`, orderBody(kind, overrides, 'ox'))
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field } })
    expect(String(res.json.message)).toContain(field)
    expect(res.verified).toBe(true)
  })

  it('400 APPID_MCHID_NOT_MATCH for a foreign appid or mchid', async () => {
    expect((await wx('POST', '/v3/pay/transactions/native', orderBody('native', { appid: 'wx0000000000000000' }))).json.code).toBe('APPID_MCHID_NOT_MATCH')
    expect((await wx('POST', '/v3/pay/transactions/native', orderBody('native', { mchid: '1900000000' }))).json.code).toBe('APPID_MCHID_NOT_MATCH')
  })

  it('is idempotent for an identical body and refuses a different one with 403 OUT_TRADE_NO_USED', async () => {
    const body = orderBody('native')
    const a = await wx('POST', '/v3/pay/transactions/native', body)
    const b = await wx('POST', '/v3/pay/transactions/native', JSON.stringify(body, null, 2))
    expect(b.json.code_url).toBe(a.json.code_url)
    const c = await wx('POST', '/v3/pay/transactions/native', { ...body, amount: { total: 101, currency: 'CNY' } })
    expect(c.status).toBe(403)
    expect(c.json.code).toBe('OUT_TRADE_NO_USED')
    const h5 = orderBody('h5')
    const h1 = await wx('POST', '/v3/pay/transactions/h5', h5)
    const h2 = await wx('POST', '/v3/pay/transactions/h5', h5)
    expect(h2.json.h5_url).toBe(h1.json.h5_url)
  })

  it('query NOTPAY → SUCCESS with conditional fields only when paid; unknown order 404', async () => {
    const body = orderBody('native', { attach: 'a1' })
    await wx('POST', '/v3/pay/transactions/native', body)
    const otn = String(body.out_trade_no)
    const q1 = await wx('GET', `/v3/pay/transactions/out-trade-no/${otn}?mchid=${keys.wechat.mchId}`)
    expect(q1.status).toBe(200)
    expect(q1.verified).toBe(true)
    expect(q1.json).toMatchObject({ out_trade_no: otn, trade_state: 'NOTPAY', attach: 'a1', amount: { total: 100, currency: 'CNY' } })
    expect(q1.json).not.toHaveProperty('transaction_id')
    expect(q1.json).not.toHaveProperty('payer')
    expect(q1.json).not.toHaveProperty('success_time')

    expect((await control('POST', '/wechat/pay', { out_trade_no: otn })).json.ok).toBe(true)
    const q2 = await wx('GET', `/v3/pay/transactions/out-trade-no/${otn}?mchid=${keys.wechat.mchId}`)
    expect(q2.json).toMatchObject({ trade_state: 'SUCCESS', trade_state_desc: '支付成功', trade_type: 'NATIVE', bank_type: 'OTHERS', amount: { total: 100, payer_total: 100 } })
    expect(q2.json.transaction_id).toMatch(/^\d{28}$/)
    expect(q2.json.success_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
    expect((q2.json.payer as { openid: string }).openid).toMatch(/^o/)

    const byId = await wx('GET', `/v3/pay/transactions/id/${String(q2.json.transaction_id)}?mchid=${keys.wechat.mchId}`)
    expect(byId.json.out_trade_no).toBe(otn)

    const missing = await wx('GET', `/v3/pay/transactions/out-trade-no/NOPE00000?mchid=${keys.wechat.mchId}`)
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('ORDER_NOT_EXIST')
    expect(missing.verified).toBe(true)

    const stats = await control('GET', '/stats')
    expect(stats.json.wechat[otn]).toMatchObject({ create: 1, query: 3 })
  })

  it('close answers a signed 204, then CLOSED; closing a paid order is 400 ORDERPAID', async () => {
    const body = orderBody('native')
    await wx('POST', '/v3/pay/transactions/native', body)
    const closed = await wx('POST', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}/close`, { mchid: keys.wechat.mchId })
    expect(closed.status).toBe(204)
    expect(closed.text).toBe('')
    expect(closed.verified).toBe(true)
    const q = await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${keys.wechat.mchId}`)
    expect(q.json.trade_state).toBe('CLOSED')
    expect((await control('POST', '/wechat/pay', { out_trade_no: body.out_trade_no })).status).toBe(409)
    expect((await wx('POST', '/v3/pay/transactions/native', body)).json.code).toBe('ORDER_CLOSED')

    const paid = orderBody('native')
    await wx('POST', '/v3/pay/transactions/native', paid)
    await control('POST', '/wechat/pay', { out_trade_no: paid.out_trade_no })
    const refused = await wx('POST', `/v3/pay/transactions/out-trade-no/${String(paid.out_trade_no)}/close`, { mchid: keys.wechat.mchId })
    expect(refused.status).toBe(400)
    expect(refused.json.code).toBe('ORDERPAID')
    expect((await wx('POST', `/v3/pay/transactions/out-trade-no/NOPE00000/close`, { mchid: keys.wechat.mchId })).status).toBe(404)
  })

  it('time_expire in the past on a live order closes it', async () => {
    const body = orderBody('native', { time_expire: new Date(Date.now() + 1500).toISOString().replace(/\.\d+Z$/, '+00:00') })
    expect((await wx('POST', '/v3/pay/transactions/native', body)).status).toBe(200)
    await sleep(2100)
    const q = await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${keys.wechat.mchId}`)
    expect(q.json.trade_state).toBe('CLOSED')
  })

  it('works with wechatpay-axios-plugin (signing and response verification)', async () => {
    const w = keys.wechat
    const wxpay = new Wechatpay({
      mchid: w.mchId,
      serial: w.merchantSerial,
      privateKey: w.merchantPrivateKeyPem,
      certs: { [w.platformPublicKeyId]: w.platformPublicKeyPem },
      baseURL: `${origin}/sandbox/wechatpay/`,
    })
    const otn = outTradeNo()
    const created = await wxpay.v3.pay.transactions.native.post({
      appid: w.appId,
      mchid: w.mchId,
      description: 'axios plugin',
      out_trade_no: otn,
      notify_url: `${receiverOrigin}/notify`,
      amount: { total: 1, currency: 'CNY' },
    })
    expect(created.status).toBe(200)
    expect((created.data as unknown as { code_url: string }).code_url).toMatch(/^weixin:\/\//)
    const q = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.get({ params: { mchid: w.mchId }, out_trade_no: otn })
    expect(q.data.trade_state).toBe('NOTPAY')
    const closed = await wxpay.v3.pay.transactions.outTradeNo._out_trade_no_.close.post({ mchid: w.mchId }, { out_trade_no: otn })
    expect(closed.status).toBe(204)
  })
})

describe('wechat pay v3: notifications', () => {
  async function paidOrder(prepare?: (otn: string) => void): Promise<string> {
    const body = orderBody('native')
    const otn = String(body.out_trade_no)
    prepare?.(otn)
    await wx('POST', '/v3/pay/transactions/native', body)
    expect((await control('POST', '/wechat/pay', { out_trade_no: otn })).status).toBe(200)
    return otn
  }

  it('delivers a signed, encrypted TRANSACTION.SUCCESS to notify_url', async () => {
    const otn = await paidOrder()
    const [n] = await waitFor(() => notificationsFor(otn).length > 0 && notificationsFor(otn))
    expect(n.headers['wechatpay-serial']).toBe(keys.wechat.platformPublicKeyId)
    expect(n.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048')
    // any: the event is checked field by field below.
    const event = JSON.parse(n.body) as Record<string, any>
    expect(event).toMatchObject({ event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', summary: '支付成功', resource: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction', original_type: 'transaction' } })
    expect(event.resource.nonce).toMatch(/^\w{12}$/)
    expect(event.id).toMatch(/^EV-\d+$/)
    const txn = await decryptNotification(n)
    expect(txn).toMatchObject({ out_trade_no: otn, trade_state: 'SUCCESS', mchid: keys.wechat.mchId, appid: keys.wechat.appId })
    const log = await waitFor(async () => {
      const l = await control('GET', `/wechat/notifications?out_trade_no=${otn}`)
      return l.json.notifications[0]?.status === 'acknowledged' && l.json
    })
    expect(log.notifications[0].attempts).toHaveLength(1)
    expect(log.notifications[0].attempts[0]).toMatchObject({ http_status: 204, acknowledged: true })
  })

  it('retries after a 500 reply with a fresh signature', async () => {
    const otn = await paidOrder(o => failNext.set(o, 2))
    const log = await waitFor(async () => {
      const l = await control('GET', `/wechat/notifications?out_trade_no=${otn}`)
      return l.json.notifications[0]?.status === 'acknowledged' && l.json
    })
    expect(log.notifications[0].attempts.map((a: { http_status: number }) => a.http_status)).toEqual([500, 500, 204])
    const deliveries = notificationsFor(otn)
    expect(deliveries).toHaveLength(3)
    expect(new Set(deliveries.map(d => d.headers['wechatpay-nonce'])).size).toBe(3)
  })

  it('drop fault: nothing is sent but the order is paid', async () => {
    expect((await control('PUT', '/faults', { dropNotifyRate: 1 })).status).toBe(200)
    const otn = await paidOrder()
    await sleep(200)
    expect(notificationsFor(otn)).toHaveLength(0)
    const log = await control('GET', `/wechat/notifications?out_trade_no=${otn}`)
    expect(log.json.notifications).toMatchObject([{ status: 'dropped', faults: ['drop'], attempts: [] }])
    const q = await wx('GET', `/v3/pay/transactions/out-trade-no/${otn}?mchid=${keys.wechat.mchId}`)
    expect(q.json.trade_state).toBe('SUCCESS')
  })

  it('duplicate fault: the notification arrives twice', async () => {
    await control('PUT', '/faults', { duplicateNotifyRate: 1 })
    const otn = await paidOrder()
    const both = await waitFor(() => notificationsFor(otn).length >= 2 && notificationsFor(otn))
    expect(JSON.parse(both[0].body).id).toBe(JSON.parse(both[1].body).id)
  })

  it('corrupt fault: the first body fails verification (rejected), the retry is clean', async () => {
    await control('PUT', '/faults', { corruptNotifyRate: 1 })
    const otn = await paidOrder()
    const log = await waitFor(async () => {
      const l = await control('GET', `/wechat/notifications?out_trade_no=${otn}`)
      return l.json.notifications[0]?.status === 'acknowledged' && l.json
    })
    expect(log.notifications[0].faults).toEqual(['corrupt'])
    expect(log.notifications[0].attempts.map((a: { http_status: number, corrupted?: boolean }) => [a.http_status, a.corrupted ?? false])).toEqual([[401, true], [204, false]])
    expect(received.some(r => !r.verified && r.reason?.includes('signature'))).toBe(true)
  })

  it('delay fault holds the notification back', async () => {
    await control('PUT', '/faults', { delayNotifyRate: 1, delayNotifyMs: 400 })
    const started = Date.now()
    const otn = await paidOrder()
    const [n] = await waitFor(() => notificationsFor(otn).length > 0 && notificationsFor(otn))
    expect(n.at - started).toBeGreaterThanOrEqual(380)
  })

  it('notify-probe sends a WECHATPAY/SIGNTEST/ signature and reports whether it was rejected', async () => {
    const otn = await paidOrder()
    await waitFor(() => notificationsFor(otn).length > 0)
    const probe = await control('POST', '/wechat/notify-probe', { out_trade_no: otn })
    expect(probe.json).toMatchObject({ rejected: true, http_status: 401 })
    expect(received.some(r => r.headers['wechatpay-signature']?.startsWith('WECHATPAY/SIGNTEST/') && r.reason?.includes('SIGNTEST'))).toBe(true)

    const careless = orderBody('native', { notify_url: `${receiverOrigin}/accept-all` })
    await wx('POST', '/v3/pay/transactions/native', careless)
    expect((await control('POST', '/wechat/notify-probe', { out_trade_no: careless.out_trade_no })).json).toMatchObject({ rejected: false, http_status: 200 })
  })
})

describe('faults and API failures', () => {
  it('validates partial updates and resets', async () => {
    expect((await control('PUT', '/faults', { dropNotifyRate: 2 })).status).toBe(400)
    expect((await control('PUT', '/faults', { nope: 1 })).status).toBe(400)
    expect((await control('PUT', '/faults', { apiOps: ['query', 'transfer'] })).status).toBe(400)
    const ok = await control('PUT', '/faults', { failApiRate: 1, apiOps: ['query'] })
    expect(ok.json).toMatchObject({ failApiRate: 1, apiOps: ['query'], dropNotifyRate: 0 })
    expect(sandbox.faults.failApiRate).toBe(1)

    const body = orderBody('native')
    expect((await wx('POST', '/v3/pay/transactions/native', body)).status).toBe(200)
    const failed = await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${keys.wechat.mchId}`)
    expect(failed.status).toBe(500)
    expect(failed.json.code).toBe('SYSTEM_ERROR')
    expect(failed.verified).toBe(true)

    const reset = await control('DELETE', '/faults')
    expect(reset.json).toMatchObject({ failApiRate: 0, apiOps: [] })
    expect((await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${keys.wechat.mchId}`)).status).toBe(200)
  })

  it('lists pending payments', async () => {
    const body = orderBody('native')
    await wx('POST', '/v3/pay/transactions/native', body)
    const list = await control('GET', '/payments?status=pending')
    expect(list.json.payments.some((p: { out_trade_no: string }) => p.out_trade_no === body.out_trade_no)).toBe(true)
    expect(list.json.payments.every((p: { trade_state: string }) => p.trade_state === 'NOTPAY')).toBe(true)
    expect((await control('GET', '/payments?status=weird')).status).toBe(400)
  })
})

describe('customer-facing pages and the bridge', () => {
  it('h5 middle page checks the Referer host against the H5 domain', async () => {
    const created = await wx('POST', '/v3/pay/transactions/h5', orderBody('h5', { description: 'H5 <商品>' }))
    const h5Url = String(created.json.h5_url)
    const redirect = encodeURIComponent('http://127.0.0.1:5173/index.html#/pages/result/index')
    const noReferer = await (await fetch(`${h5Url}&redirect_url=${redirect}`)).text()
    expect(noReferer).toContain('商家参数格式有误，请联系商家解决')
    const wrongReferer = await (await fetch(`${h5Url}&redirect_url=${redirect}`, { headers: { Referer: 'http://evil.example.com/' } })).text()
    expect(wrongReferer).toContain('商家参数格式有误')
    const page = await fetch(`${h5Url}&redirect_url=${redirect}`, { headers: { Referer: 'http://127.0.0.1:5173/index.html' } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('确认支付')
    expect(html).toContain('H5 &lt;商品&gt;')
    expect(html).toContain('¥1.00')
    expect(html).toContain('lang="zh-CN"')
    const stale = await (await fetch(h5Url.replace(/package=\d+/, 'package=1'), { headers: { Referer: 'http://127.0.0.1:5173/' } })).text()
    expect(stale).toContain('已过期')
    const inWechat = await (await fetch(h5Url, { headers: { 'Referer': 'http://127.0.0.1:5173/', 'User-Agent': 'Mozilla/5.0 MicroMessenger/8.0.49' } })).text()
    expect(inWechat).toContain('请在微信外打开')

    const u = new URL(h5Url)
    const paid = await control('POST', '/wechat/pay', { h5_prepay_id: u.searchParams.get('prepay_id'), package: u.searchParams.get('package') })
    expect(paid.json.transaction).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'MWEB' })
  })

  it('scan page shows the order; pay by code_url; cancel leaves NOTPAY', async () => {
    const created = await wx('POST', '/v3/pay/transactions/native', orderBody('native'))
    const codeUrl = String(created.json.code_url)
    const html = await (await fetch(`${origin}/sandbox/wechatpay/scan?code_url=${encodeURIComponent(codeUrl)}`)).text()
    expect(html).toContain('确认支付')
    expect(html).toContain('/sandbox/api/wechat')
    const cancelled = await control('POST', '/wechat/cancel', { code_url: codeUrl })
    expect(cancelled.json).toMatchObject({ ok: true, trade_state: 'NOTPAY' })
    const paid = await control('POST', '/wechat/pay', { code_url: codeUrl })
    expect(paid.json.transaction.trade_state).toBe('SUCCESS')
    expect((await control('POST', '/wechat/pay', { code_url: 'weixin://wxpay/bizpayurl?pr=none' })).status).toBe(404)
    expect((await control('POST', '/wechat/pay', {})).status).toBe(400)
  })

  it('serves bridge.js defining WeixinJSBridge', async () => {
    const res = await fetch(`${origin}/sandbox/bridge.js`)
    expect(res.headers.get('content-type')).toContain('application/javascript')
    const js = await res.text()
    expect(js).toContain('window.WeixinJSBridge')
    expect(js).toContain('getBrandWCPayRequest')
    expect(js).toContain('WeixinJSBridgeReady')
    expect(() => new Script(js)).not.toThrow()
  })

  it('jsapi bridge endpoint verifies paySign and the prepay_id', async () => {
    const { openid } = await oauthOpenid()
    const body = orderBody('jsapi', {}, openid)
    const created = await wx('POST', '/v3/pay/transactions/jsapi', body)
    const w = keys.wechat
    const pkgValue = `prepay_id=${String(created.json.prepay_id)}`
    const timeStamp = String(Math.floor(Date.now() / 1000))
    const nonceStr = randomNonce()
    const good = { appId: w.appId, timeStamp, nonceStr, package: pkgValue, signType: 'RSA', paySign: jsapiPaySign(w.appId, timeStamp, nonceStr, pkgValue, w.merchantPrivateKeyPem) }

    const badSign = await control('POST', '/wechat/jsapi', { ...good, paySign: jsapiPaySign(w.appId, timeStamp, nonceStr, pkgValue, w.platformPrivateKeyPem) })
    expect(badSign.json).toMatchObject({ err_msg: 'get_brand_wcpay_request:fail' })
    expect(badSign.json.err_desc).toBeTruthy()

    const unknownPrepay = 'prepay_id=wx00000000000000000000000000000000'
    const unknown = await control('POST', '/wechat/jsapi', { ...good, package: unknownPrepay, paySign: jsapiPaySign(w.appId, timeStamp, nonceStr, unknownPrepay, w.merchantPrivateKeyPem) })
    expect(unknown.json.err_msg).toBe('get_brand_wcpay_request:fail')

    const otherApp = await control('POST', '/wechat/jsapi', { ...good, appId: w.miniProgramAppId, paySign: jsapiPaySign(w.miniProgramAppId, timeStamp, nonceStr, pkgValue, w.merchantPrivateKeyPem) })
    expect(otherApp.json.err_msg).toBe('get_brand_wcpay_request:fail')

    expect((await control('POST', '/wechat/jsapi', { ...good, outcome: 'cancel' })).json).toEqual({ err_msg: 'get_brand_wcpay_request:cancel' })
    expect((await control('POST', '/wechat/jsapi', { ...good, outcome: 'fail' })).json.err_msg).toBe('get_brand_wcpay_request:fail')
    const q1 = await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${w.mchId}`)
    expect(q1.json.trade_state).toBe('NOTPAY')

    expect((await control('POST', '/wechat/jsapi', good)).json).toEqual({ err_msg: 'get_brand_wcpay_request:ok' })
    const q2 = await wx('GET', `/v3/pay/transactions/out-trade-no/${String(body.out_trade_no)}?mchid=${w.mchId}`)
    expect(q2.json).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'JSAPI', payer: { openid } })
    await waitFor(() => notificationsFor(String(body.out_trade_no)).length > 0)
    expect((await control('POST', '/wechat/jsapi', good)).json.err_msg).toBe('get_brand_wcpay_request:fail')
  })
})
