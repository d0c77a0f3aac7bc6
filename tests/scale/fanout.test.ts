/**
 * Status fan-out between processes: a notification handled by process B reaches an SSE client attached to process A,
 * through PostgreSQL NOTIFY (server/orders/status-bus.ts). nginx routes every WeChat Pay notification to B (a test-only
 * location), and A's reconciliation interval is longer than the test, so A can only learn "paid" from B.
 */
import type { Stack } from './harness'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startStack } from './harness'
import { scaleTestsSkipped } from './prereqs'
import { waitUntil } from './procs'
import { watchStatus } from './sse'

const ROUNDS = 5

describe.skipIf(scaleTestsSkipped())('status fan-out across processes behind nginx', () => {
  let stack: Stack

  beforeAll(async () => {
    stack = await startStack({ pinNotifyTo: 1, reconcileAfterSeconds: 60 })
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('a notification handled by B reaches an SSE client on A within 1 s', async () => {
    const [a, b] = stack.servers
    const latencies: number[] = []
    const outTradeNos: string[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const order = await stack.nativeOrder(a!.url, 100 + i)
      outTradeNos.push(order.outTradeNo)
      const watch = watchStatus(`${a!.url}/api/orders/${order.orderNo}/events`, { reconnect: false, deadlineMs: 10_000 })
      expect((await watch.first).status).toBe('pending')
      const paidAt = performance.now()
      await stack.sandbox('POST', '/api/wechat/pay', { out_trade_no: order.outTradeNo })
      const final = await watch.final
      expect(final.status).toBe('paid')
      expect(watch.reconnects()).toBe(0)
      latencies.push(final.at - paidAt)
    }
    console.log(`fan-out B → A: pay-to-SSE latency ${latencies.map(ms => ms.toFixed(0)).join(', ')} ms`)
    for (const ms of latencies)
      expect(ms).toBeLessThan(1000)

    // B handled every notification (nginx's log names the process), A never asked the provider: A learnt it from B.
    // (nginx writes a line when B's answer has gone out, which may be after A's client heard of the change.)
    const notifies = await waitUntil('the notifications in the access log', async () => {
      const lines = stack.nginx.accessLog().filter(l => l.method === 'POST' && l.path === '/api/notify/wechatpay')
      return lines.length >= ROUNDS ? lines : undefined
    }, { timeoutMs: 5000 })
    for (const line of notifies) {
      expect(line.upstreams).toEqual([b!.addr])
      expect(line.status).toBe(200)
    }
    // The sandbox counts a delivery when B's answer is back, which can be after A's client heard of it.
    const stats = await waitUntil('the sandbox to count every delivery', async () => {
      const s = (await stack.sandbox('GET', '/api/stats')).wechat as Record<string, { query: number, notify_attempts: number }>
      return outTradeNos.every(no => (s[no]?.notify_attempts ?? 0) >= 1) ? s : undefined
    }, { timeoutMs: 5000 })
    for (const no of outTradeNos)
      expect(stats[no]).toMatchObject({ query: 0, notify_attempts: 1 })
    const { rows } = await stack.db.query<{ n: number }>('select count(*)::int as n from orders where status = \'paid\' and order_no in (select order_no from payment_attempts where out_trade_no = any($1))', [outTradeNos])
    expect(rows[0]!.n).toBe(ROUNDS)
  })

  it('a status read on A right after B applied a payment answers paid: A keeps pending orders in memory, and the NOTIFY drops them', async () => {
    const [a] = stack.servers
    let orderNo = ''
    const read = async () => (await stack.call(a!.url, 'GET', `/api/orders/${orderNo}/status`)).json.status
    const lags: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const order = await stack.nativeOrder(a!.url, 200 + i)
      orderNo = order.orderNo
      // A has read it (and keeps it): later reads of a pending order do not reach the database.
      for (let k = 0; k < 3; k++)
        expect(await read()).toBe('pending')
      const watch = watchStatus(`${a!.url}/api/orders/${orderNo}/events`, { reconnect: false, deadlineMs: 10_000 })
      expect((await watch.first).status).toBe('pending')
      await stack.sandbox('POST', '/api/wechat/pay', { out_trade_no: order.outTradeNo })
      // From the moment the database says paid (B committed and notified), A reads until it answers paid.
      await waitUntil('B to apply the payment', async () => {
        const { rows } = await stack.db.query<{ status: string }>('select status from orders where order_no = $1', [orderNo])
        return rows[0]?.status === 'paid' || undefined
      }, { timeoutMs: 10_000, intervalMs: 5 })
      const committed = performance.now()
      await waitUntil('A to answer paid', async () => (await read()) === 'paid' || undefined, { timeoutMs: 5000, intervalMs: 5 })
      lags.push(performance.now() - committed)
      // Once A has delivered paid on its stream (it has handled the NOTIFY), no read on A may say pending.
      expect((await watch.final).status).toBe('paid')
      expect(await read()).toBe('paid')
    }
    console.log(`status on A after B applied the payment: paid after ${lags.map(ms => ms.toFixed(0)).join(', ')} ms`)
    // NOTIFY delivery, not the reconcile interval (60 s here), is what A waits for.
    for (const ms of lags)
      expect(ms).toBeLessThan(1000)
  })

  it('streams through nginx unbuffered: the first event arrives at once, and paid follows', async () => {
    const order = await stack.nativeOrder(stack.url)
    const opened = performance.now()
    const watch = watchStatus(`${stack.url}/api/orders/${order.orderNo}/events`, { reconnect: false, deadlineMs: 10_000 })
    const first = await watch.first
    expect(first.status).toBe('pending')
    expect(first.at - opened).toBeLessThan(1000)
    const paidAt = performance.now()
    await stack.sandbox('POST', '/api/wechat/pay', { out_trade_no: order.outTradeNo })
    const final = await watch.final
    expect(final.status).toBe('paid')
    expect(final.at - paidAt).toBeLessThan(1000)
  })

  it('serves the cashier itself: index.html not cached, hashed assets cached for a year and gzipped, the server\'s headers', async () => {
    const index = await fetch(`${stack.url}/`)
    expect(index.status).toBe(200)
    expect(await index.text()).toContain('<div id="app">')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    expect(index.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    // nginx's copy of the CSP must match what the Node server sends for the same page.
    const direct = await fetch(`${stack.servers[0]!.url}/`)
    await direct.arrayBuffer()
    expect(index.headers.get('content-security-policy')).toBe(direct.headers.get('content-security-policy'))

    const js = readdirSync(path.join(REPO_ROOT, 'dist/build/h5/assets')).find(f => f.endsWith('.js'))
    expect(js, 'dist/build/h5 has no assets: run npm run build:h5').toBeTruthy()
    const asset = await fetch(`${stack.url}/assets/${js}`, { headers: { 'accept-encoding': 'gzip' } })
    await asset.arrayBuffer()
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(asset.headers.get('content-encoding')).toBe('gzip')

    // Proxied responses keep the server's own headers, once each (no copies added by nginx).
    const api = await fetch(`${stack.url}/api/openapi.json`)
    await api.arrayBuffer()
    expect(api.headers.get('x-content-type-options')).toBe('nosniff')
    expect(api.headers.get('cache-control')).toBeNull()
  })
})
