/**
 * The reconciliation storm: 200 pending orders whose notifications are all dropped, and status reads hammered through
 * both processes. Each read of a pending order may ask the provider, but only after claiming the order with an atomic
 * update of `reconciled_at` (server/orders/reconcile.ts), so two processes together make no more provider queries per
 * order than one process alone: at most one per RECONCILE_AFTER_SECONDS, i.e. ≤ floor(T / R) + 1 in T seconds.
 */
import type { ServerProcess, Stack } from './harness'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mapLimit, startStack } from './harness'
import { scaleTestsSkipped } from './prereqs'
import { sleep } from './procs'

const ORDERS = 200
/** Paid at the provider (notification dropped): the first query heals them. The rest stay unpaid all along. */
const PAID = 100
const RECONCILE_AFTER_SECONDS = 2
/** Reads go on this long, and until every order has had MIN_BURSTS bursts (a loaded machine is slower), at most 60 s. */
const HAMMER_MS = 10_000
const MIN_BURSTS = 3
/** Bursts (of four reads) under way at once. */
const BURSTS_IN_FLIGHT = 16

/** At most `n` calls of the returned function run at once; the others wait their turn. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async (fn) => {
    if (active >= n)
      await new Promise<void>(resolve => waiting.push(resolve))
    active++
    try {
      return await fn()
    }
    finally {
      active--
      waiting.shift()?.()
    }
  }
}

describe.skipIf(scaleTestsSkipped())('reconciliation storm across two processes', () => {
  let stack: Stack

  beforeAll(async () => {
    // No per-process bound on provider queries (rate and concurrency 0): what is tested here is the claim that keeps
    // two processes to one query per order per R, so every due read gets its background query at once.
    stack = await startStack({ reconcileAfterSeconds: RECONCILE_AFTER_SECONDS, env: { PROVIDER_QUERIES_PER_SECOND: '0', PROVIDER_QUERY_CONCURRENCY: '0' } })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('per order, provider queries stay within what one process alone would make', async () => {
    const [a, b] = stack.servers
    const orders = await mapLimit(Array.from({ length: ORDERS }), 8, (_, i) => stack.nativeOrder(stack.servers[i % 2]!.url, 300 + i))
    await stack.sandbox('PUT', '/api/faults', { dropNotifyRate: 1 })
    await mapLimit(orders.slice(0, PAID), 8, o => stack.sandbox('POST', '/api/wechat/pay', { out_trade_no: o.outTradeNo }))
    const before = (await stack.sandbox('GET', '/api/stats')).wechat as Record<string, { query: number }>
    expect(orders.reduce((n, o) => n + (before[o.outTradeNo]?.query ?? 0), 0)).toBe(0)

    // Each order gets bursts of four concurrent reads, two through A and two through B (their own ports), R / 2 apart
    // (more when the machine is slow): when a burst finds an unpaid order due for a query, both processes race for it.
    const reads = new Map<string, number>()
    const statuses = new Map<number, number>()
    const bursts: number[] = orders.map(() => 0)
    const read = async (server: ServerProcess, orderNo: string) => {
      const res = await fetch(`${server.url}/api/orders/${orderNo}/status`, { signal: AbortSignal.timeout(15_000) })
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      reads.set(server.name, (reads.get(server.name) ?? 0) + 1)
    }
    const inFlight = limiter(BURSTS_IN_FLIGHT)
    const started = performance.now()
    const until = started + HAMMER_MS
    const cap = started + 60_000
    await Promise.all(orders.map(async (order, i) => {
      await sleep((i * RECONCILE_AFTER_SECONDS * 1000) / ORDERS)
      for (;;) {
        const now = performance.now()
        if ((now >= until && bursts[i]! >= MIN_BURSTS) || now >= cap)
          return
        bursts[i]!++
        await inFlight(() => Promise.all([a!, a!, b!, b!].map(server => read(server, order.orderNo))))
        await sleep(RECONCILE_AFTER_SECONDS * 1000 / 2)
      }
    }))
    const seconds = (performance.now() - started) / 1000
    await stack.sandbox('DELETE', '/api/faults')

    // Claims are at least R apart on the database clock, and all of them happened within the `seconds` of reads.
    const bound = Math.floor(seconds / RECONCILE_AFTER_SECONDS) + 1
    const stats = (await stack.sandbox('GET', '/api/stats')).wechat as Record<string, { query: number, notify_attempts: number }>
    const queries = orders.map(o => stats[o.outTradeNo]?.query ?? 0)
    const unpaid = queries.slice(PAID)
    const unpaidBursts = bursts.slice(PAID)
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0)
    const total = reads.get(a!.name)! + reads.get(b!.name)!
    console.log(`storm: ${total} status reads in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s; A ${reads.get(a!.name)}, B ${reads.get(b!.name)}), `
      + `${sum(bursts)} bursts of 2 + 2 concurrent reads; provider queries per unpaid order: max ${Math.max(...unpaid)}, mean ${(sum(unpaid) / unpaid.length).toFixed(2)}, `
      + `bursts per unpaid order: mean ${(sum(unpaidBursts) / unpaidBursts.length).toFixed(2)}; bound ${bound} (R = ${RECONCILE_AFTER_SECONDS} s, ${seconds.toFixed(1)} s); `
      + `per healed order: max ${Math.max(...queries.slice(0, PAID))}; HTTP statuses ${JSON.stringify(Object.fromEntries(statuses))}`)

    expect([...statuses.keys()]).toEqual([200])
    // The bound: no order was queried more often than one process alone could have queried it.
    for (const q of queries)
      expect(q).toBeLessThanOrEqual(bound)
    // Sharper: never two queries from one burst, though in a burst both processes read an order that was due.
    for (const [i, q] of unpaid.entries())
      expect(q).toBeLessThanOrEqual(unpaidBursts[i]!)
    // And the race was real: at least every other burst found its order due (a burst comes R / 2 or more after the
    // previous one), so most bursts had both processes competing for the query — and each order was queried again.
    expect(sum(unpaid)).toBeGreaterThanOrEqual(0.45 * sum(unpaidBursts))
    expect(Math.min(...unpaid)).toBeGreaterThanOrEqual(2)
    // A lost notification heals with one query, though both processes read the order many times.
    for (const q of queries.slice(0, PAID))
      expect(q).toBe(1)

    const { rows } = await stack.db.query<{ status: string, n: number }>('select status, count(*)::int as n from orders where order_no = any($1) group by status order by status', [orders.map(o => o.orderNo)])
    expect(rows).toEqual([{ status: 'paid', n: PAID }, { status: 'pending', n: ORDERS - PAID }])
    for (const o of orders)
      expect(stats[o.outTradeNo]?.notify_attempts ?? 0).toBe(0)
  })
})
