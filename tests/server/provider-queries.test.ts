/**
 * The background queue of provider queries (server/orders/provider-queries.ts): one query per order however many
 * reads ask, at most `concurrency` at once, at most `perSecond` started per second, a bounded queue, and nothing after
 * close. The clock and the timers are vitest's fakes, so nothing here depends on the machine's speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ProviderQueryQueue } from '../../server/orders/provider-queries'

interface Pending { orderNo: string, resolve: () => void, reject: (e: Error) => void }

function harness(opts: { perSecond: number, concurrency: number, maxQueued?: number }) {
  const started: string[] = []
  const pending: Pending[] = []
  const errors: Array<[string, string]> = []
  const queue = new ProviderQueryQueue(orderNo => new Promise<void>((resolve, reject) => {
    started.push(orderNo)
    pending.push({ orderNo, resolve, reject })
  }), { maxQueued: 100, ...opts, onError: (e, orderNo) => errors.push([orderNo, (e as Error).message]) }, () => Date.now())
  const finish = async (orderNo: string, error?: Error) => {
    const i = pending.findIndex(p => p.orderNo === orderNo)
    const [p] = pending.splice(i, 1)
    if (error)
      p!.reject(error)
    else
      p!.resolve()
    await vi.advanceTimersByTimeAsync(0)
  }
  return { queue, started, pending, errors, finish }
}

describe('provider query queue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-12-06T00:00:00Z') })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('queries an order once however many reads ask, and again once that query is done', async () => {
    const h = harness({ perSecond: 0, concurrency: 4 })
    expect(h.queue.request('A')).toBe(true)
    expect(h.queue.request('A')).toBe(false)
    expect(h.queue.request('A')).toBe(false)
    expect(h.started).toEqual(['A'])
    expect(h.queue.size()).toEqual({ waiting: 0, running: 1 })
    await h.finish('A')
    expect(h.queue.size()).toEqual({ waiting: 0, running: 0 })
    expect(h.queue.request('A')).toBe(true)
    expect(h.started).toEqual(['A', 'A'])
  })

  it('runs at most `concurrency` at once, oldest request first', async () => {
    const h = harness({ perSecond: 0, concurrency: 2 })
    for (const o of ['A', 'B', 'C', 'D'])
      h.queue.request(o)
    expect(h.started).toEqual(['A', 'B'])
    expect(h.queue.size()).toEqual({ waiting: 2, running: 2 })
    // A waiting order asked for again keeps its place.
    expect(h.queue.request('D')).toBe(false)
    await h.finish('B')
    expect(h.started).toEqual(['A', 'B', 'C'])
    await h.finish('A')
    expect(h.started).toEqual(['A', 'B', 'C', 'D'])
  })

  it('with concurrency 0 and rate 0, runs every request at once', async () => {
    const h = harness({ perSecond: 0, concurrency: 0 })
    for (let i = 0; i < 50; i++)
      h.queue.request(`O${i}`)
    expect(h.started).toHaveLength(50)
    expect(h.queue.size()).toEqual({ waiting: 0, running: 50 })
  })

  it('starts at most `perSecond` queries per second after a burst of `concurrency`', async () => {
    const h = harness({ perSecond: 5, concurrency: 2 })
    for (let i = 0; i < 20; i++)
      h.queue.request(`O${i}`)
    expect(h.started).toHaveLength(2)
    await h.finish('O0')
    await h.finish('O1')
    // No token left: the next start waits for one (200 ms at 5 per second).
    expect(h.started).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(199)
    expect(h.started).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(h.started).toHaveLength(3)
    // Over two seconds, with every query answered at once, ten more start: 5 per second.
    for (let t = 0; t < 2000; t += 50) {
      for (const p of [...h.pending])
        await h.finish(p.orderNo)
      await vi.advanceTimersByTimeAsync(50)
    }
    expect(h.started).toHaveLength(13)
    expect(h.started).toEqual(Array.from({ length: 13 }, (_, i) => `O${i}`))
  })

  it('holds at most `maxQueued` waiting orders: a read that finds it full asks again later', async () => {
    const h = harness({ perSecond: 0, concurrency: 1, maxQueued: 2 })
    expect(['A', 'B', 'C', 'D'].map(o => h.queue.request(o))).toEqual([true, true, true, false])
    expect(h.queue.size()).toEqual({ waiting: 2, running: 1 })
    await h.finish('A')
    expect(h.queue.request('D')).toBe(true)
    expect(h.started).toEqual(['A', 'B'])
  })

  it('reports a failed query and goes on with the next', async () => {
    const h = harness({ perSecond: 0, concurrency: 1 })
    h.queue.request('A')
    h.queue.request('B')
    await h.finish('A', new Error('provider_unavailable'))
    expect(h.errors).toEqual([['A', 'provider_unavailable']])
    expect(h.started).toEqual(['A', 'B'])
    expect(h.queue.request('A')).toBe(true)
  })

  it('starts nothing after close', async () => {
    const h = harness({ perSecond: 1, concurrency: 1 })
    h.queue.request('A')
    h.queue.request('B')
    h.queue.close()
    await h.finish('A')
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.started).toEqual(['A'])
    expect(h.queue.request('C')).toBe(false)
  })
})
