import type { AlipaySdkCommonResult } from 'alipay-sdk'
import type { AlipayCredentials } from '../../config'
import { AlipayRequestError, AlipaySdk } from 'alipay-sdk'
import { fenToYuanString } from '../../../contract/money'
import { ProviderError } from '../errors'
import { extractSignedResponse, verifyNotify as verifyNotifySign, verifyResponse } from './sign'

/** `trade_status` of alipay.trade.query and the notification. */
export type AlipayTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED'

/** An Alipay trade as alipay.trade.query reports it (the fields we rely on). */
export interface AlipayTrade {
  outTradeNo: string
  tradeNo?: string
  tradeStatus: AlipayTradeStatus
  /** Yuan string, e.g. "12.30". */
  totalAmount: string
  sellerId?: string
  appId?: string
}

/** The order fields every trade-creating call takes. */
export interface AlipayOrderInput {
  outTradeNo: string
  amountFen: number
  subject: string
  notifyUrl: string
  timeExpire: Date
}

/** The buyer of an in-app trade: the user id (`2088…`) or the newer per-app open id. */
export interface AlipayBuyer {
  userId?: string
  openId?: string
}

/** What alipay.trade.refund answers. */
export interface AlipayRefundAnswer {
  /** Y: money moved with this call; N: nothing moved (for example the same out_request_no was refunded before). */
  fundChange: boolean
  /** Total refunded on the trade so far, yuan string. */
  refundFee?: string
  tradeNo?: string
}

/** alipay.trade.fastpay.refund.query for one out_request_no; null when Alipay has no such refund (not refunded). */
export interface AlipayRefundRecord {
  outTradeNo: string
  outRequestNo: string
  /** REFUND_SUCCESS, or absent for a refund found without a status (Alipay documents that as success too). */
  refundStatus?: string
  /** Yuan string. */
  refundAmount?: string
  gmtRefundPay?: string
}

export interface AlipayClient {
  /** alipay.trade.wap.pay as a signed GET URL of the gateway (the browser navigates to it). */
  wapPayUrl: (input: AlipayOrderInput & { returnUrl: string, quitUrl: string }) => string
  /** alipay.trade.precreate: the QR content to render. */
  precreate: (input: AlipayOrderInput) => Promise<{ qrCode: string }>
  /** alipay.trade.create: the trade_no for AlipayJSBridge `tradePay`. */
  create: (input: AlipayOrderInput & { buyer: AlipayBuyer }) => Promise<{ tradeNo: string }>
  /** alipay.trade.query; null when Alipay has no such trade (a wap.pay link the buyer never opened). */
  query: (outTradeNo: string) => Promise<AlipayTrade | null>
  /** alipay.trade.close; a trade Alipay never created counts as closed. */
  close: (outTradeNo: string) => Promise<void>
  /** alipay.trade.refund with out_request_no: asking twice with the same out_request_no refunds once. */
  refund: (input: { outTradeNo: string, outRequestNo: string, refundFen: number, reason: string }) => Promise<AlipayRefundAnswer>
  /** alipay.trade.fastpay.refund.query; null when the refund is not there (it did not happen). */
  queryRefund: (outTradeNo: string, outRequestNo: string) => Promise<AlipayRefundRecord | null>
  /** The web OAuth (`auth_base`) URL that comes back to `redirectUri` with `auth_code` and `state`. */
  authorizeUrl: (redirectUri: string, state: string) => string
  /** alipay.system.oauth.token with grant_type authorization_code. Throws AlipayAuthCodeError for a bad or used code. */
  exchangeAuthCode: (code: string) => Promise<AlipayBuyer>
  /** RSA2 check of an async notification (or return) over its parameters without sign and sign_type. */
  verifyNotify: (params: Record<string, string>) => boolean
}

