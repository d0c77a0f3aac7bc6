/**
 * 4d. The server figures again on the deployment of docs/deploy.md: PostgreSQL, two server processes and nginx in
 * front of them, the sandbox in its own process (tests/scale/harness.ts, the scale suite's stack). Requests go
 * through nginx; the event streams go to process A directly (nginx caps streams per client IP), and the payment's
 * notification reaches A through nginx and PostgreSQL NOTIFY, whichever process handles it.
 */
import type { CannonFigures, PaymentFigures, StatusFigures } from './server-capacity'
import type { SseFanoutResult } from './sse-fanout'
import { startStack } from '../tests/scale/harness'
import { scaleTestsSkipped } from '../tests/scale/prereqs'
import { envNumber, fdLimits, formatTable, progress, round, rssKb, sleep } from './lib/common'
import { buildServer } from './lib/processes'
import { measurePayments, measureStatus, pendingNativeOrders } from './server-capacity'
import { printSseFanout, runFanout } from './sse-fanout'

export interface ScaleResult {
  processes: number
  connections: number
  durationS: number
  /** VmRSS of each server process, MB, idle after start. */
  idleRssMb: number[]
  status: StatusFigures
  statusMany: StatusFigures
  payments: PaymentFigures
  paymentsSameOrder: PaymentFigures
  sseFanout?: SseFanoutResult
  skipped?: string
}

export async function runScale(hello: CannonFigures): Promise<ScaleResult | { skipped: string }> {
  if (scaleTestsSkipped())
    return { skipped: 'SCALE_TESTS=skip' }
  const duration = envNumber('BENCH_CANNON_SECONDS', 10)
  const connections = envNumber('BENCH_CANNON_CONNECTIONS', 50)
  const many = envNumber('BENCH_STATUS_ORDERS', 1000)
  progress('scale: starting PostgreSQL, the sandbox, two server processes and nginx')
  // The server processes run what npm start runs (the built server), as the one-process benchmarks do.
  const stack = await startStack({ processes: 2, reconcileAfterSeconds: 3, sandboxTimeScale: 0.001, logLevel: 'info', env: { MAX_STREAMS_PER_ORDER: '0', MAX_STREAMS_PER_IP: '0' }, serverEntry: await buildServer() })
  try {
    await sleep(3000)
    const idleRssMb = stack.servers.map(s => round(rssKb(s.child.pid) / 1024, 1))
    const status = await measureStatus(stack.url, stack.sandboxUrl, await pendingNativeOrders(stack.url, 1), hello, connections, duration)
    progress(`scale: preparing ${many} pending orders`)
    const statusMany = await measureStatus(stack.url, stack.sandboxUrl, await pendingNativeOrders(stack.url, many), hello, connections, duration)
    const payments = await measurePayments(stack.url, 'new-order', connections, duration)
    const paymentsSameOrder = await measurePayments(stack.url, 'same-order', connections, duration)
    let sseFanout: SseFanoutResult | undefined
    if (process.env.BENCH_SCALE_SSE !== '0') {
      const a = stack.servers[0]!
      const requested = Math.round(envNumber('BENCH_SSE_CONNECTIONS', 10_000))
      const client = fdLimits()
      const attempted = Math.min(requested, Math.max(0, client.soft - 256))
      progress(`scale: SSE fan-out on process A (${attempted} streams)`)
      sseFanout = await runFanout({
        origin: a.url,
        port: a.port,
        pid: a.child.pid,
        rssKb: () => rssKb(a.child.pid),
        fdSoftLimit: () => fdLimits(a.child.pid).soft,
        sandboxOrigin: stack.sandboxUrl,
      }, {
        requested,
        attempted,
        ...(attempted < requested ? { limitedBy: `this process may open ${client.soft} files` } : {}),
        client,
        deadlineS: envNumber('BENCH_SSE_DEADLINE_SECONDS', 60),
        openLimitS: envNumber('BENCH_SSE_OPEN_SECONDS', 90),
        stallS: envNumber('BENCH_SSE_STALL_SECONDS', 10),
        reconcileAfterSeconds: 3,
      })
    }
    return { processes: stack.servers.length, connections, durationS: duration, idleRssMb, status, statusMany, payments, paymentsSameOrder, ...(sseFanout ? { sseFanout } : {}) }
  }
  finally {
    await stack.stop()
  }
}

export function printScale(r: ScaleResult | { skipped: string }, hello: CannonFigures): void {
  if ('skipped' in r && r.skipped) {
    console.log(`\nScale (PostgreSQL, two processes, nginx): skipped — ${r.skipped}`)
    return
  }
  const s = r as ScaleResult
  console.log(`\nScale: PostgreSQL, ${s.processes} server processes behind nginx, sandbox in its own process (autocannon, ${s.connections} connections, ${s.durationS} s each, through nginx; logs at info, rate limits off)`)
  const rows = [hello, s.status, s.statusMany, s.payments, s.paymentsSameOrder]
  console.log(formatTable(
    ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors'],
    rows.map(f => [f.name, String(f.reqPerSec), String(f.p50Ms), String(f.p99Ms), String(f.requests), String(f.non2xx), String(f.errors)]),
  ))
  console.log(`  status ÷ bare Hono (one process, loopback): ${s.status.toBare} (one order), ${s.statusMany.toBare} (${s.statusMany.orders} orders); provider queries: ${s.status.providerQueries}, ${s.statusMany.providerQueries}`)
  console.log(`  idle RSS per server process: ${s.idleRssMb.join(', ')} MB`)
  if (s.sseFanout)
    printSseFanout(s.sseFanout)
}
