import type { OrderStatus, OrderStatusView } from '@/contract/api'
import type { EventSourceLike, WatcherHost } from '@/src/result/watcher'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { pollDelayMs } from '@/src/result/backoff'
import { watchOrderStatus } from '@/src/result/watcher'

const view = (status: OrderStatus): OrderStatusView => ({ orderNo: 'O1', status, amountFen: 1, serverTime: new Date().toISOString() })

class FakeSource implements EventSourceLike {
  listeners = new Map<string, (e: { data?: string }) => void>()
  onerror: ((e: unknown) => void) | null = null
  closed = false
  addEventListener(type: string, l: (e: { data?: string }) => void) {
    this.listeners.set(type, l)
  }

  close() {
    this.closed = true
  }

  emit(v: OrderStatusView) {
    this.listeners.get('status')?.({ data: JSON.stringify(v) })
  }
}

function host(opts: { sse?: boolean, statuses?: OrderStatus[], offline?: boolean } = {}) {
  const statuses = [...(opts.statuses ?? [])]
  let hidden = false
  let online = !opts.offline
  let onVisibility: (() => void) | undefined
  let onConnectivity: (() => void) | undefined
  const sources: FakeSource[] = []
  const fetchStatus = vi.fn(async () => view(statuses.length > 1 ? statuses.shift()! : statuses[0] ?? 'pending'))
  const h: WatcherHost = {
    createEventSource: opts.sse
      ? () => {
          const s = new FakeSource()
          sources.push(s)
          return s
        }
      : undefined,
    fetchStatus,
    eventsUrl: '/events',
    visibility: { isHidden: () => hidden, onChange: (l) => {
      onVisibility = l
      return () => {
        onVisibility = undefined
      }
    } },
    connectivity: { isOnline: () => online, onChange: (l) => {
      onConnectivity = l
      return () => {
        onConnectivity = undefined
      }
    } },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
  /** Like the browser: the state changes, then the event fires. */
  const setOnline = (v: boolean) => {
    online = v
    onConnectivity?.()
  }
  return { h, fetchStatus, sources, setOnline, listening: () => onConnectivity !== undefined, setHidden: (v: boolean) => {
    hidden = v
    onVisibility?.()
  } }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('pollDelayMs', () => {
  it('backs off 1 s → 2 s → 4 s → 8 s, then stays at 10 s', () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(n => pollDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000])
  })
})

