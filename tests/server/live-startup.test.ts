/**
 * Live mode with a complete set of fake but well-formed credentials (both WeChat Pay verification modes, an
 * official account and a mini program, Alipay): the server starts without calling anyone, mounts no sandbox and
 * no demo endpoint, and GET /api/health names the configured providers and the console settings to check.
 */
import type { RunningServer } from '../../server/index'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config'
import { startServer } from '../../server/index'
import { sandboxMode } from '../../server/sandbox-mode'
import { removeDir } from '../helpers/server'

const dir = mkdtempSync(path.join(tmpdir(), 'uc-live-start-'))
function keyFiles(name: string): { priv: string, pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const priv = path.join(dir, `${name}_key.pem`)
  const pub = path.join(dir, `${name}_pub.pem`)
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }))
  return { priv, pub }
}
const merchant = keyFiles('apiclient')
const wechatPay = keyFiles('wechatpay')
const alipayApp = keyFiles('alipay_app')
const alipay = keyFiles('alipay')

const LIVE_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'https://pay.example.com',
  DATA_DIR: dir,
  LOG_LEVEL: 'silent',
  MERCHANT_NAME: '示例商户',
  WECHAT_APPID: 'wx0123456789abcdef',
  WECHAT_APP_SECRET: '0123456789abcdef0123456789abcdef',
  WECHAT_MP_APPID: 'wxfedcba9876543210',
  WECHAT_MP_SECRET: 'fedcba9876543210fedcba9876543210',
  WECHATPAY_MCHID: '1900000100',
  WECHATPAY_SERIAL: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
  WECHATPAY_PRIVATE_KEY_PATH: merchant.priv,
  WECHATPAY_PUBLIC_KEY: wechatPay.pub,
  WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0000000000000024101100397200000006',
  WECHATPAY_PLATFORM_CERTS: path.join(import.meta.dirname, '../fixtures/wechatpay-java/wechat_pay_certificate.pem'),
  WECHATPAY_APIV3_KEY: '0123456789abcdef0123456789abcdef',
  ALIPAY_APP_ID: '2021000122671080',
  ALIPAY_PRIVATE_KEY_PATH: alipayApp.priv,
  ALIPAY_PUBLIC_KEY: alipay.pub,
  ALIPAY_SELLER_ID: '2088102147948060',
}

let server: RunningServer
const get = (p: string) => fetch(`${server.listenUrl}${p}`)

beforeAll(async () => {
  server = await startServer(loadConfig(LIVE_ENV))
})
afterAll(async () => {
  await server.close()
  removeDir(dir)
})

describe('live mode start-up', () => {
  it('serves /healthz in live mode with no sandbox mounted and no demo endpoint', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ ok: true, mode: 'live' })
    expect(server.sandbox).toBeUndefined()
    for (const p of ['/sandbox/bridge.js', '/sandbox/api/payments', '/sandbox/wechatpay/v3/pay/transactions/native'])
      expect((await get(p)).status, p).toBe(404)
    const demo = await fetch(`${server.listenUrl}/api/demo/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(demo.status).toBe(404)
    expect(((await demo.json()) as { code: string }).code).toBe('demo_disabled')
  })

  it('the health report (GET /api/health): providers, verification modes, notify URLs, every method', async () => {
    const res = await get('/api/health')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const h = await res.json() as Record<string, any> // any: the report is checked field by field
    expect(h).toMatchObject({ ok: true, mode: 'live', sandboxMounted: false })
    expect(h.methods).toEqual(['wechat_jsapi', 'wechat_h5', 'wechat_native', 'wechat_mp', 'alipay_app', 'alipay_wap', 'alipay_qr'])
    expect(h.providers.wechat).toEqual({
      officialAccount: 'wx0123456789abcdef',
      miniProgram: 'wxfedcba9876543210',
      verification: ['public_key', 'platform_certificate'],
      publicKeyId: 'PUB_KEY_ID_0000000000000024101100397200000006',
      platformCertificates: [{ serial: '440024045C4A427599D09BB4E3DE0279F2E813FD', validTo: '2025-05-09T02:04:30.000Z' }],
      notifyUrl: 'https://pay.example.com/api/notify/wechatpay',
    })
    expect(h.providers.alipay).toEqual({ appId: '2021000122671080', createProductCode: 'FACE_TO_FACE_PAYMENT', notifyUrl: 'https://pay.example.com/api/notify/alipay' })
  })

  it('the health report lists the console settings to check, with the values of this deployment', async () => {
    const h = await (await get('/api/health')).json() as { consoleSettings: Array<{ provider: string, where: string, value: string }>, warnings: Array<{ setting: string, problem: string }> }
    const find = (where: string) => h.consoleSettings.find(s => s.where.includes(where))
    expect(find('网页授权域名')?.value).toBe('pay.example.com')
    expect(find('JSAPI支付授权目录')?.value).toBe('https://pay.example.com/')
    expect(find('H5支付域名')?.value).toBe('pay.example.com')
    expect(find('APIv3密钥')).toBeDefined()
    expect(find('接口加签方式')?.provider).toBe('alipay')
    expect(find('授权回调地址')?.value).toBe('https://pay.example.com')
    expect(h.consoleSettings.filter(s => s.where.includes('AppID账号管理')).map(s => s.value)).toEqual(['wx0123456789abcdef bound to 1900000100', 'wxfedcba9876543210 (mini program) bound to 1900000100'])
    // the test platform certificate expired in 2025
    expect(h.warnings).toEqual([{ provider: 'wechat', setting: 'WECHATPAY_PLATFORM_CERTS', problem: expect.stringContaining('440024045C4A427599D09BB4E3DE0279F2E813FD expired') }])
    expect(JSON.stringify(h)).not.toMatch(/PRIVATE KEY|0123456789abcdef0123456789abcdef|fedcba9876543210fedcba/)
  })

  it('is in the OpenAPI document', async () => {
    const doc = await (await get('/api/openapi.json')).json() as { paths: Record<string, unknown> }
    expect(doc.paths['/api/health']).toBeDefined()
  })
})

describe('sandbox mode health', () => {
  it('reports the sandbox and no console settings', async () => {
    const sandboxDir = mkdtempSync(path.join(tmpdir(), 'uc-sandbox-health-'))
    const s = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1:0', DATA_DIR: sandboxDir, LOG_LEVEL: 'silent' }), { sandboxMode })
    try {
      const h = await (await fetch(`${s.listenUrl}/api/health`)).json() as Record<string, any> // any: checked field by field
      expect(h).toMatchObject({ mode: 'sandbox', sandboxMounted: true, consoleSettings: [], warnings: [] })
      expect(h.providers.wechat.verification).toEqual(['public_key'])
    }
    finally {
      await s.close()
      removeDir(sandboxDir)
    }
  })
})
