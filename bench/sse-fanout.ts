/**
 * 4b. SSE fan-out: N event streams (`/api/orders/{no}/events`) on one pending order, held by one server process
 * (the product as a child process, so its RSS and CPU can be read from /proc); then the sandbox pays and the time
 * until the `paid` event has reached every connection is measured.
 */
import type { ClientRequest, IncomingMessage } from 'node:http'
import { request } from 'node:http'
import { createNativePayment, createOrder, sandboxPay } from './lib/browser'
import { cpuMs, envNumber, fdLimits, formatTable, percentile, progress, round, sleep, waitAtMost } from './lib/common'
import { startProduct } from './lib/processes'

export interface FanoutStep {
  /** Streams open after this batch. */
  open: number
  /** Seconds since opening began. */
  atS: number
  /** Seconds this batch took. */
  batchS: number
  rssMb: number
}

export interface SseFanoutResult {
  requested: number
  /** Connections the fd limits allow (lower than requested when they do not allow it). */
  attempted: number
  fdLimit: { client: { soft: number, hard: number }, server: number }
  limitedBy?: string
  reconcileAfterSeconds: number
  /** Streams open when opening stopped. */
  peakOpen: number
  /** Streams open when the sandbox paid (fewer than peakOpen when the saturated server had to be relieved). */
  opened: number
  failedToOpen: number
  openSeconds: number
  /** Why opening stopped before `attempted`. */
  stopReason?: string
  steps: FanoutStep[]
  rssIdleMb: number
  rssWithStreamsMb: number
  /** RSS slope between the first and the last batch, KB per stream. */
  rssPerStreamKb: number
  /** Server CPU while just holding the streams (their reconcile loops), % of one core over 6 s. */
  holdCpuPercent: number
  paid: { received: number, firstMs: number, p50Ms: number, p99Ms: number, lastMs: number, deadlineS: number, payError?: string }
  rssAfterPaidMb: number
  /** V8 heap used / external memory (MB) before opening and with every stream open (GET /api/admin/memory). */
  heapIdleMb?: number
  heapWithStreamsMb?: number
  externalIdleMb?: number
  externalWithStreamsMb?: number
  /** (heap used with − idle) ÷ streams, KB. */
  heapPerStreamKb?: number
  /** (RSS with − idle) ÷ streams, KB. */
  rssPerStreamTotalKb?: number
}

/** The server the streams are opened on, and how to reach the simulator that pays. */
export interface FanoutTarget {
  origin: string
  port: number
  pid: number
  rssKb: () => number
  fdSoftLimit: () => number
  sandboxOrigin: string
  /** The server's memory (after a full garbage collection when `gc`). */
  memory?: (gc?: boolean) => Promise<{ now: { heapUsedMb: number, externalMb: number } }>
}

interface Conn {
  req: ClientRequest
  res?: IncomingMessage
  tail: string
  open: boolean
  /** Closed by the benchmark (shed after saturation). */
  closed?: boolean
  paidAt?: number
}

const FD_MARGIN = 256
const BATCH = 500
/** Server CPU (% of one core) at which it is saturated: Node runs the app on one thread. */
const SATURATED_CPU_PERCENT = 90

function connect(host: string, port: number, path: string, onOpen: (ok: boolean) => void, onPaid: (c: Conn) => void): Conn {
  const conn: Conn = { req: undefined as unknown as ClientRequest, tail: '', open: false }
  let settled = false
  const settle = (ok: boolean) => {
    if (!settled) {
      settled = true
      onOpen(ok)
    }
  }
  conn.req = request({ host, port, path, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
    conn.res = res
    if (res.statusCode !== 200) {
      res.resume()
      settle(false)
      return
    }
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      const text = conn.tail + chunk
      if (!conn.open && text.includes('"status":"pending"')) {
        conn.open = true
        settle(true)
      }
      if (conn.paidAt === undefined && text.includes('"status":"paid"')) {
        conn.paidAt = performance.now()
        onPaid(conn)
      }
      conn.tail = text.slice(-64)
    })
    res.on('error', () => settle(false))
    res.on('close', () => settle(false))
  })
  conn.req.on('error', () => settle(false))
  conn.req.end()
  return conn
}

