/**
 * 4a. Server capacity: autocannon over loopback against the product (a child process, as `npm start` runs it,
 * logging at its default level `info` to /dev/null, payment rate limits off) and, in the same run, a bare Hono
 * hello world.
 */
import type { Result } from 'autocannon'
import autocannon from 'autocannon'
import { createNativePayment, createOrder } from './lib/browser'
import { envNumber, formatTable, round } from './lib/common'
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

export interface ServerCapacityResult {
  durationS: number
  connections: number
  hello: CannonFigures
  status: CannonFigures
  payments: CannonFigures
  /** status req/s ÷ bare Hono req/s */
  statusToBareRatio: number
  /** Provider (sandbox) queries made for the status order during its run: reconciliation at work. */
  providerQueriesDuringStatus: number
  reconcileAfterSeconds: number
  /** The product's LOG_LEVEL in this run (BENCH_SERVER_LOG_LEVEL; default info, as npm start). */
  logLevel: string
}

function figures(name: string, r: Result): CannonFigures {
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

async function providerQueries(origin: string, outTradeNoPrefix?: string): Promise<number> {
  const stats = await (await fetch(`${origin}/sandbox/api/stats`)).json() as { wechat?: Record<string, { query?: number }> }
  return Object.entries(stats.wechat ?? {}).filter(([k]) => !outTradeNoPrefix || k.startsWith(outTradeNoPrefix)).reduce((n, [, v]) => n + (v.query ?? 0), 0)
}

export async function runServerCapacity(): Promise<ServerCapacityResult> {
  const duration = envNumber('BENCH_CANNON_SECONDS', 10)
  const connections = envNumber('BENCH_CANNON_CONNECTIONS', 50)

  const hello = await startHello()
  let helloFigures: CannonFigures
  try {
    await autocannon({ url: `${hello.origin}/`, connections, duration: 1 })
    helloFigures = figures('bare Hono hello (GET /)', await autocannon({ url: `${hello.origin}/`, connections, duration }))
  }
  finally {
    await hello.stop()
  }

  // One loopback client stands in for thousands of customers: the per-IP/per-session payment limits
  // (RATE_LIMIT_PER_IP, RATE_LIMIT_PER_SESSION; 0 = off) would answer almost everything with 429.
  const logLevel = process.env.BENCH_SERVER_LOG_LEVEL || 'info'
  const product = await startProduct({ logLevel, env: { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_SESSION: '0' } })
  try {
    // A warm pending order with an open WeChat Native attempt, so reconciliation has something to ask about.
    const statusOrder = await createOrder(product.origin)
    await createNativePayment(product.origin, statusOrder.orderNo)
    const statusUrl = `${product.origin}/api/orders/${statusOrder.orderNo}/status`
    await autocannon({ url: statusUrl, connections, duration: 1 })
    const queriesBefore = await providerQueries(product.origin)
    const status = figures(`GET /api/orders/{no}/status (pending)`, await autocannon({ url: statusUrl, connections, duration }))
    const providerQueriesDuringStatus = await providerQueries(product.origin) - queriesBefore

    const payOrder = await createOrder(product.origin)
    let seq = 0
    const payRequest = {
      method: 'POST',
      path: '/api/payments',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderNo: payOrder.orderNo, method: 'wechat_native' }),
      setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, 'idempotency-key': `bench-cannon-${process.pid}-${Date.now()}-${seq++}` } }),
    }
    await autocannon({ url: product.origin, connections, duration: 1, requests: [payRequest] })
    const payments = figures('POST /api/payments (wechat_native, new key each)', await autocannon({ url: product.origin, connections, duration, requests: [payRequest] }))

    return {
      durationS: duration,
      connections,
      hello: helloFigures,
      status,
      payments,
      statusToBareRatio: round(status.reqPerSec / helloFigures.reqPerSec, 3),
      providerQueriesDuringStatus,
      reconcileAfterSeconds: 3,
      logLevel,
    }
  }
  finally {
    await product.stop()
  }
}

export function printServerCapacity(r: ServerCapacityResult): void {
  console.log(`\nServer capacity (autocannon, ${r.connections} connections, ${r.durationS} s each, loopback; product logs at ${r.logLevel}, rate limits off)`)
  console.log(formatTable(
    ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors'],
    [r.hello, r.status, r.payments].map(f => [f.name, String(f.reqPerSec), String(f.p50Ms), String(f.p99Ms), String(f.requests), String(f.non2xx), String(f.errors)]),
  ))
  console.log(`  status ÷ bare Hono: ${r.statusToBareRatio}; provider queries during the status run: ${r.providerQueriesDuringStatus} (RECONCILE_AFTER_SECONDS=${r.reconcileAfterSeconds})`)
  for (const f of [r.status, r.payments]) {
    if (f.non2xx > 0)
      console.log(`  ${f.name}: status codes ${JSON.stringify(f.statusCodes)}`)
  }
}
