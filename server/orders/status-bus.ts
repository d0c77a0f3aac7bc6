import type { OrderStatusView } from '../../src/api/contract'
import { EventEmitter } from 'node:events'

/**
 * Carries "this order changed" to every SSE client attached to this process.
 * The embedded default is in-process; a PostgreSQL deployment feeds it from LISTEN/NOTIFY.
 */
export interface StatusBus {
  publish: (view: OrderStatusView) => void
  subscribe: (orderNo: string, listener: (view: OrderStatusView) => void) => () => void
  listenerCount: () => number
}

export function createLocalStatusBus(): StatusBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  let count = 0
  return {
    publish: view => emitter.emit(view.orderNo, view),
    subscribe(orderNo, listener) {
      emitter.on(orderNo, listener)
      count++
      return () => {
        emitter.off(orderNo, listener)
        count--
      }
    },
    listenerCount: () => count,
  }
}
