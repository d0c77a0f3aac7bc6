/**
 * The Alipay half of the sandbox's in-memory state: per-browser Alipay users (user_id and per-app open_id),
 * single-use auth codes, trades with their lookup indexes, notification delivery logs and call counters.
 */
import type { CallStats, DeliveryAttempt, NotificationRecord } from '../store'
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

/** One notification attempt plus the merchant's reply text (first 64 characters). */
export interface AlipayDeliveryAttempt extends DeliveryAttempt {
  reply?: string
}

/** One trade_status_sync notification (copy) and its attempts. */
export interface AlipayNotificationRecord {
  notify_id: string
  out_trade_no: string
  trade_status: AliTradeStatus
  faults: NotificationRecord['faults']
  status: NotificationRecord['status']
  notify_url: string
  created_at: string
  next_attempt_at?: string
  attempts: AlipayDeliveryAttempt[]
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
  private readonly authCodes = new Map<string, AlipayAuthCode>()
  private readonly trades = new Map<string, AliTrade>()
  private readonly byTradeNo = new Map<string, AliTrade>()
  private readonly byQrCode = new Map<string, AliTrade>()
  private readonly notifications = new Map<string, AlipayNotificationRecord[]>()
  private readonly stats = new Map<string, CallStats>()

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

  putAuthCode(code: string, entry: AlipayAuthCode): void {
    if (this.authCodes.size >= 1000) {
      const horizon = Date.now() - 600_000
      for (const [k, v] of this.authCodes) {
        if (v.expiresAt < horizon)
          this.authCodes.delete(k)
      }
    }
    this.authCodes.set(code, entry)
  }

  getAuthCode(code: string): AlipayAuthCode | undefined {
    return this.authCodes.get(code)
  }

  getTrade(outTradeNo: string): AliTrade | undefined {
    return this.trades.get(outTradeNo)
  }

  /** Inserts a trade or re-indexes a changed one (trade_no, qr_code). */
  putTrade(trade: AliTrade): void {
    this.trades.set(trade.outTradeNo, trade)
    this.byTradeNo.set(trade.tradeNo, trade)
    if (trade.qrCode)
      this.byQrCode.set(trade.qrCode, trade)
  }

  tradeByTradeNo(tradeNo: string): AliTrade | undefined {
    return this.byTradeNo.get(tradeNo)
  }

  tradeByQrCode(qrCode: string): AliTrade | undefined {
    return this.byQrCode.get(qrCode)
  }

  listTrades(): AliTrade[] {
    return [...this.trades.values()]
  }

  addNotification(record: AlipayNotificationRecord): void {
    const list = this.notifications.get(record.out_trade_no) ?? []
    list.push(record)
    this.notifications.set(record.out_trade_no, list)
  }

  notificationsFor(outTradeNo: string): AlipayNotificationRecord[] {
    return this.notifications.get(outTradeNo) ?? []
  }

  allNotifications(): AlipayNotificationRecord[] {
    return [...this.notifications.values()].flat()
  }

  /** Increments a per-out_trade_no call counter. */
  count(outTradeNo: string, what: keyof CallStats): void {
    const s = this.stats.get(outTradeNo) ?? { create: 0, query: 0, close: 0, notify_attempts: 0 }
    s[what]++
    this.stats.set(outTradeNo, s)
  }

  statsSnapshot(): Record<string, CallStats> {
    return Object.fromEntries(Array.from(this.stats.entries(), ([k, v]) => [k, { ...v }]))
  }
}
