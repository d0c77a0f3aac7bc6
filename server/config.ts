import type { WechatSignerMode } from '../sandbox/wechat/signer'
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { WECHAT_SIGNER_MODES } from '../sandbox/wechat/signer'

/** Where the provider APIs live; the sandbox's URLs by default, the real hosts in live mode. */
export interface ProviderBases {
  wechatOAuth: string
  wechatApi: string
  wechatPay: string
  alipayGateway: string
  alipayOAuth: string
}

/** A WeChat Pay platform certificate (平台证书): responses and notifications signed with it carry its serial. */
export interface PlatformCertificate {
  /** Upper-case hex, as WeChat sends it in Wechatpay-Serial. */
  serial: string
  pem: string
  /** The certificate's notAfter. */
  validTo: Date
}

export interface WechatCredentials {
  /** The official account (公众号) for JSAPI in WeChat; absent for a merchant that only pays in its mini program. */
  appId?: string
  appSecret?: string
  miniProgramAppId?: string
  miniProgramSecret?: string
  mchId: string
  serial: string
  privateKeyPem: string
  /** The WeChat Pay public key (微信支付公钥) and its id `PUB_KEY_ID_…`; absent for a platform-certificate merchant. */
  platformPublicKeyPem?: string
  platformPublicKeyId?: string
  /** Platform certificates by serial (the older mode; both are accepted during WeChat's switch-over). */
  platformCertificates?: PlatformCertificate[]
  apiV3Key: string
}

/** The product_code of alipay.trade.create for the in-app (tradePay) payment, as the merchant's contract has it. */
export type AlipayCreateProductCode = 'FACE_TO_FACE_PAYMENT' | 'JSAPI_PAY'

export interface AlipayCredentials {
  appId: string
  privateKeyPem: string
  alipayPublicKeyPem: string
  sellerId?: string
  /** FACE_TO_FACE_PAYMENT (当面付, the documented default) unless the contract is the mini program product JSAPI_PAY. */
  createProductCode?: AlipayCreateProductCode
  /** JSAPI_PAY only: the mini program the cashier opens in (op_app_id). */
  opAppId?: string
}

