import type { Hono } from 'hono'
import type { PlatformCertificateKeys, WechatSignerMode } from './wechat/signer'

/** Key material the sandbox generates at first start into the data directory (never committed). */
export interface SandboxKeys {
  wechat: {
    appId: string
    appSecret: string
    /** The mini program's appid (JSAPI-type prepay for uni.requestPayment). */
    miniProgramAppId: string
    miniProgramSecret: string
    mchId: string
    /** Merchant API key pair; the merchant signs requests and paySign with the private half. */
    merchantPrivateKeyPem: string
    merchantPublicKeyPem: string
    /** Merchant API certificate serial (40 upper-hex chars). */
    merchantSerial: string
    /** The "WeChat Pay public key" pair; the sandbox signs responses and notifications with it. */
    platformPrivateKeyPem: string
    platformPublicKeyPem: string
    /** `PUB_KEY_ID_…`, sent as Wechatpay-Serial. */
    platformPublicKeyId: string
    /** The platform certificate the older merchants verify with (absent from key files made before it existed). */
    platformCertificate?: PlatformCertificateKeys
    /** 32 ASCII chars. */
    apiV3Key: string
  }
  alipay: {
    appId: string
    /** The merchant app key pair (PKCS#8 PEM). */
    appPrivateKeyPem: string
    appPublicKeyPem: string
    /** The "Alipay" key pair the sandbox signs responses and notifications with. */
    alipayPrivateKeyPem: string
    alipayPublicKeyPem: string
    /** 2088… 16 digits. */
    sellerId: string
  }
}

/** What a test or an operator can make the sandbox do wrong. Rates are 0..1. */
export interface SandboxFaults {
  /** Notifications never sent (the order is still paid at the provider: query heals it). */
  dropNotifyRate: number
  /** Notifications sent twice. */
  duplicateNotifyRate: number
  /** Notifications held back by `delayNotifyMs` (so they arrive out of order). */
  delayNotifyRate: number
  delayNotifyMs: number
  /** Notifications whose body is altered after signing (must be rejected by the merchant). */
  corruptNotifyRate: number
  /** API calls (create/query/close) answered 500 SYSTEM_ERROR. */
  failApiRate: number
  /** API calls delayed by this many ms (a client timeout shorter than this sees a timeout). */
  slowApiMs: number
  /** Only fail/slow these API operations; empty means all. */
  apiOps: Array<'create' | 'query' | 'close' | 'oauth' | 'refund'>
  /** Refunds that the provider accepts and then cannot pay out (WeChat ABNORMAL; Alipay refuses with a balance error). */
  refundFailRate: number
  /** Refunds stay processing this long before they succeed (0: at once). */
  refundPendingMs: number
}

export interface SandboxOptions {
  keys: SandboxKeys
  /** Absolute origin the sandbox is reachable at, e.g. http://127.0.0.1:8080 */
  publicUrl: string
  /** Multiplies provider delays (notify retry schedule: 15s, 15s, 30s, 3m …); 0.001 in tests. */
  timeScale: number
  /** The H5 pay page checks the Referer host against this (WeChat's "H5 payment domain"). */
  h5Domain: string
  /** How the simulated merchant account verifies WeChat Pay (see wechat/signer.ts); `public_key` by default. */
  wechatSigner?: WechatSignerMode
  /** Random source for fault decisions; tests may pass a seeded one. */
  random?: () => number
  log?: (obj: Record<string, unknown>, msg: string) => void
}

export interface Sandbox {
  /** Mounted by the server at `/sandbox`. */
  app: Hono
  faults: SandboxFaults
  /** Stops retry timers (graceful shutdown, tests). */
  close: () => Promise<void>
}
