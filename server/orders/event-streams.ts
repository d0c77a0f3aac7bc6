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

/**
 * The part of Node's `http.ServerResponse` a stream writes to, once its headers are written: the events go straight
 * to the socket, with no WHATWG stream, reader loop or request context kept alive per stream.
 */
export interface EventResponse {
  write: (chunk: Uint8Array) => unknown
  end: () => unknown
  on: (event: 'close', listener: () => void) => unknown
  readonly destroyed: boolean
  readonly writableEnded: boolean
}

/** One open stream: where its bytes go, and a few flags. Methods on the prototype, so nothing else per stream. */
abstract class Sink {
  /** The status this stream last carried. */
  last: string | undefined = undefined
  done = false
  constructor(readonly orderNo: string, readonly onClose: () => void) {}
  abstract write(bytes: Uint8Array): void
  abstract close(): void
}

class ResponseSink extends Sink {
  constructor(orderNo: string, onClose: () => void, private readonly res: EventResponse) {
    super(orderNo, onClose)
  }

  write(bytes: Uint8Array): void {
    // A response whose client has gone is closing; its close listener detaches it.
    if (!this.res.destroyed && !this.res.writableEnded)
      this.res.write(bytes)
  }

  close(): void {
    if (!this.res.destroyed && !this.res.writableEnded)
      this.res.end()
  }
}

class ControllerSink extends Sink {
  controller: ReadableStreamDefaultController<Uint8Array> | undefined

  write(bytes: Uint8Array): void {
    try {
      this.controller?.enqueue(bytes)
    }
    catch {} // closed meanwhile; its cancel detaches it
  }

  close(): void {
    try {
      this.controller?.close()
    }
    catch {} // already closed or cancelled by the client
  }
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
 * them, and a change encoded once per order and then written to each of its streams. A stream holds where it writes
 * (the Node response, or a WHATWG stream's controller where there is none) and a few flags; nothing else is kept
 * per stream.
 */
export class EventStreams {
  private readonly orders = new Map<string, WatchedOrder>()
  private open = 0
  private keepAlive: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly bus: Pick<StatusBus, 'subscribe'>,
    private readonly watch: Pick<PendingOrderWatch, 'add'>,
    private readonly opts: { heartbeatMs: number, onError: (e: unknown, orderNo: string) => void },
  ) {}

  /**
   * Streams `orderNo`'s status to `res`, a Node response whose headers are already written: `current` is read once
   * the stream is subscribed (so a change in between is not missed) and sent first; every change follows; a final
   * status ends the response. `onClose` runs once, when the client goes or the stream ends.
   */
  respond(res: EventResponse, orderNo: string, current: () => Promise<OrderStatusView>, onClose: () => void): void {
    const sink = new ResponseSink(orderNo, onClose, res)
    res.on('close', () => this.detach(sink))
    this.start(sink, current)
  }

  /** The same stream as a WHATWG ReadableStream, where there is no Node response to write to (`app.request()`). */
  stream(orderNo: string, current: () => Promise<OrderStatusView>, onClose: () => void): ReadableStream<Uint8Array> {
    const sink = new ControllerSink(orderNo, onClose)
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        sink.controller = controller
        this.start(sink, current)
      },
      cancel: () => this.detach(sink),
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
    for (const order of this.orders.values()) {
      for (const sink of order.sinks)
        this.end(sink)
    }
  }

  private start(sink: Sink, current: () => Promise<OrderStatusView>): void {
    this.attach(sink)
    current().then(view => this.send(sink, view, encodeStatusEvent(view)), (e: unknown) => {
      this.opts.onError(e, sink.orderNo)
      this.end(sink)
    })
  }

  private attach(sink: Sink): void {
    const { orderNo } = sink
    let order = this.orders.get(orderNo)
    if (!order) {
      const created: WatchedOrder = {
        sinks: new Set(),
        unsubscribe: this.bus.subscribe(orderNo, (view) => {
          const bytes = encodeStatusEvent(view)
          for (const s of created.sinks)
            this.send(s, view, bytes)
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

  private send(sink: Sink, view: OrderStatusView, bytes: Uint8Array): void {
    if (sink.done || sink.last === view.status)
      return
    sink.last = view.status
    sink.write(bytes)
    if (isFinalStatus(view.status))
      this.end(sink)
  }

  /** Closes the stream from our side (final status, failure, shutdown). */
  private end(sink: Sink): void {
    if (sink.done)
      return
    this.detach(sink)
    sink.close()
  }

  private detach(sink: Sink): void {
    if (sink.done)
      return
    sink.done = true
    const order = this.orders.get(sink.orderNo)
    if (order?.sinks.delete(sink)) {
      this.open--
      if (order.sinks.size === 0) {
        this.orders.delete(sink.orderNo)
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
      for (const sink of order.sinks)
        sink.write(KEEP_ALIVE)
    }
  }
}