export interface ServerConfig {
  mode: 'sandbox' | 'live'
  host: string
  port: number
  /** Absolute origin customers reach the cashier and API at (no trailing slash). */
  publicUrl: string
  dataDir: string
  /** postgres://… for a real PostgreSQL; undefined for the embedded PGlite in dataDir. */
  databaseUrl?: string
  /** Serves POST /api/demo/orders. On by default in sandbox mode only. */
  demo: boolean
  /** Trust X-Forwarded-For for the payer's IP (only behind your own proxy). */
  trustProxy: boolean
  /** Directory of the built H5 cashier. */
  staticDir: string
  /**
   * Origins allowed to call the API from a browser (the cashier on a CDN). Cookies ride along, so
   * the CDN must be on the same site as PUBLIC_URL (SameSite=Lax), e.g. pay.example.com and api.example.com.
   */
  corsOrigins: string[]
  /** Hosts a paid order's "back to the merchant" link may point at (the public host is always allowed). */
  returnUrlHosts: string[]
  /** Seconds between provider queries for one pending order (lost notifications heal on read). */
  reconcileAfterSeconds: number
  /** Provider queries (healing lost notifications) this process starts per second at most; 0 = no limit. */
  providerQueriesPerSecond: number
  /** Provider queries under way at once in this process; 0 = no limit. */
  providerQueryConcurrency: number
  /** Seconds a Native/precreate QR code stays valid at most. */
  qrTtlSeconds: number
  merchantName: string
  /**
   * The merchant's logo on the cashier (MERCHANT_LOGO_URL): an https URL or a path on this server (`/logo.svg`);
   * unset = the cashier shows the name's first letter instead.
   */
  merchantLogoUrl?: string
  /** Append one JSON line per paid order to this file (a simple fulfilment hook); unset = none. */
  fulfilmentLog?: string
  /** Milliseconds to wait for WeChat Pay / Alipay before answering 502 provider_unavailable. */
  providerTimeoutMs: number
  /** Payment creations allowed per minute per client IP and per session (0 = no limit). */
  rateLimitPerIp: number
  rateLimitPerSession: number
  /** Merchant API calls allowed per minute per API key (0 = no limit). */
  rateLimitPerKey: number
  /** Multiplies the sandbox's provider delays (notify retries); 1 = real time. */
  sandboxTimeScale: number
  /**
   * Sandbox mode only: serve the simulator inside this process (default). Set SANDBOX_EMBEDDED=false
   * when several server processes share one standalone sandbox (`tsx sandbox/main.ts`);
   * point the provider base URLs at it and give every process the same DATA_DIR for the keys.
   */
  sandboxEmbedded: boolean
  /**
   * Sandbox mode only: how the simulated WeChat Pay account verifies (SANDBOX_WECHATPAY_SIGNER): `public_key`
   * (default), `certificate`, or `switch` (both, as during WeChat's switch-over). The server holds the matching keys.
   */
  sandboxWechatSigner: WechatSignerMode
  bases: ProviderBases
  /** Webhooks: the default endpoint (WEBHOOK_URL + WEBHOOK_SECRET); endpoints can also be registered by API. */
  webhookUrl?: string
  webhookSecret?: string
  /** Milliseconds a webhook endpoint has to answer. */
  webhookTimeoutMs: number
  /** Multiplies the webhook retry schedule (10 s, 30 s, 1 min … 12 h: about 28 h in all); 1 = real time. */
  webhookTimeScale: number
  /** Refund a second payment of one order (and one after close or expiry) automatically. */
  autoRefundDuplicates: boolean
  /** A payment after an order closed or expired: `refund` it (default) or `fulfil` (the order becomes paid). */
  latePayments: 'refund' | 'fulfil'
  /** Seconds between sweeps (expired orders closed at the provider, open attempts of finished orders closed). */
  sweepIntervalSeconds: number
  /** Seconds before a refund still processing at the provider is asked about (doubling, at most an hour). */
  refundCheckSeconds: number
  /** Lets the merchant console be opened with a password as well as with an API key. */
  consolePassword?: string
  /**
   * Per-IP limits on the public status reads and event streams (per minute, and streams open at once), and event
   * streams open at once per order; 0 = no limit. The per-IP ones default to off when RATE_LIMIT_PER_IP is 0.
   */
  statusRateLimitPerIp: number
  maxStreamsPerIp: number
  maxStreamsPerOrder: number
  /** Undefined in sandbox mode until the sandbox keys are loaded. */
  wechat?: WechatCredentials
  alipay?: AlipayCredentials
  logLevel: string
}

export class ConfigError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`${setting}: ${problem}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '')
    return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(name, `must be an integer ≥ ${min}, got "${raw}"`)
  return n
}

function num(env: Env, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '')
    return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(name, `must be a positive number, got "${raw}"`)
  return n
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase()
  if (raw === undefined || raw === '')
    return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw))
    return true
  if (['0', 'false', 'no', 'off'].includes(raw))
    return false
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`)
}

function url(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback
  let u: URL
  try {
    u = new URL(raw)
  }
  catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`)
  return raw.replace(/\/+$/, '')
}

/** An https URL, or a path on this server: the logo is loaded by the customer's browser, never over plain http. */
function logoUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim()
  if (!raw)
    return undefined
  const problem = `must be an https URL or a path on this server starting with /, got "${raw}"`
  if (raw.startsWith('/') && !raw.startsWith('//')) {
    // A path: no scheme-relative trick, no backslash (browsers read one as /), no spaces or quotes.
    if (!/^\/[\w./~%@+-]*$/.test(raw))
      throw new ConfigError(name, problem)
    return raw
  }
  let u: URL
  try {
    u = new URL(raw)
  }
  catch {
    throw new ConfigError(name, problem)
  }
  if (u.protocol !== 'https:' || u.username || u.password || /[\s"'<>\\]/.test(raw))
    throw new ConfigError(name, problem)
  return u.href
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name]
  if (raw === undefined || raw === '')
    return fallback
  const found = values.find(v => v === raw)
  if (!found)
    throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${raw}"`)
  return found
}

