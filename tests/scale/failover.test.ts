/**
 * Losing a process under load: N orders pending with SSE clients attached through nginx (spread over A and B by round
 * robin) and status polls running; A is SIGKILLed while the payments are being made. The clients that were on A
 * reconnect through nginx (to B), every client reaches "paid", and the database shows every order paid exactly once.
 */
import type { Stack } from './harness'
import type { StatusWatch } from './sse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mapLimit, startStack } from './harness'
import { scaleTestsSkipped } from './prereqs'
import { sleep } from './procs'
import { watchStatus } from './sse'

const ORDERS = 40

describe.skipIf(scaleTestsSkipped())('a process killed mid-load behind nginx', () => {
  let stack: Stack

  beforeAll(async () => {
    stack = await startStack({ reconcileAfterSeconds: 2, sandboxTimeScale: 0.01 })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('clients reconnect through nginx and all reach paid; every order paid exactly once', async () => {
    const [a, b] = stack.servers
    const orders = await mapLimit(Array.from({ length: ORDERS }), 8, (_, i) => stack.nativeOrder(stack.url, 200 + i))
    const watches: StatusWatch[] = orders.map(o => watchStatus(`${stack.url}/api/orders/${o.orderNo}/events`, { reconnect: true, maxReconnects: 30, reconnectDelayMs: 200, deadlineMs: 60_000 }))
    for (const w of watches)
      expect((await w.first).status).toBe('pending')

    // Status polls through nginx all along (as cashiers without EventSource make them), so A dies with requests in hand.
    const pollStatuses = new Map<number, number>()
    let polling = true
    const stillPolling = () => polling
    const poller = mapLimit(Array.from({ length: 8 }), 8, async (_, worker) => {
      for (let i = worker; stillPolling(); i += 8) {
        const order = orders[i % ORDERS]!
        const res = await fetch(`${stack.url}/api/orders/${order.orderNo}/status`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
        // A body cut off by the kill (headers already sent by A) is a broken connection, not an answer: count it as 0.
        const complete = await res?.arrayBuffer().then(() => true, () => false)
        const status = complete ? res!.status : 0
        pollStatuses.set(status, (pollStatuses.get(status) ?? 0) + 1)
      }
    })

    // Payments arrive one every 10 ms; A is killed after the first quarter, with the rest still to be paid and notified.
    let killedAt = 0
    const pays: Array<Promise<unknown>> = []
    for (const [i, order] of orders.entries()) {
      if (i === ORDERS / 4) {
        await a!.child.stop({ signal: 'SIGKILL' })
        killedAt = performance.now()
      }
      pays.push(stack.sandbox('POST', '/api/wechat/pay', { out_trade_no: order.outTradeNo }))
      await sleep(10)
    }
    await Promise.all(pays)

    const finals = await Promise.all(watches.map(w => w.final))
    const allPaidAfterKillMs = Math.max(...finals.map(f => f.at)) - killedAt
    polling = false
    await poller

    const reconnected = watches.filter(w => w.reconnects() > 0).length
    const log = stack.nginx.accessLog()
    const streamsOnA = log.filter(l => l.path.endsWith('/events') && l.upstreams[0] === a!.addr).length
    const notifies = log.filter(l => l.path === '/api/notify/wechatpay')
    const stats = (await stack.sandbox('GET', '/api/stats')).wechat as Record<string, { notify_attempts: number, query: number }>
    const retried = orders.filter(o => (stats[o.outTradeNo]?.notify_attempts ?? 0) > 1).length
    console.log(`failover: ${ORDERS} orders, ${reconnected} SSE clients reconnected (${streamsOnA} streams had been on A), `
      + `all paid ${allPaidAfterKillMs.toFixed(0)} ms after the kill; notifications: ${notifies.length} requests, `
      + `${retried} orders needed a provider retry; ${log.filter(l => l.upstreams.length > 1).length} requests moved from A to B by nginx, `
      + `${log.filter(l => l.status === 502).length} answered 502; `
      + `polls by status: ${JSON.stringify(Object.fromEntries(pollStatuses))}`)

    for (const [i, w] of watches.entries()) {
      expect(finals[i]!.status).toBe('paid')
      // pending … pending, paid: never anything else, never backwards.
      const statuses = w.events.map(e => e.status)
      expect(statuses.at(-1)).toBe('paid')
      expect(statuses.slice(0, -1).every(s => s === 'pending')).toBe(true)
    }
    // The kill really hit attached clients, and they came back through nginx.
    expect(reconnected).toBeGreaterThan(0)
    expect(streamsOnA).toBeGreaterThan(0)
    // Polls never saw a server error: nginx moved requests that reached the dead process to B. Only a poll whose
    // answer A was writing at the instant of the kill can break (one per poller at most).
    expect([...pollStatuses.keys()].filter(s => s !== 200 && s !== 0)).toEqual([])
    expect(pollStatuses.get(0) ?? 0).toBeLessThanOrEqual(8)
    expect(b!.child.hasExited()).toBe(false)

    // Exactly once: each order paid by one attempt, which alone succeeded.
    const { rows } = await stack.db.query<{ order_no: string, status: string, paid_attempt_id: string | null, succeeded: number, attempt_id: string }>(`
      select o.order_no, o.status, o.paid_attempt_id,
             (select count(*)::int from payment_attempts p where p.order_no = o.order_no and p.status = 'succeeded') as succeeded,
             (select min(p.id) from payment_attempts p where p.order_no = o.order_no) as attempt_id
      from orders o where o.order_no = any($1)`, [orders.map(o => o.orderNo)])
    expect(rows).toHaveLength(ORDERS)
    for (const row of rows)
      expect(row).toMatchObject({ status: 'paid', succeeded: 1, paid_attempt_id: row.attempt_id })

    // The provider's side: every notification ends acknowledged (retries that were refused by the dead process included).
    interface Notification { status: string }
    const acknowledged = async () => {
      const all = await Promise.all(orders.map(async o => (await stack.sandbox('GET', `/api/wechat/notifications?out_trade_no=${o.outTradeNo}`)).notifications as Notification[]))
      return all.flat()
    }
    let notifications = await acknowledged()
    for (let i = 0; i < 50 && notifications.some(n => n.status !== 'acknowledged'); i++) {
      await sleep(200)
      notifications = await acknowledged()
    }
    expect(notifications.filter(n => n.status !== 'acknowledged')).toEqual([])
  })
})
