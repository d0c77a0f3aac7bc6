/**
 * One provider's books in the simulator: its orders (by out_trade_no, plus lookup indexes such as prepay_id or
 * trade_no), the notifications sent about them with every delivery attempt, and per-order call counters.
 * WeChat Pay and Alipay each keep one.
 */

/** Per out_trade_no call counters (the merchant's view of the provider's load). */
export interface CallStats {
  create: number
  query: number
  close: number
  refund: number
  refund_query: number
  notify_attempts: number
  /** Refunds that paid money back (a refund number asked again is not counted twice), and how much. */
  refunds_succeeded: number
  refunded_fen: number
}

const ZERO: CallStats = { create: 0, query: 0, close: 0, refund: 0, refund_query: 0, notify_attempts: 0, refunds_succeeded: 0, refunded_fen: 0 }

export class ProviderLedger<Order extends { outTradeNo: string }, Note extends { out_trade_no: string }> {
  private readonly orders = new Map<string, Order>()
  private readonly indexes = new Map<string, Map<string, Order>>()
  private readonly notifications = new Map<string, Note[]>()
  private readonly stats = new Map<string, CallStats>()

  /** `indexKeys(order)` names the secondary keys an order is found by (undefined values are skipped). */
  constructor(private readonly indexKeys: (order: Order) => Record<string, string | undefined>) {}

  get(outTradeNo: string): Order | undefined {
    return this.orders.get(outTradeNo)
  }

  /** Inserts or replaces an order and indexes its current keys (earlier keys stay resolvable). */
  put(order: Order): void {
    this.orders.set(order.outTradeNo, order)
    for (const [name, value] of Object.entries(this.indexKeys(order))) {
      if (value === undefined)
        continue
      let index = this.indexes.get(name)
      if (!index) {
        index = new Map()
        this.indexes.set(name, index)
      }
      index.set(value, order)
    }
  }

  /** The order whose `index` key is `value`. */
  by(index: string, value: string): Order | undefined {
    return this.indexes.get(index)?.get(value)
  }

  list(): Order[] {
    return [...this.orders.values()]
  }

  addNotification(record: Note): void {
    const list = this.notifications.get(record.out_trade_no) ?? []
    list.push(record)
    this.notifications.set(record.out_trade_no, list)
  }

  notificationsFor(outTradeNo: string): Note[] {
    return this.notifications.get(outTradeNo) ?? []
  }

  allNotifications(): Note[] {
    return [...this.notifications.values()].flat()
  }

  count(outTradeNo: string, what: keyof CallStats, by = 1): void {
    const s = this.stats.get(outTradeNo) ?? { ...ZERO }
    s[what] += by
    this.stats.set(outTradeNo, s)
  }

  statsSnapshot(): Record<string, CallStats> {
    return Object.fromEntries(Array.from(this.stats.entries(), ([k, v]) => [k, { ...v }]))
  }
}

/** Single-use codes (OAuth code, js_code, auth_code) that expire; expired ones are forgotten once the map grows. */
export class OneTimeCodes<Code extends { expiresAt: number }> {
  private readonly codes = new Map<string, Code>()

  put(code: string, entry: Code): void {
    // Until ten minutes after expiry a reused code still reports "used"/"expired" rather than "unknown".
    if (this.codes.size >= 1000) {
      const horizon = Date.now() - 600_000
      for (const [k, v] of this.codes) {
        if (v.expiresAt < horizon)
          this.codes.delete(k)
      }
    }
    this.codes.set(code, entry)
  }

  get(code: string): Code | undefined {
    return this.codes.get(code)
  }
}
