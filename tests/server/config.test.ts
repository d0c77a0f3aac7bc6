import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config'

const dir = mkdtempSync(path.join(tmpdir(), 'uc-config-'))
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const keyPath = path.join(dir, 'apiclient_key.pem')
const pubPath = path.join(dir, 'pub_key.pem')
writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }))
writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }))

const LIVE = {
  PUBLIC_URL: 'https://pay.example.com',
  MERCHANT_NAME: '示例商户',
  WECHAT_APPID: 'wx0123456789abcdef',
  WECHAT_APP_SECRET: '0123456789abcdef0123456789abcdef',
  WECHATPAY_MCHID: '1900000100',
  WECHATPAY_SERIAL: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
  WECHATPAY_PRIVATE_KEY_PATH: keyPath,
  WECHATPAY_PUBLIC_KEY: pubPath,
  WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0000000000000024101100397200000006',
  WECHATPAY_APIV3_KEY: '0123456789abcdef0123456789abcdef',
}

function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env)
  }
  catch (e) {
    if (e instanceof ConfigError)
      return e
    throw e
  }
  throw new Error('expected a ConfigError')
}

describe('configuration', () => {
  it('with no credentials: sandbox mode on 127.0.0.1:8080 against the embedded simulator', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({ mode: 'sandbox', host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080', demo: true })
    expect(c.bases.wechatPay).toBe('http://127.0.0.1:8080/sandbox/wechatpay')
  })

  it('with credentials: live mode against the real hosts', () => {
    const c = loadConfig(LIVE)
    expect(c.mode).toBe('live')
    expect(c.demo).toBe(false)
    expect(c.bases).toMatchObject({ wechatPay: 'https://api.mch.weixin.qq.com', wechatOAuth: 'https://open.weixin.qq.com', alipayGateway: 'https://openapi.alipay.com/gateway.do' })
    expect(c.wechat?.privateKeyPem).toContain('PRIVATE KEY')
  })

  it.each([
    ['WECHATPAY_APIV3_KEY', { WECHATPAY_APIV3_KEY: undefined }, /required/],
    ['WECHATPAY_APIV3_KEY', { WECHATPAY_APIV3_KEY: 'short' }, /32 printable/],
    ['WECHAT_APPID', { WECHAT_APPID: 'not-an-appid' }, /malformed/],
    ['WECHATPAY_PRIVATE_KEY_PATH', { WECHATPAY_PRIVATE_KEY_PATH: '/nope/key.pem' }, /not found/],
    ['WECHATPAY_PRIVATE_KEY_PATH', { WECHATPAY_PRIVATE_KEY_PATH: pubPath }, /private key/],
    ['WECHATPAY_PUBLIC_KEY_ID', { WECHATPAY_PUBLIC_KEY_ID: '12345' }, /PUB_KEY_ID_/],
    ['PUBLIC_URL', { PUBLIC_URL: 'http://pay.example.com' }, /https/],
    ['MERCHANT_NAME', { MERCHANT_NAME: undefined }, /required/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /postgres/],
    ['PORT', { PORT: 'eighty' }, /integer/],
  ])('live mode refuses to start when %s is wrong, naming it', (setting, override, problem) => {
    const e = errorOf({ ...LIVE, ...override })
    expect(e.setting).toBe(setting)
    expect(e.message).toMatch(problem)
    expect(e.message.startsWith(setting)).toBe(true)
  })

  it.each([
    ['https://cdn.example.com/brand/logo.svg', 'https://cdn.example.com/brand/logo.svg'],
    ['/static/logo.png', '/static/logo.png'],
    ['', undefined],
  ])('a MERCHANT_LOGO_URL of %j gives the order view the logo %j', (value, logo) => {
    expect(loadConfig({ MERCHANT_LOGO_URL: value }).merchantLogoUrl).toBe(logo)
  })

  it.each([
    'http://cdn.example.com/logo.svg',
    '//evil.example.com/logo.svg',
    'javascript:alert(1)',
    'data:image/svg+xml,<svg/>',
    'logo.svg',
    '/a b.svg',
    '/\\evil.example.com/logo.svg',
    'https://user:pass@cdn.example.com/logo.svg',
    'https://cdn.example.com/"onerror="x.svg',
  ])('a MERCHANT_LOGO_URL of %j is refused: an https URL or a path on the server only', (value) => {
    const e = errorOf({ MERCHANT_LOGO_URL: value })
    expect(e.setting).toBe('MERCHANT_LOGO_URL')
    expect(e.message).toMatch(/https URL or a path/)
  })
})