/** Opens `count` more streams, at most 200 handshakes in flight (the listen backlog is 511), until `deadline`. */
async function openStreams(conns: Conn[], count: number, port: number, path: string, deadline: number, tally: { opened: number, failed: number }, onPaid: (c: Conn) => void): Promise<void> {
  // An object, so the loops below see the callbacks' updates (and lint knows it).
  const handshakes = { inFlight: 0 }
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    while (handshakes.inFlight >= 200 && Date.now() < deadline)
      await sleep(2)
    handshakes.inFlight++
    conns.push(connect('127.0.0.1', port, path, (ok) => {
      handshakes.inFlight--
      if (ok)
        tally.opened++
      else
        tally.failed++
    }, onPaid))
  }
  while (handshakes.inFlight > 0 && Date.now() < deadline)
    await sleep(10)
}

/** Waits `ms` and returns the server's CPU use over that time, % of one core. */
async function cpuOver(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuMs(pid)
  const t0 = performance.now()
  await sleep(ms)
  return round(((cpuMs(pid) - cpu0) / (performance.now() - t0)) * 100)
}

export async function runSseFanout(): Promise<SseFanoutResult> {
  const requested = Math.round(envNumber('BENCH_SSE_CONNECTIONS', 10_000))
  const deadlineS = envNumber('BENCH_SSE_DEADLINE_SECONDS', 60)
  const openLimitS = envNumber('BENCH_SSE_OPEN_SECONDS', 90)
  const stallS = envNumber('BENCH_SSE_STALL_SECONDS', 10)
  const reconcileS = process.env.BENCH_SSE_RECONCILE_SECONDS
  const client = fdLimits()
  let attempted = requested
  let limitedBy: string | undefined
  if (client.soft < requested + FD_MARGIN) {
    attempted = Math.max(0, client.soft - FD_MARGIN)
    limitedBy = `this process may open ${client.soft} files (ulimit -n; hard limit ${client.hard}); raise it with \`ulimit -n ${requested + FD_MARGIN}\` before npm run bench`
  }

  // One loopback client opens every stream, all on one order: the per-IP and per-order stream caps are off.
  const env = { RATE_LIMIT_PER_IP: '0', MAX_STREAMS_PER_ORDER: '0', ...(reconcileS ? { RECONCILE_AFTER_SECONDS: reconcileS } : {}) }
  const server = await startProduct({ env })
  try {
    return await runFanout({ ...server, memory: server.memory }, { requested, attempted, limitedBy, client, deadlineS, openLimitS, stallS, reconcileAfterSeconds: reconcileS ? Number(reconcileS) : 3 })
  }
  finally {
    await server.stop()
  }
}

