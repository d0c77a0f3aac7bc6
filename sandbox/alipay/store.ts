/**
 * The Alipay half of the sandbox's in-memory state: per-browser Alipay users (user_id and per-app open_id),
 * single-use auth codes, trades with their lookup indexes, notification delivery logs and call counters.
 */
import type { NotificationBase } from '../core/notifier'
import { OneTimeCodes, ProviderLedger } from '../core/ledger'
import { newAlipayOpenId, newAlipayUserId } from './ids'

/** How the trade was started: wap.pay cashier, precreate QR, or create + tradePay. */
export type AliTradeKind = 'wap' | 'precreate' | 'create'
export type AliTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED'

/** An Alipay trade as the sandbox keeps it (it exists from the moment Alipay would know it). */
export interface AliTrade {
  kind: AliTradeKind
  appId: string
  outTradeNo: string
  tradeNo: string
  subject: string
  body?: string
  /** Yuan string exactly as the merchant sent it. */
  totalAmount: string
  amountFen: number
  productCode: string
  notifyUrl?: string
  returnUrl?: string
  quitUrl?: string
  passbackParams?: string
  /** ms since epoch; unpaid trades close then. */
  timeExpireMs: number
  qrCode?: string
  buyerId?: string
  buyerOpenId?: string
  createdAt: number
  status: AliTradeStatus
  paidAt?: number
  closedAt?: number
  events: Array<{ at: number, what: string }>
  /** Refunds of this trade (./refunds.ts). */
  refunds?: AliRefund[]
}

/** A refund as the simulator keeps it: one per out_request_no. */
export interface AliRefund {
  outRequestNo: string
  amountFen: number
  reason?: string
  status: 'PROCESSING' | 'REFUND_SUCCESS'
  createdAt: number
  succeededAt?: number
}

/** A single-use OAuth auth_code. */
export interface AlipayAuthCode {
  appId: string
  userId: string
  openId: string
  scope: string
  expiresAt: number
  used: boolean
}

/** One trade_status_sync notification (copy) and its attempts. */
export interface AlipayNotificationRecord extends NotificationBase {
  notify_id: string
  trade_status: AliTradeStatus
  /** Refund notifications: the out_request_no they are about. */
  out_biz_no?: string
}

interface AlipayUser {
  userId: string
  /** appId → open_id */
  openIds: Map<string, string>
}

export class AlipayStore {
  /** sandbox browser user id → Alipay user */
  private readonly users = new Map<string, AlipayUser>()
  private readonly userIds = new Map<string, AlipayUser>()
  private readonly openIds = new Map<string, { appId: string, user: AlipayUser }>()
  readonly authCodes = new OneTimeCodes<AlipayAuthCode>()
  /** Trades (by out_trade_no, tradeNo, qrCode), their notifications and call counters. */
  readonly trades = new ProviderLedger<AliTrade, AlipayNotificationRecord>(t => ({ tradeNo: t.tradeNo, qrCode: t.qrCode }))

  /** The Alipay user of a sandbox browser user (created on first use) and its open_id under `appId`. */
  userFor(browserUserId: string, appId: string): { userId: string, openId: string } {
    let user = this.users.get(browserUserId)
    if (!user) {
      user = { userId: newAlipayUserId(), openIds: new Map() }
      this.users.set(browserUserId, user)
      this.userIds.set(user.userId, user)
    }
    return { userId: user.userId, openId: this.openIdOf(user, appId) }
  }

  /** True when the sandbox issued this user_id. */
  isUserId(userId: string): boolean {
    return this.userIds.has(userId)
  }

  /** The user_id behind an open_id issued for `appId`, or undefined. */
  userIdOfOpenId(openId: string, appId: string): string | undefined {
    const known = this.openIds.get(openId)
    return known && known.appId === appId ? known.user.userId : undefined
  }

  /** The open_id of a known user_id under `appId` (issued on first use), or undefined for an unknown user. */
  openIdOfUser(userId: string, appId: string): string | undefined {
    const user = this.userIds.get(userId)
    return user && this.openIdOf(user, appId)
  }

  private openIdOf(user: AlipayUser, appId: string): string {
    let openId = user.openIds.get(appId)
    if (!openId) {
      openId = newAlipayOpenId()
      user.openIds.set(appId, openId)
      this.openIds.set(openId, { appId, user })
    }
    return openId
  }
}
