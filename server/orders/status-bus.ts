import type { OrderStatusView } from '../../contract/api'
import type { Db, Listen } from '../db'
import { EventEmitter } from 'node:events'
import { sql } from 'kysely'
import { toStatusView } from './views'

/** The NOTIFY channel that carries "this order changed" (payload: the order number). */
export const ORDER_STATUS_CHANNEL = 'order_status'

/**
 * Carries "this order changed" to every SSE client attached to this process. Changes are announced
 * with NOTIFY inside the transaction that made them, and every process LISTENs, so a client attached
 * to one process sees a notification received by another. PGlite delivers the same NOTIFY in-process.
 */
export interface StatusBus {
  subscribe: (orderNo: string, listener: (view: OrderStatusView) => void) => () => void
  listenerCount: () => number
  close: () => Promise<void>
}

/** Announces a change; call it inside the transaction that made the change (delivered on commit). */
export async function announceStatusChange(db: Db, orderNo: string): Promise<void> {
  await sql`select pg_notify(${ORDER_STATUS_CHANNEL}, ${orderNo})`.execute(db)
}

export async function createStatusBus(db: Db, listen: Listen, onError: (e: unknown) => void = () => {}): Promise<StatusBus> {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  let count = 0
  const unlisten = await listen(ORDER_STATUS_CHANNEL, (orderNo) => {
    if (emitter.listenerCount(orderNo) === 0)
      return
    db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst().then((row) => {
      if (row)
        emitter.emit(orderNo, toStatusView(row))
    }, onError)
  })
  return {
    subscribe(orderNo, listener) {
      emitter.on(orderNo, listener)
      count++
      return () => {
        emitter.off(orderNo, listener)
        count--
      }
    },
    listenerCount: () => count,
    close: unlisten,
  }
}
