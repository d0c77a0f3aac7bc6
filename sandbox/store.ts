/**
 * The sandbox's whole in-memory state behind one small store object: browser users and their openids,
 * one-time codes, WeChat Pay orders with their lookup indexes, notification delivery logs and call counters.
 * The Alipay side lives in `store.alipay` (./alipay/store.ts).
 */
import type { ValidOrderBody } from './wechat/pay-validate'
import { AlipayStore } from './alipay/store'
import { newOpenid, randomHex } from './core/ids'

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
}

/** A one-time code (OAuth `code` or mini program `js_code`). */
export interface OneTimeCode {
  appid: string
  openid: string
  scope?: string
  expiresAt: number
  used: boolean
}

/** One HTTP attempt of a notification. */
export interface DeliveryAttempt {
  n: number
  at: string
  http_status?: number
  error?: string
  acknowledged: boolean
  corrupted?: boolean
  duration_ms: number
}

/** One notification (a TRANSACTION.SUCCESS event copy or a SIGNTEST probe) and its attempts. */
export interface NotificationRecord {
  event_id: string
  out_trade_no: string
  kind: 'TRANSACTION.SUCCESS' | 'SIGNTEST'
  /** Faults applied to this copy. */
  faults: Array<'drop' | 'duplicate' | 'delay' | 'corrupt'>
  status: 'pending' | 'acknowledged' | 'failed' | 'dropped' | 'stopped'
  notify_url: string
  created_at: string
  next_attempt_at?: string
  attempts: DeliveryAttempt[]
}

/** Per out_trade_no call counters (the merchant's view of the provider's load). */
export interface CallStats {
  create: number
  query: number
  close: number
  notify_attempts: number
}

export class SandboxStore {
  /** Alipay users, auth codes, trades, notifications and counters. */
  readonly alipay = new AlipayStore()
  /** browser user id (cookie) → appid → openid */
  private readonly users = new Map<string, Map<string, string>>()
  /** openid → the appid it was issued for and the browser user */
  private readonly openids = new Map<string, { appid: string, userId: string }>()
  private readonly oauthCodes = new Map<string, OneTimeCode>()
  private readonly jsCodes = new Map<string, OneTimeCode>()
  private readonly orders = new Map<string, WxOrder>()
  private readonly byPrepayId = new Map<string, WxOrder>()
  private readonly byCodeUrl = new Map<string, WxOrder>()
  private readonly byTransactionId = new Map<string, WxOrder>()
  private readonly notifications = new Map<string, NotificationRecord[]>()
  private readonly stats = new Map<string, CallStats>()

  /** A new browser user id. */
  newUser(): string {
    const id = randomHex(12)
    this.users.set(id, new Map())
    return id
  }

  /** The openid of `userId` under `appid`, issued on first use (unknown user ids are adopted). */
  openidFor(userId: string, appid: string): string {
    let perApp = this.users.get(userId)
    if (!perApp) {
      perApp = new Map()
      this.users.set(userId, perApp)
    }
    let openid = perApp.get(appid)
    if (!openid) {
      openid = newOpenid()
      perApp.set(appid, openid)
      this.openids.set(openid, { appid, userId })
    }
    return openid
  }

  /** Registers a caller-chosen openid under `appid`; false if it already belongs to another appid. */
  adoptOpenid(openid: string, appid: string): boolean {
    const known = this.openids.get(openid)
    if (known)
      return known.appid === appid
    const userId = this.newUser()
    this.users.get(userId)!.set(appid, openid)
    this.openids.set(openid, { appid, userId })
    return true
  }

  /** True when the sandbox issued `openid` for `appid`. */
  isOpenidOf(openid: string, appid: string): boolean {
    return this.openids.get(openid)?.appid === appid
  }

  putOauthCode(code: string, entry: OneTimeCode): void {
    prune(this.oauthCodes)
    this.oauthCodes.set(code, entry)
  }

  getOauthCode(code: string): OneTimeCode | undefined {
    return this.oauthCodes.get(code)
  }

  putJsCode(code: string, entry: OneTimeCode): void {
    prune(this.jsCodes)
    this.jsCodes.set(code, entry)
  }

  getJsCode(code: string): OneTimeCode | undefined {
    return this.jsCodes.get(code)
  }

  getOrder(outTradeNo: string): WxOrder | undefined {
    return this.orders.get(outTradeNo)
  }

  /** Inserts or replaces an order and (re)indexes its prepay id and code_url. */
  putOrder(order: WxOrder): void {
    this.orders.set(order.outTradeNo, order)
    this.indexOrder(order)
  }

  /** Indexes the current prepay id / code_url / transaction id of an order (old ones stay resolvable). */
  indexOrder(order: WxOrder): void {
    this.byPrepayId.set(order.prepayId, order)
    if (order.codeUrl)
      this.byCodeUrl.set(order.codeUrl, order)
    if (order.transactionId)
      this.byTransactionId.set(order.transactionId, order)
  }

  orderByPrepayId(prepayId: string): WxOrder | undefined {
    return this.byPrepayId.get(prepayId)
  }

  orderByCodeUrl(codeUrl: string): WxOrder | undefined {
    return this.byCodeUrl.get(codeUrl)
  }

  orderByTransactionId(transactionId: string): WxOrder | undefined {
    return this.byTransactionId.get(transactionId)
  }

  listOrders(): WxOrder[] {
    return [...this.orders.values()]
  }

  addNotification(record: NotificationRecord): void {
    const list = this.notifications.get(record.out_trade_no) ?? []
    list.push(record)
    this.notifications.set(record.out_trade_no, list)
  }

  notificationsFor(outTradeNo: string): NotificationRecord[] {
    return this.notifications.get(outTradeNo) ?? []
  }

  allNotifications(): NotificationRecord[] {
    return [...this.notifications.values()].flat()
  }

  /** Increments a per-order call counter. */
  count(outTradeNo: string, what: keyof CallStats): void {
    const s = this.stats.get(outTradeNo) ?? { create: 0, query: 0, close: 0, notify_attempts: 0 }
    s[what]++
    this.stats.set(outTradeNo, s)
  }

  statsSnapshot(): Record<string, CallStats> {
    return Object.fromEntries(Array.from(this.stats.entries(), ([k, v]) => [k, { ...v }]))
  }
}

/** Forgets codes that expired over 10 minutes ago once the map grows (until then reuse still reports 40163/42003). */
function prune(codes: Map<string, OneTimeCode>): void {
  if (codes.size < 1000)
    return
  const horizon = Date.now() - 600_000
  for (const [k, v] of codes) {
    if (v.expiresAt < horizon)
      codes.delete(k)
  }
}
