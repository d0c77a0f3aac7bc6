import type { JsapiParams } from '../../../contract/api'
import type { WechatCredentials } from '../../config'
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { Formatter, Rsa } from 'wechatpay-axios-plugin'
import { ProviderError } from '../errors'
import { createApiV3 } from './api-v3'
import { requestSerialHeader, wechatPayVerifierKeys } from './verification'

/** The transaction object of WeChat Pay v3 query and notification (fields we rely on). */
export interface WechatTransaction {
  appid: string
  mchid: string
  out_trade_no: string
  transaction_id?: string
  trade_type?: string
  trade_state: 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR'
  trade_state_desc?: string
  success_time?: string
  amount?: { total: number, payer_total?: number, currency?: string, payer_currency?: string }
  payer?: { openid?: string }
}

/** A refund as WeChat Pay v3 answers a refund request, a refund query and (decrypted) a refund notification. */
export interface WechatRefund {
  out_refund_no: string
  out_trade_no: string
  refund_id?: string
  transaction_id?: string
  /** `status` in the API answers, `refund_status` in notifications. */
  status?: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL'
  refund_status?: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL'
  success_time?: string
  amount?: { total: number, refund: number, payer_total?: number, payer_refund?: number, currency?: string }
  /** Notifications only. */
  mchid?: string
}

export interface RefundInput {
  outTradeNo: string
  outRefundNo: string
  refundFen: number
  totalFen: number
  reason: string
  notifyUrl: string
}

export interface CreateOrderInput {
  appId: string
  description: string
  outTradeNo: string
  amountFen: number
  notifyUrl: string
  timeExpire: Date
}

export interface WechatPayClient {
  createJsapi: (input: CreateOrderInput & { openid: string }) => Promise<{ prepayId: string }>
  createH5: (input: CreateOrderInput & { payerClientIp: string }) => Promise<{ h5Url: string }>
  createNative: (input: CreateOrderInput) => Promise<{ codeUrl: string }>
  /** null when WeChat has no such order. */
  query: (outTradeNo: string) => Promise<WechatTransaction | null>
  close: (outTradeNo: string) => Promise<void>
  /** POST /v3/refund/domestic/refunds; the same out_refund_no asked twice refunds once. */
  refund: (input: RefundInput) => Promise<WechatRefund>
  /** GET /v3/refund/domestic/refunds/{out_refund_no}; null when WeChat has no such refund. */
  queryRefund: (outRefundNo: string) => Promise<WechatRefund | null>
  /**
   * The `getBrandWCPayRequest` / `uni.requestPayment` parameters, signed with the merchant key. `fixed` pins the
   * timestamp and nonce (known-answer tests); by default they are now and 32 random upper-hex characters.
   */
  jsapiParams: (appId: string, prepayId: string, fixed?: { timeStamp: string, nonceStr: string }) => JsapiParams
}

/** RFC 3339 with +08:00, as WeChat documents (`2018-06-08T10:34:56+08:00`). */
export function toWechatTime(d: Date): string {
  const cst = new Date(d.getTime() + 8 * 3600_000)
  return `${cst.toISOString().slice(0, 19)}+08:00`
}

/** WeChat's limit on `description` (string[1,127]), counted in UTF-8 bytes so that it holds however it is counted. */
export const DESCRIPTION_MAX_BYTES = 127
/** `reason` of a refund: string(80), counted in bytes (refund doc, merchant/products/refund/apilist.html). */
export const REFUND_REASON_MAX_BYTES = 80

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character (a surrogate pair stays whole). */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0
  let out = ''
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8')
    if (bytes + size > maxBytes)
      break
    bytes += size
    out += ch
  }
  return out
}

/**
 * WeChat Pay API v3 (see api-v3.ts): every request signed with the merchant key and naming the key the merchant
 * verifies with (`Wechatpay-Serial`), every answer verified by its `Wechatpay-Serial` against the WeChat Pay public
 * key or a platform certificate. `baseUrl` points at the real API or the sandbox.
 */
export function createWechatPayClient(creds: WechatCredentials, baseUrl: string, timeoutMs = 10_000): WechatPayClient {
  const privateKey = Rsa.from(creds.privateKeyPem, Rsa.KEY_TYPE_PRIVATE)
  const api = createApiV3({
    mchId: creds.mchId,
    serial: creds.serial,
    privateKeyPem: creds.privateKeyPem,
    verifierKeys: wechatPayVerifierKeys(creds),
    baseUrl,
    timeoutMs,
    headers: requestSerialHeader(creds),
  })

  const base = (input: CreateOrderInput) => ({
    appid: input.appId,
    mchid: creds.mchId,
    description: truncateUtf8(input.description, DESCRIPTION_MAX_BYTES),
    out_trade_no: input.outTradeNo,
    time_expire: toWechatTime(input.timeExpire),
    notify_url: input.notifyUrl,
    amount: { total: input.amountFen, currency: 'CNY' },
  })

  const post = <T>(path: string, body: object) => api.call<T>('POST', path, body)
  /** A GET whose 404 means "no such thing": null. */
  async function find<T>(path: string): Promise<T | null> {
    try {
      return await api.call<T>('GET', path)
    }
    catch (e) {
      if (e instanceof ProviderError && e.kind === 'not_found')
        return null
      throw e
    }
  }

  return {
    async createJsapi(input) {
      const data = await post<{ prepay_id: string }>('v3/pay/transactions/jsapi', { ...base(input), payer: { openid: input.openid } })
      return { prepayId: data.prepay_id }
    },
    async createH5(input) {
      const data = await post<{ h5_url: string }>('v3/pay/transactions/h5', {
        ...base(input),
        scene_info: { payer_client_ip: input.payerClientIp, h5_info: { type: 'Wap' } },
      })
      return { h5Url: data.h5_url }
    },
    async createNative(input) {
      const data = await post<{ code_url: string }>('v3/pay/transactions/native', base(input))
      return { codeUrl: data.code_url }
    },
    query(outTradeNo) {
      return find<WechatTransaction>(`v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(creds.mchId)}`)
    },
    async close(outTradeNo) {
      await post(`v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, { mchid: creds.mchId })
    },
    async refund(input) {
      return post<WechatRefund>('v3/refund/domestic/refunds', {
        out_trade_no: input.outTradeNo,
        out_refund_no: input.outRefundNo,
        // WeChat shows the reason to the payer; "不可超过80个字节" — bytes, not characters.
        reason: truncateUtf8(input.reason, REFUND_REASON_MAX_BYTES),
        notify_url: input.notifyUrl,
        amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
      })
    },
    queryRefund(outRefundNo) {
      return find<WechatRefund>(`v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`)
    },
    jsapiParams(appId, prepayId, fixed) {
      const timeStamp = fixed?.timeStamp ?? String(Formatter.timestamp())
      const nonceStr = fixed?.nonceStr ?? randomBytes(16).toString('hex').toUpperCase()
      const pkg = `prepay_id=${prepayId}`
      const paySign = Rsa.sign(Formatter.joinedByLineFeed(appId, timeStamp, nonceStr, pkg), privateKey)
      return { appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign }
    },
  }
}
