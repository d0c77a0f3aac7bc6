import type { OrderRow } from './views'

/**
 * Pending orders somebody is reading, kept in this process so that a status read does not touch the database when
 * nothing changed. Kept true by the status bus: every change of an order is announced with NOTIFY inside the
 * transaction that made it, every process LISTENs, and the notification drops the order from here, so the next read
 * goes to the database. A read that missed and raced a notification (its SELECT may predate the change) does not
 * store what it read. While the LISTEN connection is down nothing is kept, since a notification may be lost then.
 *
 * Only pending orders are kept: they are what polling customers read, and a final order is read once.
 */
export interface CachedOrder {
  row: OrderRow
  /** When a read must ask the provider (reconcile) or close the order: see isReconcileDue. */
  dueAt: number
  readAt: number
}

export class OrderStatusCache {
  private readonly entries = new Map<string, CachedOrder>()
  /** Notifications seen so far: a miss records it before its SELECT and stores the row only if none came since. */
  private changes = 0
  private listening = true
  private sweeper: ReturnType<typeof setInterval> | undefined

  constructor(private readonly opts: { reconcileAfterMs: number, idleMs?: number, maxEntries?: number }) {}

  /** The kept pending order, if any (and notes that it was read). */
  get(orderNo: string, now = Date.now()): CachedOrder | undefined {
    const e = this.entries.get(orderNo)
    if (e)
      e.readAt = now
    return e
  }

  /** Call before reading an order from the database; hand the result to `put` with the row read. */
  begin(): number {
    return this.listening ? this.changes : -1
  }

  /** Keeps `row` if it is pending and no notification arrived since `begin()` returned `token`. */
  put(row: OrderRow, token: number, now = Date.now()): void {
    if (token < 0 || token !== this.changes || !this.listening)
      return
    if (row.status !== 'pending') {
      this.entries.delete(row.order_no)
      return
    }
    if (this.entries.size >= (this.opts.maxEntries ?? 100_000) && !this.entries.has(row.order_no))
      return
    const reconciledAt = row.reconciled_at ? new Date(row.reconciled_at).getTime() + this.opts.reconcileAfterMs : 0
    this.entries.set(row.order_no, { row, dueAt: Math.min(new Date(row.expires_at).getTime(), reconciledAt), readAt: now })
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), this.idleMs())
      this.sweeper.unref?.()
    }
  }

  /** An order changed (its notification): forget it. */
  changed(orderNo: string): void {
    this.changes++
    this.entries.delete(orderNo)
  }

  /** The LISTEN connection is down: notifications may be lost, so keep nothing until `listenRestored`. */
  listenLost(): void {
    this.listening = false
    this.changes++
    this.entries.clear()
  }

  listenRestored(): void {
    this.changes++
    this.entries.clear()
    this.listening = true
  }

  size(): number {
    return this.entries.size
  }

  private idleMs(): number {
    return this.opts.idleMs ?? 60_000
  }

  /** Drops orders nobody read for `idleMs` (a minute by default). */
  sweep(now = Date.now()): void {
    for (const [orderNo, e] of this.entries) {
      if (now - e.readAt >= this.idleMs())
        this.entries.delete(orderNo)
    }
    if (this.entries.size === 0 && this.sweeper) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  close(): void {
    if (this.sweeper)
      clearInterval(this.sweeper)
    this.sweeper = undefined
    this.entries.clear()
  }
}
