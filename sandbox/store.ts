/**
 * The sandbox's whole in-memory state behind one small store object: browser users and their openids,
 * one-time codes, and WeChat Pay's ledger (orders with their lookup indexes, notification logs, call counters).
 * The Alipay side lives in `store.alipay` (./alipay/store.ts).
 */
import type { NotificationRecord, OneTimeCode, WxOrder } from './wechat/types'
import { AlipayStore } from './alipay/store'
import { newOpenid, randomHex } from './core/ids'
import { OneTimeCodes, ProviderLedger } from './core/ledger'

export class SandboxStore {
  /** Alipay users, auth codes, trades, notifications and counters. */
  readonly alipay = new AlipayStore()
  /** browser user id (cookie) → appid → openid */
  private readonly users = new Map<string, Map<string, string>>()
  /** openid → the appid it was issued for and the browser user */
  private readonly openids = new Map<string, { appid: string, userId: string }>()
  /** Official account OAuth codes and mini program js_codes. */
  readonly oauthCodes = new OneTimeCodes<OneTimeCode>()
  readonly jsCodes = new OneTimeCodes<OneTimeCode>()
  /** WeChat Pay orders (by out_trade_no, prepayId, codeUrl, transactionId), their notifications and call counters. */
  readonly wxOrders = new ProviderLedger<WxOrder, NotificationRecord>(o => ({ prepayId: o.prepayId, codeUrl: o.codeUrl, transactionId: o.transactionId }))

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
}