export async function runFanout(server: FanoutTarget, o: { requested: number, attempted: number, limitedBy?: string, client: { soft: number, hard: number }, deadlineS: number, openLimitS: number, stallS: number, reconcileAfterSeconds: number }): Promise<SseFanoutResult> {
  const { requested, client, deadlineS, openLimitS, stallS } = o
  let { attempted, limitedBy } = o
  const conns: Conn[] = []
  try {
    const serverFds = server.fdSoftLimit()
    if (serverFds < attempted + FD_MARGIN) {
      attempted = Math.max(0, serverFds - FD_MARGIN)
      limitedBy = `the server process may open ${serverFds} files`
    }
    const { origin, port } = server
    const { orderNo } = await createOrder(origin)
    const codeUrl = await createNativePayment(origin, orderNo)
    const path = `/api/orders/${orderNo}/events`
    await sleep(2000)
    const rssIdleKb = server.rssKb()
    const memIdle = await server.memory?.(true).catch(() => undefined)

    const tally = { opened: 0, failed: 0 }
    let paidCount = 0
    let allPaid: (() => void) | undefined
    // How many streams must hear "paid": counted once, when the payment is made (not per event, which would make
    // the benchmark's own bookkeeping quadratic in the number of streams).
    let expected = Number.POSITIVE_INFINITY
    const onPaid = (c: Conn) => {
      if (c.closed)
        return
      paidCount++
      if (paidCount >= expected && allPaid)
        allPaid()
    }
    // Batches of BATCH; stop when a batch takes longer than stallS (the server is saturated) or after openLimitS.
    const openStarted = performance.now()
    const openDeadline = Date.now() + openLimitS * 1000
    const steps: FanoutStep[] = []
    let stopReason = ''
    progress(`SSE fan-out: opening ${attempted} streams`)
    for (let sent = 0; sent < attempted;) {
      const n = Math.min(BATCH, attempted - sent)
      const t = performance.now()
      await openStreams(conns, n, port, path, Math.min(openDeadline, Date.now() + stallS * 1000), tally, onPaid)
      sent += n
      const took = (performance.now() - t) / 1000
      steps.push({ open: tally.opened, atS: round((performance.now() - openStarted) / 1000, 1), batchS: round(took, 1), rssMb: round(server.rssKb() / 1024, 1) })
      if (took >= stallS) {
        stopReason = `a batch of ${n} took over ${stallS} s to open (saturated)`
        break
      }
      if (Date.now() >= openDeadline) {
        stopReason = `opening took over ${openLimitS} s`
        break
      }
    }
    const openSeconds = round((performance.now() - openStarted) / 1000, 1)
    const peakOpen = conns.filter(c => c.open).length
    progress(`SSE fan-out: ${tally.opened} open after ${openSeconds} s (${tally.failed} failed)${stopReason ? `; stopped: ${stopReason}` : ''}`)
    // Hold for two reconcile periods (3 s each by default): each stream's loop asks the database once a period.
    let holdCpuPercent = await cpuOver(server.pid, 6000)
    const rssWithKb = server.rssKb()
    const memWith = await server.memory?.(true).catch(() => undefined)
    // A saturated server never gets to the payment: close the newest streams a batch at a time until it has
    // CPU to spare, and measure the paid event at the level it sustains.
    let live = conns.length
    for (let shed = 0; holdCpuPercent >= SATURATED_CPU_PERCENT && shed < 6 && live > BATCH; shed++) {
      for (const c of conns.slice(live - BATCH, live)) {
        c.closed = true
        c.req.destroy()
      }
      live -= BATCH
      holdCpuPercent = await cpuOver(server.pid, 6000)
      progress(`SSE fan-out: saturated; closed the newest ${BATCH} streams → ${conns.filter(c => c.open && !c.closed).length} open, CPU ${holdCpuPercent} %`)
    }

    const paidAll = new Promise<void>((resolve) => {
      allPaid = resolve
    })
    expected = conns.filter(x => x.open && !x.closed).length
    const t0 = performance.now()
    let payError: string | undefined
    await sandboxPay(server.sandboxOrigin, codeUrl, deadlineS * 1000).catch((e: Error) => {
      payError = e.message
    })
    await waitAtMost(paidAll, Math.max(0, deadlineS * 1000 - (performance.now() - t0)))
    // Handshakes still pending when opening stopped may have completed since: count every open stream.
    const opened = conns.filter(c => c.open && !c.closed).length
    const times = conns.filter(c => c.open && !c.closed && c.paidAt !== undefined).map(c => c.paidAt! - t0)
    progress(`SSE fan-out: paid reached ${times.length} of ${opened} streams after ${round((performance.now() - t0) / 1000, 1)} s`)
    const rssAfterKb = server.rssKb()
    // Memory per stream: slope between the first and the last step (the idle baseline is too noisy).
    const first = steps[0]
    const last = steps.at(-1)
    const perStream = first && last && last.open > first.open ? ((last.rssMb - first.rssMb) * 1024) / (last.open - first.open) : Number.NaN

    return {
      requested,
      attempted,
      fdLimit: { client, server: serverFds },
      ...(limitedBy ? { limitedBy } : {}),
      reconcileAfterSeconds: o.reconcileAfterSeconds,
      peakOpen,
      opened,
      failedToOpen: tally.failed,
      openSeconds,
      ...(stopReason ? { stopReason } : {}),
      steps,
      rssIdleMb: round(rssIdleKb / 1024, 1),
      rssWithStreamsMb: round(rssWithKb / 1024, 1),
      rssPerStreamKb: round(perStream, 1),
      holdCpuPercent,
      paid: {
        received: times.length,
        firstMs: round(Math.min(...times)),
        p50Ms: round(percentile(times, 50)),
        p99Ms: round(percentile(times, 99)),
        lastMs: round(Math.max(...times)),
        deadlineS,
        ...(payError ? { payError } : {}),
      },
      rssAfterPaidMb: round(rssAfterKb / 1024, 1),
      ...(memIdle && memWith
        ? {
            heapIdleMb: memIdle.now.heapUsedMb,
            heapWithStreamsMb: memWith.now.heapUsedMb,
            externalIdleMb: memIdle.now.externalMb,
            externalWithStreamsMb: memWith.now.externalMb,
            heapPerStreamKb: round(((memWith.now.heapUsedMb - memIdle.now.heapUsedMb) * 1024) / Math.max(1, peakOpen), 1),
          }
        : {}),
      rssPerStreamTotalKb: round(((rssWithKb - rssIdleKb)) / Math.max(1, peakOpen), 1),
    }
  }
  finally {
    for (const c of conns)
      c.req.destroy()
  }
}

