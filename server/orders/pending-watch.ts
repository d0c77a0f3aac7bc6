/**
 * Keeps asking the provider about orders that have live SSE listeners in this process: one timer per order however
 * many streams watch it, which asks the background queue (provider-queries.ts) for a query every interval; the claim
 * in reconcileOrder then keeps it to one provider query per interval across processes. Changes reach the streams
 * through the status bus, not from here.
 */
export class PendingOrderWatch {
  private readonly watched = new Map<string, { count: number, timer: ReturnType<typeof setInterval> }>()

  constructor(private readonly tick: (orderNo: string) => void, private readonly intervalMs: number) {}

  /** Watches `orderNo` until the returned release is called (once per listener). */
  add(orderNo: string): () => void {
    let entry = this.watched.get(orderNo)
    if (!entry) {
      const timer = setInterval(() => this.tick(orderNo), this.intervalMs)
      timer.unref?.()
      entry = { count: 0, timer }
      this.watched.set(orderNo, entry)
    }
    entry.count++
    let released = false
    return () => {
      if (released)
        return
      released = true
      const e = this.watched.get(orderNo)
      if (e && --e.count === 0) {
        clearInterval(e.timer)
        this.watched.delete(orderNo)
      }
    }
  }

  size(): number {
    return this.watched.size
  }

  close(): void {
    for (const e of this.watched.values()) clearInterval(e.timer)
    this.watched.clear()
  }
}
