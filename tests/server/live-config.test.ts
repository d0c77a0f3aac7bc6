/**
 * Start-up settings that decide whether real money can move: sandbox only on purpose or where it cannot be
 * production, no demo endpoint and no unchecked seller in live mode, both WeChat Pay verification modes,
 * and a WeChat merchant with only a mini program.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config'

const dir = mkdtempSync(path.join(tmpdir(), 'uc-live-config-'))
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const keyPath = path.join(dir, 'apiclient_key.pem')
const pubPath = path.join(dir, 'pub_key.pem')
writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }))
writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }))
const JAVA = path.join(import.meta.dirname, '../fixtures/wechatpay-java')
const certPath = path.join(JAVA, 'wechat_pay_certificate.pem')
const goVectors = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/wechatpay-go/vectors.json'), 'utf8')) as { notify: { certificate: string } }
const goCertPath = path.join(dir, 'go_cert.pem')
writeFileSync(goCertPath, goVectors.notify.certificate)

const WECHAT = {
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
const ALIPAY = {
  PUBLIC_URL: 'https://pay.example.com',
  MERCHANT_NAME: '示例商户',
  ALIPAY_APP_ID: '2021000122671080',
  ALIPAY_PRIVATE_KEY_PATH: keyPath,
  ALIPAY_PUBLIC_KEY: pubPath,
  ALIPAY_SELLER_ID: '2088102147948060',
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

describe('sandbox mode is explicit outside a loopback-only, embedded-database server', () => {
  it('is the default on 127.0.0.1 with the embedded database', () => {
    expect(loadConfig({}).mode).toBe('sandbox')
    expect(loadConfig({ HOST: 'localhost' }).mode).toBe('sandbox')
  })

  it.each([
    ['HOST=0.0.0.0', { HOST: '0.0.0.0' }, /HOST is 0\.0\.0\.0/],
    ['a DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db/cashier' }, /DATABASE_URL is set/],
    ['an https PUBLIC_URL', { PUBLIC_URL: 'https://pay.example.com' }, /PUBLIC_URL is https/],
    ['a mistyped credential', { HOST: '0.0.0.0', WECHATPAY_MCH_ID: '1900000100' }, /CASHIER_MODE=sandbox/],
  ])('refuses to start the sandbox implicitly with %s, naming CASHIER_MODE', (_what, env, reason) => {
    const e = errorOf(env)
    expect(e.setting).toBe('CASHIER_MODE')
    expect(e.message).toMatch(reason)
    expect(e.message).toMatch(/CASHIER_MODE=sandbox/)
  })

  it('runs the sandbox there when CASHIER_MODE=sandbox says so', () => {
    const c = loadConfig({ CASHIER_MODE: 'sandbox', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u:p@db/cashier' })
    expect(c.mode).toBe('sandbox')
    expect(c.demo).toBe(true)
  })

  it('refuses an unknown CASHIER_MODE and a live mode with no provider', () => {
    expect(errorOf({ CASHIER_MODE: 'production' }).setting).toBe('CASHIER_MODE')
    expect(errorOf({ CASHIER_MODE: 'live', PUBLIC_URL: 'https://pay.example.com', MERCHANT_NAME: 'm' }).message).toMatch(/neither WeChat Pay .* nor Alipay/)
  })
})

describe('live mode', () => {
  it('refuses DEMO=true, naming it', () => {
    const e = errorOf({ ...WECHAT, DEMO: 'true' })
    expect(e.setting).toBe('DEMO')
    expect(loadConfig({ ...WECHAT, DEMO: 'false' }).demo).toBe(false)
  })

  it('requires ALIPAY_SELLER_ID, well-formed', () => {
    expect(errorOf({ ...ALIPAY, ALIPAY_SELLER_ID: undefined })).toMatchObject({ setting: 'ALIPAY_SELLER_ID', message: expect.stringMatching(/required/) })
    expect(errorOf({ ...ALIPAY, ALIPAY_SELLER_ID: '12345' })).toMatchObject({ setting: 'ALIPAY_SELLER_ID', message: expect.stringMatching(/2088/) })
    expect(loadConfig(ALIPAY).alipay?.sellerId).toBe('2088102147948060')
  })
})

describe('wechat pay verification: public key, platform certificates, or both', () => {
  it('the public key alone (PUB_KEY_ID_…)', () => {
    const c = loadConfig(WECHAT)
    expect(c.wechat).toMatchObject({ platformPublicKeyId: WECHAT.WECHATPAY_PUBLIC_KEY_ID })
    expect(c.wechat?.platformCertificates).toBeUndefined()
  })

  it('platform certificates alone, each known by the serial read from the certificate', () => {
    const c = loadConfig({ ...WECHAT, WECHATPAY_PUBLIC_KEY: undefined, WECHATPAY_PUBLIC_KEY_ID: undefined, WECHATPAY_PLATFORM_CERTS: `${certPath}, ${goCertPath}` })
    expect(c.wechat?.platformPublicKeyId).toBeUndefined()
    expect(c.wechat?.platformCertificates?.map(x => x.serial)).toEqual(['440024045C4A427599D09BB4E3DE0279F2E813FD', 'D7CE59D1F522D701'])
    expect(c.wechat?.platformCertificates?.[0].validTo.toISOString()).toBe('2025-05-09T02:04:30.000Z')
  })

  it('both during the switch-over', () => {
    const c = loadConfig({ ...WECHAT, WECHATPAY_PLATFORM_CERTS: readFileSync(certPath, 'utf8') })
    expect(c.wechat?.platformPublicKeyId).toBe(WECHAT.WECHATPAY_PUBLIC_KEY_ID)
    expect(c.wechat?.platformCertificates).toHaveLength(1)
  })

  it.each([
    ['neither', { WECHATPAY_PUBLIC_KEY: undefined, WECHATPAY_PUBLIC_KEY_ID: undefined }, 'WECHATPAY_PUBLIC_KEY', /WECHATPAY_PLATFORM_CERTS/],
    ['the key without its id', { WECHATPAY_PUBLIC_KEY_ID: undefined }, 'WECHATPAY_PUBLIC_KEY_ID', /required when WECHATPAY_PUBLIC_KEY is set/],
    ['the id without its key', { WECHATPAY_PUBLIC_KEY: undefined }, 'WECHATPAY_PUBLIC_KEY', /required when WECHATPAY_PUBLIC_KEY_ID is set/],
    ['a certificate file that is a key', { WECHATPAY_PLATFORM_CERTS: pubPath }, 'WECHATPAY_PLATFORM_CERTS', /no certificate/],
    ['a missing certificate file', { WECHATPAY_PLATFORM_CERTS: '/nope/cert.pem' }, 'WECHATPAY_PLATFORM_CERTS', /not found/],
  ])('refuses %s, naming the setting', (_what, override, setting, problem) => {
    const e = errorOf({ ...WECHAT, ...override })
    expect(e.setting).toBe(setting)
    expect(e.message).toMatch(problem)
  })
})

describe('wechat official account and mini program are each optional, each complete', () => {
  const MP = { WECHAT_MP_APPID: 'wxfedcba9876543210', WECHAT_MP_SECRET: 'fedcba9876543210fedcba9876543210' }

  it('a mini-program-only merchant needs no official account', () => {
    const c = loadConfig({ ...WECHAT, WECHAT_APPID: undefined, WECHAT_APP_SECRET: undefined, ...MP })
    expect(c.mode).toBe('live')
    expect(c.wechat).toMatchObject({ miniProgramAppId: MP.WECHAT_MP_APPID, miniProgramSecret: MP.WECHAT_MP_SECRET })
    expect(c.wechat?.appId).toBeUndefined()
  })

  it.each([
    ['WECHAT_MP_APPID without WECHAT_MP_SECRET', { WECHAT_MP_APPID: MP.WECHAT_MP_APPID }, 'WECHAT_MP_SECRET'],
    ['WECHAT_MP_SECRET without WECHAT_MP_APPID', { WECHAT_MP_SECRET: MP.WECHAT_MP_SECRET }, 'WECHAT_MP_APPID'],
    ['WECHAT_APPID without WECHAT_APP_SECRET', { WECHAT_APP_SECRET: undefined }, 'WECHAT_APP_SECRET'],
    ['no app at all', { WECHAT_APPID: undefined, WECHAT_APP_SECRET: undefined }, 'WECHAT_APPID'],
  ])('names the missing half: %s', (_what, override, setting) => {
    expect(errorOf({ ...WECHAT, ...override }).setting).toBe(setting)
  })
})
