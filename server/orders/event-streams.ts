import type { OrderStatusView } from '../../contract/api'
import type { PendingOrderWatch } from './pending-watch'
import type { StatusBus } from './status-bus'
import { isFinalStatus } from '../../contract/api'

const encoder = new TextEncoder()
const KEEP_ALIVE = encoder.encode(': keep-alive\n\n')

/** One `status` event as the stream carries it. */
export function encodeStatusEvent(view: OrderStatusView): Uint8Array {
  return encoder.encode(`event: status\ndata: ${JSON.stringify(view)}\n\n`)
}

interface Sink {
  controller: ReadableStreamDefaultController<Uint8Array>
  /** The status this stream last carried. */
  last?: string
  done: boolean
  onClose: () => void
}

interface WatchedOrder {
  sinks: Set<Sink>
  unsubscribe: () => void
  /** Ends this process's provider-query timer for the order. */
  unwatch: () => void
}

/**
 * The status streams (`GET /api/orders/{no}/events`) held by this process, in one map per order: one status-bus
 * subscription and one provider-query timer per order however many streams watch it, one keep-alive timer for all of
 * them, and a change encoded once per order and then written to each of its streams. A stream holds its controller
 * and a few flags; nothing else is kept per stream.
 */
export class EventStreams {
  private readonly orders = new Map<string, WatchedOrder>()
  private open = 0
  private keepAlive: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly bus: StatusBus,
    private readonly watch: PendingOrderWatch,
    private readonly opts: { heartbeatMs: number, onError: (e: unknown, orderNo: string) => void },
  ) {}

  /**
   * A stream of `orderNo`'s status: `current` is read once the stream is subscribed (so a change in between is not
   * missed) and sent first; every change follows; a final status closes the stream. `onClose` runs once, when the
   * client goes or the stream ends.
   */
  stream(orderNo: string, current: () => Promise<OrderStatusView>, onClose: () => void): ReadableStream<Uint8Array> {
    let sink: Sink | undefined
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const s: Sink = { controller, done: false, onClose }
        sink = s
        this.attach(orderNo, s)
        current().then(view => this.send(orderNo, s, view, encodeStatusEvent(view)), (e: unknown) => {
          this.opts.onError(e, orderNo)
          this.end(orderNo, s)
        })
      },
      cancel: () => {
        if (sink)
          this.detach(orderNo, sink)
      },
    })
  }

  /** Streams open in this process. */
  size(): number {
    return this.open
  }

  /** Orders with at least one stream. */
  orderCount(): number {
    return this.orders.size
  }

  close(): void {
    for (const [orderNo, order] of this.orders) {
      for (const sink of order.sinks)
        this.end(orderNo, sink)
    }
  }

  private attach(orderNo: string, sink: Sink): void {
    let order = this.orders.get(orderNo)
    if (!order) {
      const created: WatchedOrder = {
        sinks: new Set(),
        unsubscribe: this.bus.subscribe(orderNo, (view) => {
          const bytes = encodeStatusEvent(view)
          for (const s of created.sinks)
            this.send(orderNo, s, view, bytes)
        }),
        unwatch: this.watch.add(orderNo),
      }
      order = created
      this.orders.set(orderNo, order)
    }
    order.sinks.add(sink)
    this.open++
    if (!this.keepAlive) {
      this.keepAlive = setInterval(() => this.beat(), this.opts.heartbeatMs)
      this.keepAlive.unref?.()
    }
  }

  private send(orderNo: string, sink: Sink, view: OrderStatusView, bytes: Uint8Array): void {
    if (sink.done || sink.last === view.status)
      return
    sink.last = view.status
    sink.controller.enqueue(bytes)
    if (isFinalStatus(view.status))
      this.end(orderNo, sink)
  }

  /** Closes the stream from our side (final status, failure, shutdown). */
  private end(orderNo: string, sink: Sink): void {
    if (sink.done)
      return
    this.detach(orderNo, sink)
    try {
      sink.controller.close()
    }
    catch {} // already closed or cancelled by the client
  }

  private detach(orderNo: string, sink: Sink): void {
    if (sink.done)
      return
    sink.done = true
    const order = this.orders.get(orderNo)
    if (order?.sinks.delete(sink)) {
      this.open--
      if (order.sinks.size === 0) {
        this.orders.delete(orderNo)
        order.unsubscribe()
        order.unwatch()
      }
    }
    if (this.open === 0 && this.keepAlive) {
      clearInterval(this.keepAlive)
      this.keepAlive = undefined
    }
    sink.onClose()
  }

  private beat(): void {
    for (const order of this.orders.values()) {
      for (const sink of order.sinks) {
        try {
          sink.controller.enqueue(KEEP_ALIVE)
        }
        catch {} // closed meanwhile; its cancel detaches it
      }
    }
  }
}