/** The auth_code was unknown, expired or already used: send the user through authorization again. */
export class AlipayAuthCodeError extends Error {
  constructor(readonly subCode: string, message: string) {
    super(message)
    this.name = 'AlipayAuthCodeError'
  }
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time, the format of Alipay's time_expire and timestamps. */
export function toAlipayTime(d: Date): string {
  const cst = new Date(d.getTime() + 8 * 3600_000).toISOString()
  return `${cst.slice(0, 10)} ${cst.slice(11, 19)}`
}

/** The inner object of a gateway response, snake_case keys as Alipay sends them. */
type GatewayResult = AlipaySdkCommonResult & Record<string, unknown>

const SUCCESS = '10000'
const UNAVAILABLE_CODES = new Set(['20000', '20001'])
/** Business sub codes Alipay documents as "retry later". */
const RETRY_SUB_CODES = new Set(['ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'aop.ACQ.SYSTEM_ERROR'])
const CODE_INVALID_SUB_CODES = new Set(['isv.code-invalid', 'isv.code-expired', 'isv.code-used'])

function summary(r: GatewayResult): string {
  return [r.code, r.msg, r.sub_code, r.sub_msg].filter(Boolean).join(' ')
}

/** Maps a non-10000 result to the ProviderError kinds shared with the WeChat client. */
function resultError(method: string, r: GatewayResult): ProviderError {
  const code = String(r.sub_code ?? r.code ?? 'UNKNOWN')
  if (UNAVAILABLE_CODES.has(String(r.code)) || RETRY_SUB_CODES.has(code))
    return new ProviderError('unavailable', code, `Alipay unavailable (${method}): ${summary(r)}`)
  if (code === 'ACQ.TRADE_NOT_EXIST')
    return new ProviderError('not_found', code, `Alipay has no such trade (${method})`)
  return new ProviderError('rejected', code, `Alipay refused ${method}: ${summary(r)}`)
}

/**
 * The SDK cannot verify an `error_response` (its sign-string cutter looks for the method's key), so such an answer
 * arrives as a sign failure carrying the raw text. Recovers it when its own sign verifies (or it carries none:
 * an unsigned error can only make us fail, never succeed); null when it is not an error_response.
 */
function recoverErrorResponse(raw: string | undefined, alipayPublicKeyPem: string): GatewayResult | 'bad_signature' | null {
  if (!raw || !raw.includes('"error_response"'))
    return null
  let parsed: { error_response?: GatewayResult, sign?: unknown }
  try {
    parsed = JSON.parse(raw) as typeof parsed
  }
  catch {
    return null
  }
  if (!parsed.error_response)
    return null
  if (parsed.sign !== undefined) {
    const signed = extractSignedResponse(raw, 'error_response')
    if (!signed || !verifyResponse(signed.content, signed.sign, alipayPublicKeyPem))
      return 'bad_signature'
  }
  return parsed.error_response
}

function requestError(method: string, e: unknown, alipayPublicKeyPem: string): ProviderError | GatewayResult {
  if (!(e instanceof AlipayRequestError))
    return new ProviderError('unavailable', 'CLIENT_ERROR', `Alipay call ${method} failed: ${(e as Error)?.message ?? String(e)}`)
  const recovered = recoverErrorResponse(e.responseDataRaw, alipayPublicKeyPem)
  if (recovered === 'bad_signature')
    return new ProviderError('bad_signature', 'BAD_SIGNATURE', `Alipay error response failed verification (${method})`)
  if (recovered)
    return recovered
  if (e.message.startsWith('验签失败'))
    return new ProviderError('bad_signature', 'BAD_SIGNATURE', `Alipay response failed verification (${method})`)
  const status = /status: (\d{3})/.exec(e.message)?.[1]
  if (status && Number(status) < 500 && Number(status) !== 429)
    return new ProviderError('rejected', `HTTP_${status}`, `Alipay gateway answered HTTP ${status} (${method})`, Number(status))
  return new ProviderError('unavailable', status ? `HTTP_${status}` : 'NETWORK', `Alipay unavailable (${method}): ${e.message}`, status ? Number(status) : undefined)
}

/**
 * Alipay OpenAPI (v2 gateway) over the official `alipay-sdk`: requests signed RSA2 with the app key, every
 * response verified with the Alipay public key. `gateway` / `oauthBase` point at Alipay or at the sandbox.
 */
export function createAlipayClient(creds: AlipayCredentials, opts: { gateway: string, oauthBase: string, timeoutMs?: number }): AlipayClient {
  const sdk = new AlipaySdk({
    appId: creds.appId,
    privateKey: creds.privateKeyPem,
    // PKCS#1 PEMs say "RSA PRIVATE KEY"; anything else is PKCS#8.
    keyType: creds.privateKeyPem.includes('RSA PRIVATE KEY-----') ? 'PKCS1' : 'PKCS8',
    alipayPublicKey: creds.alipayPublicKeyPem,
    gateway: opts.gateway,
    endpoint: new URL(opts.gateway).origin,
    timeout: opts.timeoutMs ?? 10_000,
    camelcase: false,
  })
  const oauthBase = opts.oauthBase.replace(/\/+$/, '')

  /**
   * One gateway call; resolves only with a verified 10000 result, otherwise throws a ProviderError. The timestamp is
   * Beijing time whatever the server's time zone (alipay-sdk would stamp the process's local time).
   */
  async function call(method: string, params: Record<string, unknown>): Promise<GatewayResult> {
    let result: GatewayResult
    try {
      result = await sdk.exec(method, { ...params, timestamp: toAlipayTime(new Date()) }, { validateSign: true }) as GatewayResult
    }
    catch (e) {
      const mapped = requestError(method, e, creds.alipayPublicKeyPem)
      if (mapped instanceof ProviderError)
        throw mapped
      result = mapped
    }
    // alipay.system.oauth.token answers success without code/msg.
    if (result.code !== undefined && result.code !== SUCCESS)
      throw resultError(method, result)
    return result
  }

  const order = (input: AlipayOrderInput): Record<string, string> => ({
    out_trade_no: input.outTradeNo,
    total_amount: fenToYuanString(input.amountFen),
    // Alipay refuses subjects containing / = & (ACQ.INVALID_PARAMETER); they become spaces.
    subject: input.subject.replace(/[/=&]/g, ' ').slice(0, 256),
    time_expire: toAlipayTime(input.timeExpire),
  })

  return {
    wapPayUrl(input) {
      return sdk.pageExecute('alipay.trade.wap.pay', 'GET', {
        timestamp: toAlipayTime(new Date()),
        bizContent: { ...order(input), product_code: 'QUICK_WAP_WAY', quit_url: input.quitUrl },
        returnUrl: input.returnUrl,
        notifyUrl: input.notifyUrl,
      })
    },
    async precreate(input) {
      const r = await call('alipay.trade.precreate', { bizContent: order(input), notifyUrl: input.notifyUrl })
      if (typeof r.qr_code !== 'string')
        throw new ProviderError('unavailable', 'MALFORMED', 'Alipay precreate answered without qr_code')
      return { qrCode: r.qr_code }
    },
    async create(input) {
      const { userId, openId } = input.buyer
      if (!userId && !openId)
        throw new TypeError('alipay.trade.create needs buyer.userId or buyer.openId')
      const buyer = userId ? { buyer_id: userId } : { buyer_open_id: openId! }
      // FACE_TO_FACE_PAYMENT is the documented default; JSAPI_PAY is the mini program product and names it (op_app_id).
      const productCode = creds.createProductCode ?? 'FACE_TO_FACE_PAYMENT'
      const product = productCode === 'JSAPI_PAY' ? { product_code: productCode, op_app_id: creds.opAppId } : { product_code: productCode }
      const r = await call('alipay.trade.create', { bizContent: { ...order(input), ...product, ...buyer }, notifyUrl: input.notifyUrl })
      if (typeof r.trade_no !== 'string')
        throw new ProviderError('unavailable', 'MALFORMED', 'Alipay create answered without trade_no')
      return { tradeNo: r.trade_no }
    },
    async query(outTradeNo) {
      let r: GatewayResult
      try {
        r = await call('alipay.trade.query', { bizContent: { out_trade_no: outTradeNo } })
      }
      catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found')
          return null
        throw e
      }
      const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
      return {
        outTradeNo: str(r.out_trade_no) ?? outTradeNo,
        tradeNo: str(r.trade_no),
        tradeStatus: r.trade_status as AlipayTradeStatus,
        totalAmount: String(r.total_amount),
        sellerId: str(r.seller_id),
        appId: str(r.app_id),
      }
    },
    async close(outTradeNo) {
      try {
        await call('alipay.trade.close', { bizContent: { out_trade_no: outTradeNo } })
      }
      catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found')
          return
        throw e
      }
    },
    async refund(input) {
      const r = await call('alipay.trade.refund', { bizContent: {
        out_trade_no: input.outTradeNo,
        out_request_no: input.outRequestNo,
        refund_amount: fenToYuanString(input.refundFen),
        refund_reason: [...input.reason].slice(0, 256).join(''),
      } })
      return {
        fundChange: r.fund_change === 'Y',
        refundFee: typeof r.refund_fee === 'string' ? r.refund_fee : undefined,
        tradeNo: typeof r.trade_no === 'string' ? r.trade_no : undefined,
      }
    },
    async queryRefund(outTradeNo, outRequestNo) {
      let r: GatewayResult
      try {
        r = await call('alipay.trade.fastpay.refund.query', { bizContent: { out_trade_no: outTradeNo, out_request_no: outRequestNo, query_options: ['gmt_refund_pay'] } })
      }
      catch (e) {
        if (e instanceof ProviderError && e.kind === 'not_found')
          return null
        throw e
      }
      const amount = typeof r.refund_amount === 'string' && r.refund_amount !== '' ? r.refund_amount : undefined
      if (!amount)
        return null
      return {
        outTradeNo,
        outRequestNo,
        refundStatus: typeof r.refund_status === 'string' && r.refund_status !== '' ? r.refund_status : undefined,
        refundAmount: amount,
        gmtRefundPay: typeof r.gmt_refund_pay === 'string' ? r.gmt_refund_pay : undefined,
      }
    },
    authorizeUrl(redirectUri, state) {
      const q = `app_id=${encodeURIComponent(creds.appId)}&scope=auth_base&redirect_uri=${encodeURIComponent(redirectUri)}&state=${encodeURIComponent(state)}`
      return `${oauthBase}/oauth2/publicAppAuthorize.htm?${q}`
    },
    async exchangeAuthCode(code) {
      let r: GatewayResult
      try {
        r = await call('alipay.system.oauth.token', { grantType: 'authorization_code', code })
      }
      catch (e) {
        if (e instanceof ProviderError && CODE_INVALID_SUB_CODES.has(e.providerCode))
          throw new AlipayAuthCodeError(e.providerCode, 'Alipay auth_code is invalid, expired or already used')
        throw e
      }
      const userId = typeof r.user_id === 'string' && r.user_id ? r.user_id : undefined
      const openId = typeof r.open_id === 'string' && r.open_id ? r.open_id : undefined
      if (!userId && !openId)
        throw new ProviderError('rejected', 'NO_USER', 'Alipay oauth.token answered without user_id or open_id')
      return { userId, openId }
    },
    verifyNotify(params) {
      try {
        // The SDK keeps empty values in the signed string; the official rule drops them, so both are accepted.
        return sdk.checkNotifySignV2(params) || verifyNotifySign(params, creds.alipayPublicKeyPem)
      }
      catch {
        return false
      }
    },
  }
}