/** A PEM given inline or as a path to a file. */
function pem(env: Env, name: string, kind: 'PRIVATE' | 'PUBLIC'): string {
  const raw = env[name]
  if (!raw)
    throw new ConfigError(name, 'is required in live mode')
  const text = raw.includes('-----BEGIN') ? raw : existsSync(raw) ? readFileSync(raw, 'utf8') : ''
  if (!text)
    throw new ConfigError(name, `file not found: ${raw}`)
  if (!text.includes(kind === 'PRIVATE' ? 'PRIVATE KEY-----' : 'PUBLIC KEY-----'))
    throw new ConfigError(name, `is not a ${kind.toLowerCase()} key in PEM form`)
  return text
}

function required(env: Env, name: string, pattern: RegExp, hint: string): string {
  const raw = env[name]
  if (!raw)
    throw new ConfigError(name, 'is required in live mode')
  if (!pattern.test(raw))
    throw new ConfigError(name, `is malformed: ${hint}`)
  return raw
}

/** Both settings of a pair, or neither; a half names the missing one. */
function pair(env: Env, a: string, b: string): boolean {
  if (!env[a] && !env[b])
    return false
  if (!env[a])
    throw new ConfigError(a, `is required when ${b} is set`)
  if (!env[b])
    throw new ConfigError(b, `is required when ${a} is set`)
  return true
}

const CERT_PATTERN = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** WECHATPAY_PLATFORM_CERTS: comma-separated PEM files (or inline PEM text), each holding one or more certificates. */
function platformCertificates(env: Env, name: string): PlatformCertificate[] {
  const raw = env[name] ?? ''
  const texts = raw.includes('-----BEGIN')
    ? [raw]
    : raw.split(',').map(s => s.trim()).filter(Boolean).map((file) => {
        if (!existsSync(file))
          throw new ConfigError(name, `file not found: ${file}`)
        return readFileSync(file, 'utf8')
      })
  const certs: PlatformCertificate[] = []
  for (const text of texts) {
    const found = text.replace(/\\n/g, '\n').match(CERT_PATTERN) ?? []
    if (found.length === 0)
      throw new ConfigError(name, 'holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)')
    for (const pemText of found) {
      let x509: X509Certificate
      try {
        x509 = new X509Certificate(pemText)
      }
      catch (e) {
        throw new ConfigError(name, `holds a certificate that does not parse: ${(e as Error).message}`)
      }
      if (x509.publicKey.asymmetricKeyType !== 'rsa')
        throw new ConfigError(name, 'holds a certificate whose key is not RSA (WECHATPAY2-SHA256-RSA2048 needs RSA)')
      certs.push({ serial: x509.serialNumber.toUpperCase(), pem: pemText, validTo: new Date(x509.validTo) })
    }
  }
  return certs
}

/** The official account and the mini program are each optional, but each needs its appid and its secret. */
function wechatApps(env: Env): Pick<WechatCredentials, 'appId' | 'appSecret' | 'miniProgramAppId' | 'miniProgramSecret'> {
  const apps: Pick<WechatCredentials, 'appId' | 'appSecret' | 'miniProgramAppId' | 'miniProgramSecret'> = {}
  if (pair(env, 'WECHAT_APPID', 'WECHAT_APP_SECRET')) {
    apps.appId = required(env, 'WECHAT_APPID', /^wx[0-9a-f]{16}$/i, 'an appid looks like wx followed by 16 hex digits')
    apps.appSecret = required(env, 'WECHAT_APP_SECRET', /^[0-9a-f]{32}$/i, '32 hex digits')
  }
  if (pair(env, 'WECHAT_MP_APPID', 'WECHAT_MP_SECRET')) {
    apps.miniProgramAppId = required(env, 'WECHAT_MP_APPID', /^wx[0-9a-f]{16}$/i, 'an appid looks like wx followed by 16 hex digits')
    apps.miniProgramSecret = required(env, 'WECHAT_MP_SECRET', /^[0-9a-f]{32}$/i, '32 hex digits')
  }
  if (!apps.appId && !apps.miniProgramAppId)
    throw new ConfigError('WECHAT_APPID', 'WeChat Pay needs an official account (WECHAT_APPID + WECHAT_APP_SECRET), a mini program (WECHAT_MP_APPID + WECHAT_MP_SECRET), or both')
  return apps
}

