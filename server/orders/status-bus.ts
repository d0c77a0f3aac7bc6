import type { OrderStatusView } from '../../contract/api'
import type { Db, Listen } from '../db'
import { sql } from 'kysely'
import { OrderStatusCache } from './status-cache'
import { toStatusView } from './views'

/** The NOTIFY channel that carries "this order changed" (payload: the order number). */
export const ORDER_STATUS_CHANNEL = 'order_status'

/**
 * Carries "this order changed" to every SSE client attached to this process and keeps this process's view of pending
 * orders (`cache`) true. Changes are announced with NOTIFY inside the transaction that made them, and every process
 * LISTENs, so a client attached to one process sees a notification received by another. PGlite delivers the same
 * NOTIFY in-process.
 */
export interface StatusBus {
  subscribe: (orderNo: string, listener: (view: OrderStatusView) => void) => () => void
  listenerCount: () => number
  /** Pending orders being read in this process, dropped on their notification (see status-cache.ts). */
  cache: OrderStatusCache
  /** The LISTEN connection was lost / is back: nothing is cached in between (notifications may be lost). */
  listenLost: () => void
  listenRestored: () => void
  close: () => Promise<void>
}

/** Announces a change; call it inside the transaction that made the change (delivered on commit). */
export async function announceStatusChange(db: Db, orderNo: string): Promise<void> {
  await sql`select pg_notify(${ORDER_STATUS_CHANNEL}, ${orderNo})`.execute(db)
}

export async function createStatusBus(db: Db, listen: Listen, opts: { reconcileAfterSeconds: number, onError?: (e: unknown) => void }): Promise<StatusBus> {
  const onError = opts.onError ?? (() => {})
  const cache = new OrderStatusCache({ reconcileAfterMs: opts.reconcileAfterSeconds * 1000 })
  // One set of listeners per order.
  const listeners = new Map<string, Set<(view: OrderStatusView) => void>>()
  let count = 0
  const unlisten = await listen(ORDER_STATUS_CHANNEL, (orderNo) => {
    cache.changed(orderNo)
    if (!listeners.has(orderNo))
      return
    db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst().then((row) => {
      if (!row)
        return
      const view = toStatusView(row)
      for (const listener of listeners.get(orderNo) ?? []) {
        try {
          listener(view)
        }
        catch (e) {
          onError(e)
        }
      }
    }, onError)
  })
  return {
    subscribe(orderNo, listener) {
      let set = listeners.get(orderNo)
      if (!set) {
        set = new Set()
        listeners.set(orderNo, set)
      }
      set.add(listener)
      count++
      let subscribed = true
      return () => {
        if (!subscribed)
          return
        subscribed = false
        count--
        const s = listeners.get(orderNo)
        if (s?.delete(listener) && s.size === 0)
          listeners.delete(orderNo)
      }
    },
    listenerCount: () => count,
    cache,
    listenLost: () => cache.listenLost(),
    listenRestored: () => cache.listenRestored(),
    close: async () => {
      cache.close()
      await unlisten()
    },
  }
}
