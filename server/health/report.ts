import type { PayMethod } from '../../contract/api'
import type { ServerConfig } from '../config'

/** A provider console setting the server cannot check itself, with the exact value this deployment needs. */
export interface ConsoleSetting {
  provider: 'wechat' | 'alipay'
  /** Where it is set, in the console's own words. */
  where: string
  /** What to set there. */
  value: string
  /** What fails when it is wrong. */
  symptom: string
}

/** A configured key or certificate that needs the merchant's attention now. */
export interface CredentialWarning {
  provider: 'wechat' | 'alipay'
  setting: string
  problem: string
}

export interface HealthReport {
  ok: true
  mode: 'sandbox' | 'live'
  version: string
  /** True when /sandbox (which can pay orders) is served by this process: never in live mode. */
  sandboxMounted: boolean
  methods: PayMethod[]
  providers: {
    wechat: null | {
      officialAccount: string | null
      miniProgram: string | null
      /** How WeChat Pay's answers are verified: by the public key, platform certificates, or both. */
      verification: Array<'public_key' | 'platform_certificate'>
      publicKeyId: string | null
      platformCertificates: Array<{ serial: string, validTo: string }>
      notifyUrl: string
    }
    alipay: null | { appId: string, createProductCode: string, notifyUrl: string }
  }
  /** Console settings to check by hand before the first real payment (live mode). */
  consoleSettings: ConsoleSetting[]
  warnings: CredentialWarning[]
}

const CERT_WARNING_DAYS = 30

/**
 * What `GET /api/health` reports: which providers this server is configured for and, in live mode, the console
 * settings each needs (they live in the WeChat and Alipay consoles, out of the server's sight) and credentials
 * about to stop working. Ids only, never a secret.
 */
export function healthReport(config: ServerConfig, opts: { version: string, sandboxMounted: boolean, methods: PayMethod[], now?: Date }): HealthReport {
  const now = opts.now ?? new Date()
  const host = new URL(config.publicUrl).host
  const wx = config.wechat
  const ali = config.alipay
  const consoleSettings: ConsoleSetting[] = []
  const warnings: CredentialWarning[] = []
  const live = config.mode === 'live'

  if (wx && live) {
    if (wx.appId) {
      consoleSettings.push(
        { provider: 'wechat', where: `Official account ${wx.appId}: 设置与开发 → 公众号设置 → 功能设置 → 网页授权域名`, value: host, symptom: 'the OAuth page shows 10003 redirect_uri 域名与后台配置不一致; JSAPI never gets an openid' },
        { provider: 'wechat', where: `WeChat Pay merchant ${wx.mchId}: 产品中心 → 开发配置 → JSAPI支付授权目录`, value: `${config.publicUrl}/`, symptom: 'the WeChat cashier answers 当前页面的URL未注册' },
        { provider: 'wechat', where: `WeChat Pay merchant ${wx.mchId}: 产品中心 → 开发配置 → H5支付域名`, value: host, symptom: 'the H5 middle page shows 商家参数格式有误，请联系商家解决' },
        { provider: 'wechat', where: `WeChat Pay merchant ${wx.mchId}: 产品中心 → AppID账号管理`, value: `${wx.appId} bound to ${wx.mchId}`, symptom: 'orders are refused with APPID_MCHID_NOT_MATCH' },
      )
    }
    if (wx.miniProgramAppId) {
      consoleSettings.push(
        { provider: 'wechat', where: `WeChat Pay merchant ${wx.mchId}: 产品中心 → AppID账号管理`, value: `${wx.miniProgramAppId} (mini program) bound to ${wx.mchId}`, symptom: 'mini program orders are refused with APPID_MCHID_NOT_MATCH' },
        { provider: 'wechat', where: `Mini program ${wx.miniProgramAppId}: 开发管理 → 开发设置 → 服务器域名 → request合法域名`, value: `https://${host}`, symptom: 'uni.request to the API fails in the mini program' },
      )
    }
    consoleSettings.push({ provider: 'wechat', where: `WeChat Pay merchant ${wx.mchId}: 账户中心 → API安全 → APIv3密钥`, value: 'the same 32 characters as WECHATPAY_APIV3_KEY', symptom: 'notifications answer 400 (does not decrypt); orders are paid only when a status read queries WeChat' })
    for (const cert of wx.platformCertificates ?? []) {
      const days = (cert.validTo.getTime() - now.getTime()) / 86_400_000
      if (days < 0)
        warnings.push({ provider: 'wechat', setting: 'WECHATPAY_PLATFORM_CERTS', problem: `platform certificate ${cert.serial} expired on ${cert.validTo.toISOString()}: add its successor, or move to the WeChat Pay public key` })
      else if (days < CERT_WARNING_DAYS)
        warnings.push({ provider: 'wechat', setting: 'WECHATPAY_PLATFORM_CERTS', problem: `platform certificate ${cert.serial} expires on ${cert.validTo.toISOString()}: add its successor before then` })
    }
  }
  if (ali && live) {
    consoleSettings.push(
      { provider: 'alipay', where: `Alipay app ${ali.appId}: 开发设置 → 接口加签方式 (公钥模式)`, value: 'the public half of ALIPAY_PRIVATE_KEY_PATH uploaded as the app public key; ALIPAY_PUBLIC_KEY is the Alipay public key shown beside it', symptom: 'every call answers 40002 isv.invalid-signature, or answers fail verification (bad_signature)' },
      { provider: 'alipay', where: `Alipay app ${ali.appId}: 开发设置 → 授权回调地址`, value: config.publicUrl, symptom: 'in-app pay cannot authorise the buyer (the authorize page refuses redirect_uri)' },
      { provider: 'alipay', where: `Alipay app ${ali.appId}: 产品绑定`, value: `手机网站支付 (alipay_wap), 当面付 (alipay_qr${ali.createProductCode === 'FACE_TO_FACE_PAYMENT' ? ', alipay_app' : ''})${ali.createProductCode === 'JSAPI_PAY' ? `, 小程序支付 with op_app_id ${ali.opAppId}` : ''}`, symptom: 'calls answer 40006 insufficient permissions (ACQ.ACCESS_FORBIDDEN)' },
    )
  }

  return {
    ok: true,
    mode: config.mode,
    version: opts.version,
    sandboxMounted: opts.sandboxMounted,
    methods: opts.methods,
    providers: {
      wechat: wx
        ? {
            officialAccount: wx.appId ?? null,
            miniProgram: wx.miniProgramAppId ?? null,
            verification: [...(wx.platformPublicKeyId ? ['public_key' as const] : []), ...(wx.platformCertificates?.length ? ['platform_certificate' as const] : [])],
            publicKeyId: wx.platformPublicKeyId ?? null,
            platformCertificates: (wx.platformCertificates ?? []).map(c => ({ serial: c.serial, validTo: c.validTo.toISOString() })),
            notifyUrl: `${config.publicUrl}/api/notify/wechatpay`,
          }
        : null,
      alipay: ali ? { appId: ali.appId, createProductCode: ali.createProductCode ?? 'FACE_TO_FACE_PAYMENT', notifyUrl: `${config.publicUrl}/api/notify/alipay` } : null,
    },
    consoleSettings,
    warnings,
  }
}