/** How WeChat Pay's answers are verified: the public key, platform certificates, or both during the switch-over. */
function wechatVerification(env: Env): Pick<WechatCredentials, 'platformPublicKeyPem' | 'platformPublicKeyId' | 'platformCertificates'> {
  const out: Pick<WechatCredentials, 'platformPublicKeyPem' | 'platformPublicKeyId' | 'platformCertificates'> = {}
  if (pair(env, 'WECHATPAY_PUBLIC_KEY', 'WECHATPAY_PUBLIC_KEY_ID')) {
    out.platformPublicKeyPem = pem(env, 'WECHATPAY_PUBLIC_KEY', 'PUBLIC')
    out.platformPublicKeyId = required(env, 'WECHATPAY_PUBLIC_KEY_ID', /^PUB_KEY_ID_\d+$/, 'PUB_KEY_ID_ followed by digits')
  }
  if (env.WECHATPAY_PLATFORM_CERTS)
    out.platformCertificates = platformCertificates(env, 'WECHATPAY_PLATFORM_CERTS')
  if (!out.platformPublicKeyId && !out.platformCertificates)
    throw new ConfigError('WECHATPAY_PUBLIC_KEY', 'is required in live mode (with WECHATPAY_PUBLIC_KEY_ID), unless the merchant still verifies with platform certificates (WECHATPAY_PLATFORM_CERTS)')
  return out
}

/** ALIPAY_CREATE_PRODUCT_CODE and, for the mini program product JSAPI_PAY, the ALIPAY_OP_APP_ID it needs. */
function alipayInAppProduct(env: Env): Pick<AlipayCredentials, 'createProductCode' | 'opAppId'> {
  const createProductCode = oneOf<AlipayCreateProductCode>(env, 'ALIPAY_CREATE_PRODUCT_CODE', ['FACE_TO_FACE_PAYMENT', 'JSAPI_PAY'], 'FACE_TO_FACE_PAYMENT')
  if (createProductCode !== 'JSAPI_PAY') {
    if (env.ALIPAY_OP_APP_ID)
      throw new ConfigError('ALIPAY_OP_APP_ID', 'is used only with ALIPAY_CREATE_PRODUCT_CODE=JSAPI_PAY')
    return { createProductCode }
  }
  return { createProductCode, opAppId: required(env, 'ALIPAY_OP_APP_ID', /^\d{16}$/, 'the mini program\'s app id, 16 digits') }
}

const LIVE_MARKERS = ['WECHATPAY_MCHID', 'WECHAT_APPID', 'WECHAT_MP_APPID', 'ALIPAY_APP_ID']

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1'])

/**
 * Sandbox mode without CASHIER_MODE=sandbox only where it cannot be production: bound to loopback, the embedded
 * database, a plain-http public URL. Anything else is most likely a live server whose credentials were mistyped,
 * and a sandbox there would let anyone pay its orders through /sandbox.
 */
function implicitSandbox(host: string, publicUrl: string, databaseUrl: string | undefined): 'sandbox' {
  const why = !LOOPBACK_HOSTS.has(host)
    ? `HOST is ${host}, not a loopback address`
    : databaseUrl
      ? 'DATABASE_URL is set'
      : publicUrl.startsWith('https:') ? 'PUBLIC_URL is https' : undefined
  if (why)
    throw new ConfigError('CASHIER_MODE', `no merchant credentials are set and ${why}: set CASHIER_MODE=sandbox to run the sandbox here on purpose, or set the live credentials (none of ${LIVE_MARKERS.join(', ')} is set)`)
  return 'sandbox'
}

