/**
 * The provider queries that heal lost notifications, run in the background of this process. A status read or a held
 * event stream that finds its order due for a query (see isReconcileDue) asks for one here and answers at once from
 * what it has; the answer of the query reaches the customer through the status bus (streams) or the next read (polls).
 *
 * Per process, at most `concurrency` queries run at once and at most `perSecond` start each second (after a burst of
 * `concurrency`), oldest request first, so a crowd of customers polling pending orders costs the server a bounded share of its time, and the
 * provider a bounded rate of queries (both providers throttle query APIs). An order is queued once however many reads
 * ask; the queue holds at most `maxQueued` orders, and a read that finds it full asks again on its next read.
 */
export interface ProviderQueryOptions {
  /** Queries started per second; 0 = no limit. */
  perSecond: number
  /** Queries under way at once; 0 = no limit. */
  concurrency: number
  /** Orders waiting at most. */
  maxQueued: number
  onError: (e: unknown, orderNo: string) => void
}

export class ProviderQueryQueue {
  /** Waiting orders, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<string>()
  private readonly running = new Set<string>()
  private tokens: number
  private refilledAt: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(private readonly query: (orderNo: string) => Promise<unknown>, private readonly opts: ProviderQueryOptions, private readonly now: () => number = Date.now) {
    this.tokens = this.burst()
    this.refilledAt = now()
  }

  /** Asks for a query of `orderNo`. False when it is already waiting or under way, or the queue is full. */
  request(orderNo: string): boolean {
    if (this.closed || this.waiting.has(orderNo) || this.running.has(orderNo) || this.waiting.size >= this.opts.maxQueued)
      return false
    this.waiting.add(orderNo)
    this.pump()
    return true
  }

  /** Orders waiting, and queries under way. */
  size(): { waiting: number, running: number } {
    return { waiting: this.waiting.size, running: this.running.size }
  }

  close(): void {
    this.closed = true
    this.waiting.clear()
    if (this.timer)
      clearTimeout(this.timer)
    this.timer = undefined
  }

  private burst(): number {
    return Math.max(1, this.opts.concurrency)
  }

  private hasRoom(): boolean {
    return this.opts.concurrency <= 0 || this.running.size < this.opts.concurrency
  }

  private refill(): void {
    if (this.opts.perSecond <= 0) {
      this.tokens = Number.POSITIVE_INFINITY
      return
    }
    const t = this.now()
    this.tokens = Math.min(this.burst(), this.tokens + ((t - this.refilledAt) * this.opts.perSecond) / 1000)
    this.refilledAt = t
  }

  private pump(): void {
    if (this.closed)
      return
    this.refill()
    while (this.waiting.size > 0 && this.hasRoom() && this.tokens >= 1) {
      const orderNo = this.waiting.values().next().value as string
      this.waiting.delete(orderNo)
      this.tokens--
      this.running.add(orderNo)
      this.query(orderNo).catch((e: unknown) => this.opts.onError(e, orderNo)).finally(() => {
        this.running.delete(orderNo)
        this.pump()
      })
    }
    // Out of tokens with orders waiting: come back when the next one is due.
    if (this.waiting.size > 0 && this.hasRoom() && this.tokens < 1 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.pump()
      }, Math.ceil(((1 - this.tokens) * 1000) / this.opts.perSecond))
      this.timer.unref?.()
    }
  }
}
