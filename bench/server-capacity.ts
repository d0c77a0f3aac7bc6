/**
 * 4a. Server capacity: autocannon over loopback against the product (a child process, as `npm start` runs it,
 * logging at its default level `info` to a file, rate limits off, the sandbox in its own process) and, in the same
 * run, a bare Hono hello world.
 * The same figures are taken through nginx on PostgreSQL with two processes by bench/scale.ts.
 */
import type { Result } from 'autocannon'
import autocannon from 'autocannon'
import { mapLimit } from '../tests/helpers/pool'
import { createNativePayment, createOrder } from './lib/browser'
import { envNumber, formatTable, progress, round } from './lib/common'
import { startHello, startProduct } from './lib/processes'

export interface CannonFigures {
  name: string
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
  statusCodes: Record<string, number>
}

export interface StatusFigures extends CannonFigures {
  /** Distinct pending orders read (round robin). */
  orders: number
  /** status req/s ÷ bare Hono req/s */
  toBare: number
  /** Provider (sandbox) queries made for these orders during the run: reconciliation at work. */
  providerQueries: number
}

export interface PaymentFigures extends CannonFigures {
  /** 'new-order': every request pays another pending order; 'same-order': one order, a new Idempotency-Key each. */
  mode: 'new-order' | 'same-order'
  ordersPrepared: number
}

export interface ServerCapacityResult {
  durationS: number
  connections: number
  hello: CannonFigures
  status: StatusFigures
  statusMany: StatusFigures
  /** Payment creation with the sandbox in its own process (SANDBOX_EMBEDDED=false). */
  payments: PaymentFigures
  paymentsSameOrder: PaymentFigures
  reconcileAfterSeconds: number
  /** The product's LOG_LEVEL in this run (BENCH_SERVER_LOG_LEVEL; default info, as npm start). */
  logLevel: string
  /** Kept for bench --compare against older results. */
  statusToBareRatio: number
}

export function figures(name: string, r: Result): CannonFigures {
  return {
    name,
    reqPerSec: round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
  }
}

async function providerQueries(sandboxOrigin: string): Promise<number> {
  const stats = await (await fetch(`${sandboxOrigin}/sandbox/api/stats`)).json() as { wechat?: Record<string, { query?: number }> }
  return Object.values(stats.wechat ?? {}).reduce((n, v) => n + (v.query ?? 0), 0)
}

export async function measureHello(connections: number, duration: number): Promise<CannonFigures> {
  const hello = await startHello()
  try {
    await autocannon({ url: `${hello.origin}/`, connections, duration: 1 })
    return figures('bare Hono hello (GET /)', await autocannon({ url: `${hello.origin}/`, connections, duration }))
  }
  finally {
    await hello.stop()
  }
}

/** Pending orders with an open WeChat Native attempt each (what a PC customer looking at the QR code has). */
export async function pendingNativeOrders(origin: string, n: number): Promise<string[]> {
  return mapLimit(Array.from({ length: n }), 16, async () => {
    const { orderNo } = await createOrder(origin)
    await createNativePayment(origin, orderNo)
    return orderNo
  })
}

/**
 * GET /api/orders/{no}/status over `orderNos`, round robin: autocannon's request list, which each connection walks in
 * order, built once (as the bare hello's single request is), so the load generator costs the same per request in
 * both runs and the ratio compares the servers.
 */
export async function measureStatus(origin: string, sandboxOrigin: string, orderNos: string[], hello: CannonFigures, connections: number, duration: number): Promise<StatusFigures> {
  const requests = orderNos.map(orderNo => ({ method: 'GET' as const, path: `/api/orders/${orderNo}/status` }))
  await autocannon({ url: origin, connections, duration: 1, requests })
  const before = await providerQueries(sandboxOrigin)
  const f = figures(orderNos.length === 1 ? 'GET /api/orders/{no}/status (pending)' : `GET /api/orders/{no}/status (${orderNos.length} pending orders, round robin)`, await autocannon({ url: origin, connections, duration, requests }))
  return { ...f, orders: orderNos.length, toBare: round(f.reqPerSec / hello.reqPerSec, 3), providerQueries: await providerQueries(sandboxOrigin) - before }
}