/**
 * Reads the configuration from the environment. With no merchant credentials the server runs in
 * sandbox mode against its embedded simulator (where implicitSandbox allows it, or with CASHIER_MODE=sandbox);
 * with any of them it runs live and every missing or malformed setting stops start-up with a message that names it.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): ServerConfig {
  if (env.CASHIER_MODE && env.CASHIER_MODE !== 'sandbox' && env.CASHIER_MODE !== 'live')
    throw new ConfigError('CASHIER_MODE', `must be sandbox or live, got "${env.CASHIER_MODE}"`)
  const host = env.HOST || '127.0.0.1'
  const port = int(env, 'PORT', 8080)
  const publicUrl = url(env, 'PUBLIC_URL', `http://${host}:${port}`)
  const databaseUrl = env.DATABASE_URL || undefined
  if (databaseUrl && !/^postgres(?:ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://')
  const mode = env.CASHIER_MODE === 'sandbox' || env.CASHIER_MODE === 'live'
    ? env.CASHIER_MODE
    : LIVE_MARKERS.some(k => env[k]) ? 'live' : implicitSandbox(host, publicUrl, databaseUrl)

  const sandboxBase = `${publicUrl}/sandbox`
  const live = mode === 'live'
  const bases: ProviderBases = {
    wechatOAuth: url(env, 'WECHAT_OAUTH_BASE', live ? 'https://open.weixin.qq.com' : `${sandboxBase}/wechat/open`),
    wechatApi: url(env, 'WECHAT_API_BASE', live ? 'https://api.weixin.qq.com' : `${sandboxBase}/wechat/api`),
    wechatPay: url(env, 'WECHATPAY_API_BASE', live ? 'https://api.mch.weixin.qq.com' : `${sandboxBase}/wechatpay`),
    alipayGateway: url(env, 'ALIPAY_GATEWAY', live ? 'https://openapi.alipay.com/gateway.do' : `${sandboxBase}/alipay/gateway.do`),
    alipayOAuth: url(env, 'ALIPAY_OAUTH_BASE', live ? 'https://openauth.alipay.com' : `${sandboxBase}/alipay/oauth`),
  }

  const config: ServerConfig = {
    mode,
    host,
    port,
    publicUrl,
    dataDir: path.resolve(cwd, env.DATA_DIR || 'data'),
    databaseUrl,
    demo: bool(env, 'DEMO', !live),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    staticDir: path.resolve(cwd, env.STATIC_DIR || 'dist/build/h5'),
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map(s => s.trim().replace(/\/+$/, '')).filter(Boolean),
    returnUrlHosts: (env.RETURN_URL_HOSTS ?? '').split(',').map(s => s.trim().toLowerCase()).filter(Boolean),
    reconcileAfterSeconds: num(env, 'RECONCILE_AFTER_SECONDS', 3),
    providerQueriesPerSecond: int(env, 'PROVIDER_QUERIES_PER_SECOND', 20),
    providerQueryConcurrency: int(env, 'PROVIDER_QUERY_CONCURRENCY', 4),
    qrTtlSeconds: int(env, 'QR_TTL_SECONDS', 7200, 30),
    merchantName: env.MERCHANT_NAME || (live ? '' : 'uni-cashier 演示商户'),
    merchantLogoUrl: logoUrl(env, 'MERCHANT_LOGO_URL'),
    providerTimeoutMs: int(env, 'PROVIDER_TIMEOUT_MS', 10_000, 100),
    fulfilmentLog: env.FULFILMENT_LOG ? path.resolve(cwd, env.FULFILMENT_LOG) : undefined,
    rateLimitPerIp: int(env, 'RATE_LIMIT_PER_IP', 120),
    rateLimitPerSession: int(env, 'RATE_LIMIT_PER_SESSION', 20),
    rateLimitPerKey: int(env, 'RATE_LIMIT_PER_KEY', 1200),
    sandboxTimeScale: num(env, 'SANDBOX_TIME_SCALE', 1),
    sandboxEmbedded: bool(env, 'SANDBOX_EMBEDDED', true),
    sandboxWechatSigner: oneOf(env, 'SANDBOX_WECHATPAY_SIGNER', WECHAT_SIGNER_MODES, 'public_key'),
    bases,
    webhookUrl: env.WEBHOOK_URL ? url(env, 'WEBHOOK_URL', env.WEBHOOK_URL) : undefined,
    webhookSecret: env.WEBHOOK_SECRET || undefined,
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100),
    webhookTimeScale: num(env, 'WEBHOOK_TIME_SCALE', 1),
    autoRefundDuplicates: bool(env, 'AUTO_REFUND_DUPLICATES', true),
    latePayments: oneOf(env, 'LATE_PAYMENTS', ['refund', 'fulfil'] as const, 'refund'),
    sweepIntervalSeconds: num(env, 'SWEEP_INTERVAL_SECONDS', 5),
    refundCheckSeconds: num(env, 'REFUND_CHECK_SECONDS', 10),
    consolePassword: env.CONSOLE_PASSWORD || undefined,
    // RATE_LIMIT_PER_IP=0 (a load test from one address) turns these per-IP limits off too unless they are set.
    statusRateLimitPerIp: int(env, 'STATUS_RATE_LIMIT_PER_IP', env.RATE_LIMIT_PER_IP === '0' ? 0 : 600),
    maxStreamsPerIp: int(env, 'MAX_STREAMS_PER_IP', env.RATE_LIMIT_PER_IP === '0' ? 0 : 50),
    maxStreamsPerOrder: int(env, 'MAX_STREAMS_PER_ORDER', 20),
    logLevel: env.LOG_LEVEL || 'info',
  }
  if (config.webhookUrl && !config.webhookSecret)
    throw new ConfigError('WEBHOOK_SECRET', 'is required with WEBHOOK_URL (at least 24 characters; the shop verifies webhooks with it)')
  if (config.webhookSecret && config.webhookSecret.length < 24)
    throw new ConfigError('WEBHOOK_SECRET', 'must be at least 24 characters')
  if (config.consolePassword && config.consolePassword.length < 12)
    throw new ConfigError('CONSOLE_PASSWORD', 'must be at least 12 characters')

  if (live) {
    if (!config.merchantName)
      throw new ConfigError('MERCHANT_NAME', 'is required in live mode')
    if (config.demo)
      throw new ConfigError('DEMO', 'must be off in live mode: the demo endpoint lets anyone create real orders of any amount and subject')
    if (env.WECHATPAY_MCHID || env.WECHAT_APPID || env.WECHAT_MP_APPID) {
      config.wechat = {
        ...wechatApps(env),
        mchId: required(env, 'WECHATPAY_MCHID', /^\d{8,12}$/, '8–12 digits'),
        serial: required(env, 'WECHATPAY_SERIAL', /^[0-9A-F]{8,40}$/i, 'the merchant API certificate serial, hex'),
        privateKeyPem: pem(env, 'WECHATPAY_PRIVATE_KEY_PATH', 'PRIVATE'),
        ...wechatVerification(env),
        apiV3Key: required(env, 'WECHATPAY_APIV3_KEY', /^[\x21-\x7E]{32}$/, '32 printable ASCII characters'),
      }
    }
    if (env.ALIPAY_APP_ID) {
      config.alipay = {
        appId: required(env, 'ALIPAY_APP_ID', /^\d{16}$/, '16 digits'),
        privateKeyPem: pem(env, 'ALIPAY_PRIVATE_KEY_PATH', 'PRIVATE'),
        alipayPublicKeyPem: pem(env, 'ALIPAY_PUBLIC_KEY', 'PUBLIC'),
        // Notifications are checked against it: without it a notification for another seller's trade would be taken.
        sellerId: required(env, 'ALIPAY_SELLER_ID', /^2088\d{12}$/, 'the seller\'s Alipay user id, 2088 followed by 12 digits'),
        ...alipayInAppProduct(env),
      }
    }
    if (!config.wechat && !config.alipay)
      throw new ConfigError('CASHIER_MODE', 'is live, but neither WeChat Pay (WECHATPAY_MCHID …) nor Alipay (ALIPAY_APP_ID …) is configured')
    if (!new URL(publicUrl).protocol.startsWith('https'))
      throw new ConfigError('PUBLIC_URL', 'must be https:// in live mode (WeChat and Alipay require it)')
  }
  return config
}
