/**
 * `npm run bench`: every benchmark in sequence, a table per benchmark while it runs, a summary table and the targets
 * (measured ÷ target) at the end, and everything in bench/results.json (git-ignored). Sizes come from the environment
 * (docs/benchmarks.md). `--only page-weight,server` (or BENCH_ONLY=…) runs a subset; `--compare FILE` prints the
 * change of every figure against an earlier results.json (with no benchmark named, it only compares bench/results.json).
 */
import type { Browser } from 'playwright-core'
import type { FloorApp } from './floor-app/index'
import type { IdleRssResult } from './idle-rss'
import type { PageWeightResult } from './page-weight'
import type { PollingLoadResult } from './polling-load'
import type { ResultLatencyResult } from './result-latency'
import type { RoundTripResult } from './round-trips'
import type { ScaleResult } from './scale'
import type { CannonFigures, ServerCapacityResult } from './server-capacity'
import type { SseFanoutResult } from './sse-fanout'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { startFloorApp } from './floor-app/index'
import { printIdleRss, runIdleRss } from './idle-rss'
import { launchBrowser } from './lib/browser'
import { formatTable, markdownTable, progress, ROOT, round } from './lib/common'
import { buildCashier, buildServer, startProduct } from './lib/processes'
import { kb } from './lib/weight'
import { printPageWeight, runPageWeight, WECHAT_BUDGET_BYTES } from './page-weight'
import { printPollingLoad, runPollingLoad } from './polling-load'
import { printResultLatency, runResultLatency } from './result-latency'
import { printRoundTrips, runRoundTrips } from './round-trips'
import { printScale, runScale } from './scale'
import { measureHello, printServerCapacity, runServerCapacity } from './server-capacity'
import { printSseFanout, runSseFanout } from './sse-fanout'

const ALL = ['page-weight', 'round-trips', 'result-latency', 'polling-load', 'idle-rss', 'server', 'sse-fanout', 'scale'] as const
type BenchName = typeof ALL[number]

