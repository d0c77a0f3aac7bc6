/** The WeChat Pay simulator's records: orders as it keeps them, one-time codes, notifications. */
import type { NotificationBase } from '../core/notifier'

/** The order fields the sandbox keeps, taken from a valid body. */
export interface ValidOrderBody {
  appid: string
  mchid: string
  description: string
  outTradeNo: string
  notifyUrl: string
  attach?: string
  amountTotal: number
  currency: string
  payerOpenid?: string
  deviceId?: string
  payerClientIp?: string
  timeExpireMs?: number
}

export type WxTradeKind = 'jsapi' | 'h5' | 'native'
export type WxTradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED'

/** A WeChat Pay order as the sandbox keeps it: the validated create body plus its state. */
export interface WxOrder extends ValidOrderBody {
  kind: WxTradeKind
  /** Canonical (key-sorted) JSON of the create body, to tell identical re-creates from conflicting ones. */
  canonicalBody: string
  createdAt: number
  state: WxTradeState
  /** Internal for h5/native, the public answer for jsapi. */
  prepayId: string
  prepayExpiresAt: number
  codeUrl?: string
  h5Url?: string
  h5Package?: string
  h5ExpiresAt?: number
  transactionId?: string
  successAt?: number
  closedAt?: number
  /** Customer-side events (cancelled cashier, failed bridge attempts …) for the control API. */
  events: Array<{ at: number, what: string }>
  /** Refunds of this order, by out_refund_no (filled by ./refunds.ts). */
  refunds?: WxRefund[]
}

/** A refund as the simulator keeps it. */
export interface WxRefund {
  outRefundNo: string
  refundId: string
  outTradeNo: string
  amount: number
  reason?: string
  notifyUrl: string
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL'
  createdAt: number
  successAt?: number
}

/** A one-time code (OAuth `code` or mini program `js_code`). */
export interface OneTimeCode {
  appid: string
  openid: string
  scope?: string
  expiresAt: number
  used: boolean
}

/** One WeChat Pay notification (an event copy or a SIGNTEST probe) and its attempts. */
export interface NotificationRecord extends NotificationBase {
  event_id: string
  kind: 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED' | 'SIGNTEST'
  /** Refund notifications: the refund they are about. */
  out_refund_no?: string
}