/** POST /api/payments (wechat_native), a new Idempotency-Key each: on a new pending order each, or all on one order. */
export async function measurePayments(origin: string, mode: PaymentFigures['mode'], connections: number, duration: number): Promise<PaymentFigures> {
  const prepared = mode === 'new-order' ? envNumber('BENCH_PAY_ORDERS', 5000) : 1
  progress(`payments (${mode}): preparing ${prepared} order(s)`)
  const orders = await mapLimit(Array.from({ length: prepared }), 16, async () => (await createOrder(origin)).orderNo)
  let seq = 0
  const key = `bench-cannon-${process.pid}-${Date.now()}`
  const payRequest = {
    method: 'POST' as const,
    path: '/api/payments',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderNo: orders[0], method: 'wechat_native' }),
    setupRequest: (req: { headers?: Record<string, string> }) => {
      const n = seq++
      return { ...req, headers: { ...req.headers, 'idempotency-key': `${key}-${n}` }, body: JSON.stringify({ orderNo: orders[n % orders.length], method: 'wechat_native' }) }
    },
  }
  await autocannon({ url: origin, connections, duration: 1, requests: [payRequest] })
  const name = mode === 'new-order' ? 'POST /api/payments (wechat_native, a new order each, sandbox in its own process)' : 'POST /api/payments (wechat_native, one order, a new key each, sandbox in its own process)'
  const f = figures(name, await autocannon({ url: origin, connections, duration, requests: [payRequest] }))
  return { ...f, mode, ordersPrepared: prepared }
}

export async function runServerCapacity(): Promise<ServerCapacityResult> {
  const duration = envNumber('BENCH_CANNON_SECONDS', 10)
  const connections = envNumber('BENCH_CANNON_CONNECTIONS', 50)
  const many = envNumber('BENCH_STATUS_ORDERS', 1000)
  const hello = await measureHello(connections, duration)

  // One loopback client stands in for thousands of customers: the per-IP/per-session limits
  // (RATE_LIMIT_PER_IP, RATE_LIMIT_PER_SESSION; 0 = off) would answer almost everything with 429.
  const logLevel = process.env.BENCH_SERVER_LOG_LEVEL || 'info'
  const env = { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_SESSION: '0' }
  // The simulator in its own process (SANDBOX_EMBEDDED=false, as in the scale harness), so every figure is the
  // server's own work: the status runs' provider queries and the payments' provider calls cost the server its side of
  // the protocol (signing the request, verifying the answer), not the simulated provider's side too.
  const product = await startProduct({ logLevel, env, separateSandbox: true })
  try {
    // A warm pending order with an open WeChat Native attempt, so reconciliation has something to ask about.
    const status = await measureStatus(product.origin, product.sandboxOrigin, await pendingNativeOrders(product.origin, 1), hello, connections, duration)
    progress(`status: preparing ${many} pending orders`)
    const statusMany = await measureStatus(product.origin, product.sandboxOrigin, await pendingNativeOrders(product.origin, many), hello, connections, duration)
    const payments = await measurePayments(product.origin, 'new-order', connections, duration)
    const paymentsSameOrder = await measurePayments(product.origin, 'same-order', connections, duration)
    return { durationS: duration, connections, hello, status, statusMany, payments, paymentsSameOrder, reconcileAfterSeconds: 3, logLevel, statusToBareRatio: status.toBare }
  }
  finally {
    await product.stop()
  }
}

export function printServerCapacity(r: ServerCapacityResult, where = 'loopback, one process, embedded PGlite, sandbox in its own process'): void {
  console.log(`\nServer capacity (autocannon, ${r.connections} connections, ${r.durationS} s each, ${where}; product logs at ${r.logLevel}, rate limits off)`)
  const rows = [r.hello, r.status, r.statusMany, r.payments, r.paymentsSameOrder]
  console.log(formatTable(
    ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors'],
    rows.map(f => [f.name, String(f.reqPerSec), String(f.p50Ms), String(f.p99Ms), String(f.requests), String(f.non2xx), String(f.errors)]),
  ))
  console.log(`  status ÷ bare Hono: ${r.status.toBare} (one order), ${r.statusMany.toBare} (${r.statusMany.orders} orders); provider queries during the runs: ${r.status.providerQueries}, ${r.statusMany.providerQueries} (RECONCILE_AFTER_SECONDS=${r.reconcileAfterSeconds})`)
  console.log(`  payments: ${r.payments.ordersPrepared} orders prepared for the new-order run${r.payments.requests > r.payments.ordersPrepared ? ' (fewer than requests: later requests paid an order again)' : ''}`)
  for (const f of rows.slice(1)) {
    if (f.non2xx > 0)
      console.log(`  ${f.name}: status codes ${JSON.stringify(f.statusCodes)}`)
  }
}