describe('watchOrderStatus', () => {
  it('uses server-sent events first and stops at a final status', async () => {
    const { h, fetchStatus, sources } = host({ sse: true })
    const seen: string[] = []
    watchOrderStatus(h, { onStatus: v => seen.push(v.status) })
    sources[0]!.emit(view('pending'))
    sources[0]!.emit(view('paid'))
    expect(seen).toEqual(['pending', 'paid'])
    expect(sources[0]!.closed).toBe(true)
    expect(fetchStatus).not.toHaveBeenCalled()
  })

  it('falls back to polling when the stream fails, and keeps polling while pending', async () => {
    const { h, fetchStatus, sources } = host({ sse: true, statuses: ['pending'] })
    const modes: string[] = []
    watchOrderStatus(h, { onStatus: () => {}, onMode: m => modes.push(m) })
    sources[0]!.onerror?.(new Event('error'))
    expect(modes).toEqual(['sse', 'polling'])
    await vi.advanceTimersByTimeAsync(0)
    expect(fetchStatus).toHaveBeenCalledTimes(1)
    // 1 + 2 + 4 + 8 + 10 + 10 … seconds: over 2 minutes it never stops, and never polls faster than the backoff.
    await vi.advanceTimersByTimeAsync(120_000)
    const calls = fetchStatus.mock.calls.length
    expect(calls).toBeGreaterThanOrEqual(14)
    expect(calls).toBeLessThanOrEqual(17)
  })

  it('polls at most 20 times a pending minute once settled, and not at all while hidden', async () => {
    const { h, fetchStatus, setHidden } = host({ statuses: ['pending'] })
    watchOrderStatus(h, { onStatus: () => {} })
    await vi.advanceTimersByTimeAsync(60_000)
    const before = fetchStatus.mock.calls.length
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchStatus.mock.calls.length - before).toBeLessThanOrEqual(20)
    setHidden(true)
    const hiddenAt = fetchStatus.mock.calls.length
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fetchStatus.mock.calls.length).toBe(hiddenAt)
    setHidden(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(fetchStatus.mock.calls.length).toBe(hiddenAt + 1)
  })

  it('checkNow asks at once and reports the answer', async () => {
    const { h, fetchStatus } = host({ statuses: ['pending', 'paid'] })
    const seen: string[] = []
    const w = watchOrderStatus(h, { onStatus: v => seen.push(v.status) })
    await vi.advanceTimersByTimeAsync(0)
    const v = await w.checkNow()
    expect(v?.status).toBe('paid')
    expect(seen).toEqual(['pending', 'paid'])
    const n = fetchStatus.mock.calls.length
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchStatus.mock.calls.length).toBe(n)
  })

  it('survives failing requests and keeps trying', async () => {
    const { h, fetchStatus } = host({ statuses: ['pending'] })
    fetchStatus.mockRejectedValueOnce(new Error('offline')).mockRejectedValueOnce(new Error('offline'))
    const errors: unknown[] = []
    watchOrderStatus(h, { onStatus: () => {}, onError: e => errors.push(e) })
    await vi.advanceTimersByTimeAsync(5000)
    expect(errors).toHaveLength(2)
    expect(fetchStatus.mock.calls.length).toBeGreaterThanOrEqual(3)
  })

  describe('offline and back online', () => {
    it('stops asking while offline, then asks at once and reopens the stream when the connection is back', async () => {
      const { h, fetchStatus, sources, setOnline } = host({ sse: true, statuses: ['pending'] })
      const seen: string[] = []
      const modes: string[] = []
      watchOrderStatus(h, { onStatus: v => seen.push(v.status), onMode: m => modes.push(m) })
      // The stream drops with the connection: the watcher falls back to polling, then hears 'offline'.
      sources[0]!.onerror?.(new Event('error'))
      setOnline(false)
      expect(modes).toEqual(['sse', 'polling', 'offline'])
      await vi.advanceTimersByTimeAsync(0)
      const offlineCalls = fetchStatus.mock.calls.length
      await vi.advanceTimersByTimeAsync(120_000)
      expect(fetchStatus.mock.calls.length, 'no polling while offline').toBe(offlineCalls)

      // Back online: one request at once, and a new stream (which brings the payment made meanwhile).
      setOnline(true)
      expect(sources).toHaveLength(2)
      expect(modes.at(-1)).toBe('sse')
      await vi.advanceTimersByTimeAsync(0)
      expect(fetchStatus.mock.calls.length).toBe(offlineCalls + 1)
      expect(seen).toEqual(['pending'])
      sources[1]!.emit(view('paid'))
      expect(seen).toEqual(['pending', 'paid'])
      expect(sources[1]!.closed).toBe(true)
    })

    it('starts offline without asking, and asks as soon as the connection is back', async () => {
      const { h, fetchStatus, setOnline } = host({ statuses: ['paid'], offline: true })
      const seen: string[] = []
      const modes: string[] = []
      watchOrderStatus(h, { onStatus: v => seen.push(v.status), onMode: m => modes.push(m) })
      await vi.advanceTimersByTimeAsync(30_000)
      expect(fetchStatus).not.toHaveBeenCalled()
      expect(modes).toEqual(['offline'])
      setOnline(true)
      await vi.advanceTimersByTimeAsync(0)
      expect(fetchStatus).toHaveBeenCalledTimes(1)
      expect(seen).toEqual(['paid'])
    })

    it('back online while hidden waits for the page to be shown; shown while offline waits for the connection', async () => {
      const { h, fetchStatus, setOnline, setHidden } = host({ statuses: ['pending'] })
      watchOrderStatus(h, { onStatus: () => {} })
      await vi.advanceTimersByTimeAsync(0)
      const n = fetchStatus.mock.calls.length
      setOnline(false)
      setHidden(true)
      setOnline(true)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(fetchStatus.mock.calls.length).toBe(n)
      setOnline(false)
      setHidden(false)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(fetchStatus.mock.calls.length).toBe(n)
      setOnline(true)
      await vi.advanceTimersByTimeAsync(0)
      expect(fetchStatus.mock.calls.length).toBe(n + 1)
    })

    it('stops listening for the connection once the order is final', async () => {
      const { h, listening } = host({ statuses: ['paid'] })
      watchOrderStatus(h, { onStatus: () => {} })
      expect(listening()).toBe(true)
      await vi.advanceTimersByTimeAsync(0)
      expect(listening()).toBe(false)
    })
  })
})