/** `--only a,b` / `--only=a,b` and `--compare FILE` / `--compare=FILE`. */
function flag(name: string): string | undefined {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`)
      return args[i + 1]
    if (args[i]!.startsWith(`--${name}=`))
      return args[i]!.slice(name.length + 3)
  }
  return undefined
}

function selected(): Set<BenchName> {
  const only = (flag('only') ?? process.env.BENCH_ONLY)?.split(',').map(s => s.trim()).filter(Boolean)
  if (!only?.length)
    return new Set(ALL)
  const bad = only.filter(n => !(ALL as readonly string[]).includes(n))
  if (bad.length)
    throw new Error(`BENCH_ONLY: unknown benchmark(s) ${bad.join(', ')}; choose from ${ALL.join(', ')}`)
  return new Set(only as BenchName[])
}

interface Results {
  startedAt: string
  durationS?: number
  machine: Record<string, string | number>
  config: Record<string, string>
  pageWeight?: PageWeightResult
  roundTrips?: RoundTripResult
  resultLatency?: ResultLatencyResult
  pollingLoad?: PollingLoadResult
  server?: ServerCapacityResult
  sseFanout?: SseFanoutResult
  idleRss?: IdleRssResult
  scale?: ScaleResult | { skipped: string }
  summary?: { header: string[], rows: string[][], markdown: string }
  targets?: { header: string[], rows: string[][], markdown: string }
}

function osName(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? process.platform
  }
  catch {
    return process.platform
  }
}

const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED')

function summary(r: Results): { header: string[], rows: string[][] } {
  const rows: string[][] = []
  if (r.pageWeight) {
    const floor = r.pageWeight.paths.find(p => p.path === 'floor')
    for (const p of r.pageWeight.paths) {
      const s = p.summary
      const goal = p.path === 'wechat-jsapi' ? `≤ ${kb(WECHAT_BUDGET_BYTES)} KB` : ''
      const above = floor && p.path !== 'floor' ? `; ${kb(s.total.gzip - floor.summary.total.gzip)} KB above floor` : ''
      rows.push([`Page weight: ${p.label}`, `${kb(s.total.gzip)} KB gzip (JS ${kb(s.byKind.js.gzip)}, CSS ${kb(s.byKind.css.gzip)}, HTML ${kb(s.byKind.html.gzip)}, API ${kb(s.byKind.api.gzip)}; ${s.total.requests} req${above})`, goal, goal ? verdict(s.total.gzip <= WECHAT_BUDGET_BYTES) : ''])
    }
    for (const c of r.pageWeight.checks.slice(2))
      rows.push([`Page weight: ${c.name}`, c.detail, 'yes', verdict(c.ok)])
  }
  if (r.roundTrips) {
    for (const x of r.roundTrips.runs) {
      const name = x.flow === 'pc-qr' ? 'Round trips: open PC checkout → QR drawn' : `Round trips: WeChat ?code= return → getBrandWCPayRequest (${x.cache === 'warm' ? 'assets cached' : 'no cache'})`
      rows.push([name, `${x.counted} API (${x.api.join(', ')}); ${x.wallMs} ms`, x.flow === 'pc-qr' ? `≤ ${x.goal}` : String(x.goal), verdict(x.counted <= x.goal)])
    }
  }
  if (r.resultLatency) {
    for (const s of [r.resultLatency.sse, r.resultLatency.polling])
      rows.push([`Result latency, ${s.mode === 'sse' ? 'SSE' : 'polling'} (pay → "paid" shown)`, `p50 ${round(s.p50Ms)} ms, p95 ${round(s.p95Ms)} ms (n=${s.payments - s.missed}${s.missed ? `, ${s.missed} missed` : ''})`, '', ''])
  }
  if (r.pollingLoad) {
    const p = r.pollingLoad
    rows.push(['Polling load, page visible', `${p.visible.perMinute} status req/min`, `≤ ${p.goals.visiblePerMinute}`, verdict(p.visible.perMinute <= p.goals.visiblePerMinute)])
    rows.push(['Polling load, page hidden', `${p.hidden.perMinute} status req/min`, String(p.goals.hiddenPerMinute), verdict(p.hidden.perMinute <= p.goals.hiddenPerMinute)])
  }
  const cannon = (f: CannonFigures) => `${f.reqPerSec} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms${f.non2xx ? `, ${f.non2xx} non-2xx` : ''}`
  if (r.idleRss) {
    rows.push(['Idle RSS after start, first start (initdb)', `${r.idleRss.firstStart.rssMb} MB (heap used ${r.idleRss.firstStart.memory.now.heapUsedMb} MB, external ${r.idleRss.firstStart.memory.now.externalMb} MB)`, '≤ 200 MB', verdict(r.idleRss.firstStart.rssMb <= 200)])
    rows.push(['Idle RSS after start, restart', `${r.idleRss.restart.rssMb} MB (heap used ${r.idleRss.restart.memory.now.heapUsedMb} MB, external ${r.idleRss.restart.memory.now.externalMb} MB)`, '≤ 200 MB', verdict(r.idleRss.restart.rssMb <= 200)])
  }
  if (r.server) {
    const s = r.server
    for (const f of [s.hello, s.status, s.statusMany, s.payments, s.paymentsSameOrder])
      rows.push([`Server: ${f.name}`, cannon(f), '', ''])
    rows.push(['Server: status ÷ bare Hono, one order', String(s.status.toBare), '≥ 0.5', verdict(s.status.toBare >= 0.5)])
    rows.push([`Server: status ÷ bare Hono, ${s.statusMany.orders} orders`, String(s.statusMany.toBare), '≥ 0.3', verdict(s.statusMany.toBare >= 0.3)])
  }
  const fanoutRows = (label: string, f: SseFanoutResult) => {
    rows.push([`${label}: streams on one process (asked ${f.requested})`, `${f.peakOpen} opened${f.stopReason ? ` (${f.stopReason})` : ''}; RSS ${f.rssIdleMb} MB idle → ${f.rssWithStreamsMb} MB (≈ ${f.rssPerStreamTotalKb} KB/stream)${f.heapIdleMb === undefined ? '' : `; heap used ${f.heapIdleMb} → ${f.heapWithStreamsMb} MB (≈ ${f.heapPerStreamKb} KB/stream)`}`, '≤ 300 MB', verdict(f.rssWithStreamsMb <= 300)])
    rows.push([`${label}: pay → paid event on all ${f.opened} held streams`, f.paid.received ? `${f.paid.received}/${f.opened} reached; first ${f.paid.firstMs} ms, p50 ${f.paid.p50Ms} ms, p99 ${f.paid.p99Ms} ms, last ${f.paid.lastMs} ms (server CPU ${f.holdCpuPercent} %)` : `none within ${f.paid.deadlineS} s${f.paid.payError ? ` (${f.paid.payError})` : ''}`, '≤ 1000 ms', verdict(f.paid.received === f.opened && f.paid.lastMs <= 1000)])
  }
  if (r.sseFanout)
    fanoutRows('SSE fan-out', r.sseFanout)
  if (r.scale && !('skipped' in r.scale && r.scale.skipped)) {
    const s = r.scale as ScaleResult
    rows.push(['Scale (PostgreSQL, 2 processes, nginx): idle RSS per server process', `${s.idleRssMb.join(', ')} MB`, '', ''])
    for (const f of [s.status, s.statusMany, s.payments, s.paymentsSameOrder])
      rows.push([`Scale: ${f.name}`, cannon(f), '', ''])
    rows.push(['Scale: status ÷ bare Hono (one process), one order', String(s.status.toBare), '≥ 0.5', verdict(s.status.toBare >= 0.5)])
    rows.push([`Scale: status ÷ bare Hono (one process), ${s.statusMany.orders} orders`, String(s.statusMany.toBare), '≥ 0.3', verdict(s.statusMany.toBare >= 0.3)])
    if (s.sseFanout)
      fanoutRows('Scale SSE fan-out (process A)', s.sseFanout)
  }
  return { header: ['benchmark', 'measured', 'goal', 'verdict'], rows }
}

interface KeyFigure { name: string, value: number, unit: string, better: 'higher' | 'lower' }

/** The figures worth comparing between runs, by a stable name (older results.json files lack some). */
function keyFigures(r: Results): KeyFigure[] {
  const out: KeyFigure[] = []
  const add = (name: string, value: number | undefined, unit: string, better: KeyFigure['better']) => {
    if (typeof value === 'number' && Number.isFinite(value))
      out.push({ name, value, unit, better })
  }
  for (const p of r.pageWeight?.paths ?? [])
    add(`page weight, ${p.label}`, round(p.summary.total.gzip / 1000, 1), 'KB gzip', 'lower')
  for (const x of r.roundTrips?.runs ?? []) {
    const name = x.flow === 'pc-qr' ? 'PC checkout → QR' : `WeChat return → pay sheet (${x.cache === 'warm' ? 'cached' : 'no cache'})`
    add(`round trips, ${name}`, x.counted, 'API requests', 'lower')
    add(`round trips, ${name}, time`, x.wallMs, 'ms', 'lower')
  }
  if (r.resultLatency) {
    add('result latency SSE p50', r.resultLatency.sse.p50Ms, 'ms', 'lower')
    add('result latency polling p50', r.resultLatency.polling.p50Ms, 'ms', 'lower')
  }
  if (r.pollingLoad)
    add('polling load, visible', r.pollingLoad.visible.perMinute, 'req/min', 'lower')
  if (r.idleRss) {
    add('idle RSS, first start', r.idleRss.firstStart.rssMb, 'MB', 'lower')
    add('idle RSS, restart', r.idleRss.restart.rssMb, 'MB', 'lower')
  }
  const server = r.server as Partial<ServerCapacityResult> | undefined
  if (server) {
    add('bare Hono hello', server.hello?.reqPerSec, 'req/s', 'higher')
    add('status, one order', server.status?.reqPerSec, 'req/s', 'higher')
    add('status ÷ bare Hono, one order', server.status?.toBare ?? server.statusToBareRatio, '×', 'higher')
    add('status, many orders', server.statusMany?.reqPerSec, 'req/s', 'higher')
    add('status ÷ bare Hono, many orders', server.statusMany?.toBare, '×', 'higher')
    // Older runs measured payments on one order (with the sandbox in-process) under `payments`.
    const payments = server.payments as CannonFigures & { mode?: string } | undefined
    add('payments, new order each', payments?.mode === 'new-order' ? payments.reqPerSec : undefined, 'req/s', 'higher')
    add('payments, one order', server.paymentsSameOrder?.reqPerSec ?? (payments && !payments.mode ? payments.reqPerSec : undefined), 'req/s', 'higher')
  }
  const fanout = (label: string, f: SseFanoutResult | undefined) => {
    if (!f)
      return
    add(`${label}: streams opened`, f.peakOpen, 'streams', 'higher')
    add(`${label}: RSS with streams`, f.rssWithStreamsMb, 'MB', 'lower')
    add(`${label}: heap used with streams`, f.heapWithStreamsMb, 'MB', 'lower')
    add(`${label}: pay → paid, last stream`, f.paid.received ? f.paid.lastMs : undefined, 'ms', 'lower')
  }
  fanout('SSE', r.sseFanout)
  if (r.scale && !('skipped' in r.scale && r.scale.skipped)) {
    const s = r.scale as ScaleResult
    add('scale: status, one order', s.status.reqPerSec, 'req/s', 'higher')
    add('scale: status, many orders', s.statusMany.reqPerSec, 'req/s', 'higher')
    add('scale: payments, new order each', s.payments.reqPerSec, 'req/s', 'higher')
    add('scale: payments, one order', s.paymentsSameOrder.reqPerSec, 'req/s', 'higher')
    add('scale: idle RSS, process A', s.idleRssMb[0], 'MB', 'lower')
    fanout('scale SSE', s.sseFanout)
  }
  return out
}

function compare(before: Results, after: Results): { header: string[], rows: string[][] } {
  const old = new Map(keyFigures(before).map(f => [f.name, f]))
  const rows: string[][] = []
  for (const f of keyFigures(after)) {
    const o = old.get(f.name)
    if (!o) {
      rows.push([f.name, '—', `${f.value} ${f.unit}`, 'new', ''])
      continue
    }
    const change = o.value === 0 ? (f.value === 0 ? 0 : Number.POSITIVE_INFINITY) : ((f.value - o.value) / Math.abs(o.value)) * 100
    const better = f.value === o.value ? '' : (f.value > o.value) === (f.better === 'higher') ? 'better' : 'WORSE'
    rows.push([f.name, `${o.value} ${o.unit}`, `${f.value} ${f.unit}`, `${change >= 0 ? '+' : ''}${round(change, 1)} %`, better])
  }
  return { header: ['figure', 'before', 'now', 'change', ''], rows }
}

/** The issue's targets, each as measured ÷ target (≥ 1 meets a "≥" target, ≤ 1 meets a "≤" target). */
function targets(r: Results): { header: string[], rows: string[][] } {
  const rows: string[][] = []
  const row = (what: string, measured: number | undefined, unit: string, op: '≥' | '≤', target: number) => {
    if (measured === undefined || !Number.isFinite(measured))
      return
    const ratio = round(measured / target, 2)
    rows.push([what, `${measured} ${unit}`, `${op} ${target} ${unit}`, String(ratio), verdict(op === '≥' ? measured >= target : measured <= target)])
  }
  const server = (label: string, s: { status: { toBare: number }, statusMany: { toBare: number, orders: number }, payments: CannonFigures } | undefined) => {
    if (!s)
      return
    row(`${label}status ÷ bare Hono, one pending order`, s.status.toBare, '×', '≥', 0.5)
    row(`${label}status ÷ bare Hono, ${s.statusMany.orders} pending orders round robin`, s.statusMany.toBare, '×', '≥', 0.3)
    row(`${label}POST /api/payments (Native, new order each), sandbox in its own process`, s.payments.reqPerSec, 'req/s', '≥', 300)
  }
  const fanout = (label: string, f: SseFanoutResult | undefined) => {
    if (!f)
      return
    row(`${label}SSE: RSS of the process holding ${f.peakOpen} streams`, f.rssWithStreamsMb, 'MB', '≤', 300)
    if (f.paid.received)
      row(`${label}SSE: pay → paid on all ${f.opened} streams, last one${f.paid.received < f.opened ? ` (${f.paid.received} reached)` : ''}`, f.paid.lastMs, 'ms', '≤', 1000)
  }
  server('', r.server)
  fanout('', r.sseFanout)
  if (r.idleRss) {
    row('idle RSS after npm start is ready, first start', r.idleRss.firstStart.rssMb, 'MB', '≤', 200)
    row('idle RSS after npm start is ready, restart', r.idleRss.restart.rssMb, 'MB', '≤', 200)
  }
  const pcQr = r.roundTrips?.runs.find(x => x.flow === 'pc-qr')
  row('API round trips, open PC checkout → QR drawn', pcQr?.counted, 'requests', '≤', 1)
  if (r.scale && !('skipped' in r.scale && r.scale.skipped)) {
    const s = r.scale as ScaleResult
    server('scale: ', s)
    fanout('scale (process A): ', s.sseFanout)
    row('scale: idle RSS of a server process (PostgreSQL, no PGlite)', Math.max(...s.idleRssMb), 'MB', '≤', 200)
  }
  return { header: ['target', 'measured', 'target', 'measured ÷ target', 'verdict'], rows }
}

function printCompare(file: string, now: Results): void {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Results
  const { header, rows } = compare(before, now)
  console.log(`\nCompared with ${file} (run of ${before.startedAt}; load average ${before.machine?.loadAvg1mAtStart ?? '?'} → ${before.machine?.loadAvg1mAtEnd ?? '?'}):`)
  console.log(formatTable(header, rows))
}

async function main(): Promise<void> {
  const compareWith = flag('compare')
  const named = flag('only') ?? process.env.BENCH_ONLY
  if (compareWith && !named) {
    // Only a comparison: the last run against the earlier one.
    printCompare(compareWith, JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results.json'), 'utf8')) as Results)
    return
  }
  const started = Date.now()
  const which = selected()
  const results: Results = {
    startedAt: new Date(started).toISOString(),
    machine: { os: osName(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memTotalGb: round(totalmem() / 2 ** 30, 1), node: process.version, loadAvg1mAtStart: round(loadavg()[0]!, 2) },
    config: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => [k, v ?? ''])),
  }
  const save = () => writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`)

  {
    // The server as npm start runs it, built once from the working tree; removed when the run exits.
    const t = Date.now()
    progress('building the server')
    await buildServer()
    console.log(`built the server in ${round((Date.now() - t) / 1000, 1)} s`)
  }

  const browserBenches = (['page-weight', 'round-trips', 'result-latency', 'polling-load'] as const).filter(b => which.has(b))
  if (browserBenches.length) {
    // The cashier as it is in the working tree, built privately (dist/ may be rebuilt by others meanwhile).
    let staticDir = process.env.BENCH_STATIC_DIR
    let buildDir: string | undefined
    let floor: FloorApp | undefined
    let browser: Browser | undefined
    try {
      const t = Date.now()
      progress(`building the cashier${which.has('page-weight') ? ' and the floor app' : ''}`)
      const floorBuild = which.has('page-weight') ? startFloorApp() : Promise.resolve(undefined)
      floorBuild.catch(() => {}) // awaited below; this only keeps a failure from being "unhandled" meanwhile
      if (!staticDir) {
        buildDir = mkdtempSync(path.join(tmpdir(), 'uc-bench-h5-'))
        staticDir = buildDir
        await buildCashier(staticDir)
      }
      floor = await floorBuild
      console.log(`built the cashier${floor ? ' and the floor app' : ''} in ${round((Date.now() - t) / 1000, 1)} s`)
      // Every tab is a different customer, but they all come from 127.0.0.1: no per-IP payment limit.
      const product = await startProduct({ staticDir, env: { RATE_LIMIT_PER_IP: '0' } })
      try {
        browser = await launchBrowser()
        results.machine.chromium = browser.version()
        if (which.has('page-weight')) {
          progress('page weight')
          results.pageWeight = await runPageWeight(browser, product.origin, staticDir, floor?.origin)
          printPageWeight(results.pageWeight)
          save()
        }
        if (which.has('round-trips')) {
          progress('round trips')
          results.roundTrips = await runRoundTrips(browser, product.origin)
          printRoundTrips(results.roundTrips)
          save()
        }
        // Result latency and polling load both spend most of their time waiting: run them side by side
        // (the polling-load tabs make one request every 10 s; they do not disturb millisecond latencies).
        const [latency, polling] = await Promise.all([
          which.has('result-latency') ? runResultLatency(browser, product.origin) : undefined,
          which.has('polling-load') ? runPollingLoad(browser, product.origin) : undefined,
        ])
        if (latency) {
          results.resultLatency = latency
          printResultLatency(latency)
        }
        if (polling) {
          results.pollingLoad = polling
          printPollingLoad(polling)
        }
        save()
      }
      finally {
        await browser?.close()
        await product.stop()
      }
    }
    finally {
      await floor?.close()
      if (buildDir)
        rmSync(buildDir, { recursive: true, force: true })
    }
  }
  if (which.has('idle-rss')) {
    progress('idle RSS')
    results.idleRss = await runIdleRss()
    printIdleRss(results.idleRss)
    save()
  }
  if (which.has('server')) {
    progress('server capacity')
    results.server = await runServerCapacity()
    printServerCapacity(results.server)
    save()
  }
  if (which.has('sse-fanout')) {
    progress('SSE fan-out')
    results.sseFanout = await runSseFanout()
    printSseFanout(results.sseFanout)
    save()
  }
  if (which.has('scale')) {
    progress('scale (PostgreSQL, two processes, nginx)')
    const hello = results.server?.hello ?? await measureHello(Number(process.env.BENCH_CANNON_CONNECTIONS) || 50, Number(process.env.BENCH_CANNON_SECONDS) || 10)
    results.scale = await runScale(hello)
    printScale(results.scale, hello)
    save()
  }

  results.durationS = Math.round((Date.now() - started) / 1000)
  results.machine.loadAvg1mAtEnd = round(loadavg()[0]!, 2)
  const { header, rows } = summary(results)
  results.summary = { header, rows, markdown: markdownTable(header, rows) }
  const t = targets(results)
  results.targets = { ...t, markdown: markdownTable(t.header, t.rows) }
  save()
  console.log(`\nSummary (${results.machine.os}, ${results.machine.cpus} cores, Node ${results.machine.node}${results.machine.chromium ? `, Chromium ${results.machine.chromium}` : ''}; load average ${results.machine.loadAvg1mAtStart} at start, ${results.machine.loadAvg1mAtEnd} at end; ${results.durationS} s)`)
  console.log(formatTable(header, rows))
  if (t.rows.length) {
    console.log('\nTargets (measured ÷ target)')
    console.log(formatTable(t.header, t.rows))
  }
  console.log('\nwritten to bench/results.json')
  if (compareWith)
    printCompare(compareWith, results)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