export function printSseFanout(r: SseFanoutResult): void {
  console.log(`\nSSE fan-out: ${r.opened} streams on one order, one server process (asked for ${r.requested}${r.limitedBy ? `; fd limit: ${r.limitedBy}` : ''}${r.stopReason ? `; opening stopped: ${r.stopReason}` : ''}; RECONCILE_AFTER_SECONDS=${r.reconcileAfterSeconds})`)
  console.log(formatTable(
    ['figure', 'value'],
    [
      ['fd limit (client soft/hard, server soft)', `${r.fdLimit.client.soft}/${r.fdLimit.client.hard}, ${r.fdLimit.server}`],
      ['streams opened / failed', `${r.peakOpen} / ${r.failedToOpen} (in ${r.openSeconds} s)`],
      ['streams held when paid', `${r.opened}${r.opened < r.peakOpen ? ' (the newest closed until the server had CPU to spare)' : ''}`],
      ['opening, per batch (open: s since start, RSS)', r.steps.map(s => `${s.open}: ${s.atS} s, ${s.rssMb} MB`).join('; ')],
      ['server RSS idle → with all streams', `${r.rssIdleMb} MB → ${r.rssWithStreamsMb} MB; ≈ ${r.rssPerStreamTotalKb} KB per stream ((with − idle) ÷ streams), ${r.rssPerStreamKb} KB (slope between batches)`],
      ['V8 heap used idle → with all streams', r.heapIdleMb === undefined ? 'n/a' : `${r.heapIdleMb} MB → ${r.heapWithStreamsMb} MB, ≈ ${r.heapPerStreamKb} KB per stream; external ${r.externalIdleMb} → ${r.externalWithStreamsMb} MB`],
      ['server CPU holding the streams when paid', `${r.holdCpuPercent} % of one core`],
      ['paid event reached', `${r.paid.received} of ${r.opened} within ${r.paid.deadlineS} s${r.paid.payError ? ` (the pay request failed: ${r.paid.payError})` : ''}`],
      ['pay → paid event: first / p50 / p99 / last', r.paid.received ? `${r.paid.firstMs} / ${r.paid.p50Ms} / ${r.paid.p99Ms} / ${r.paid.lastMs} ms` : 'n/a'],
      ['server RSS after paid', `${r.rssAfterPaidMb} MB`],
    ],
  ))
}
