/**
 * `npm run bench`: every benchmark in sequence, a table per benchmark while it runs, a summary table at the end,
 * and everything in bench/results.json (git-ignored). Sizes come from the environment (docs/benchmarks.md);
 * BENCH_ONLY=page-weight,server runs a subset.
 */
import type { Browser } from 'playwright-core'
import type { FloorApp } from './floor-app/index'
import type { PageWeightResult } from './page-weight'
import type { PollingLoadResult } from './polling-load'
import type { ResultLatencyResult } from './result-latency'
import type { RoundTripResult } from './round-trips'
import type { ServerCapacityResult } from './server-capacity'
import type { SseFanoutResult } from './sse-fanout'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { startFloorApp } from './floor-app/index'
import { launchBrowser } from './lib/browser'
import { formatTable, markdownTable, progress, ROOT, round } from './lib/common'
import { buildCashier, startProduct } from './lib/processes'
import { kb } from './lib/weight'
import { printPageWeight, runPageWeight, WECHAT_BUDGET_BYTES } from './page-weight'
import { printPollingLoad, runPollingLoad } from './polling-load'
import { printResultLatency, runResultLatency } from './result-latency'
import { printRoundTrips, runRoundTrips } from './round-trips'
import { printServerCapacity, runServerCapacity } from './server-capacity'
import { printSseFanout, runSseFanout } from './sse-fanout'

const ALL = ['page-weight', 'round-trips', 'result-latency', 'polling-load', 'server', 'sse-fanout'] as const
type BenchName = typeof ALL[number]

function selected(): Set<BenchName> {
  const only = process.env.BENCH_ONLY?.split(',').map(s => s.trim()).filter(Boolean)
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
  summary?: { header: string[], rows: string[][], markdown: string }
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
  if (r.server) {
    const s = r.server
    for (const f of [s.hello, s.status, s.payments])
      rows.push([`Server: ${f.name}`, `${f.reqPerSec} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms${f.non2xx ? `, ${f.non2xx} non-2xx` : ''}`, '', ''])
    rows.push(['Server: status req/s ÷ bare Hono req/s', String(s.statusToBareRatio), '', ''])
  }
  if (r.sseFanout) {
    const f = r.sseFanout
    rows.push([`SSE fan-out: streams on one process (asked ${f.requested})`, `${f.peakOpen} opened${f.stopReason ? ` (${f.stopReason})` : ''}; RSS ${f.rssIdleMb} MB idle → ${f.rssWithStreamsMb} MB, ≈ ${f.rssPerStreamKb} KB/stream`, '', ''])
    rows.push([`SSE fan-out: pay → paid event on all ${f.opened} held streams`, f.paid.received ? `${f.paid.received}/${f.opened} reached; first ${f.paid.firstMs} ms, p50 ${f.paid.p50Ms} ms, p99 ${f.paid.p99Ms} ms, last ${f.paid.lastMs} ms (server CPU ${f.holdCpuPercent} %)` : `none within ${f.paid.deadlineS} s${f.paid.payError ? ` (${f.paid.payError})` : ''}`, '', ''])
  }
  return { header: ['benchmark', 'measured', 'goal', 'verdict'], rows }
}

async function main(): Promise<void> {
  const started = Date.now()
  const which = selected()
  const results: Results = {
    startedAt: new Date(started).toISOString(),
    machine: { os: osName(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memTotalGb: round(totalmem() / 2 ** 30, 1), node: process.version, loadAvg1mAtStart: round(loadavg()[0]!, 2) },
    config: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => [k, v ?? ''])),
  }
  const save = () => writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`)

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

  results.durationS = Math.round((Date.now() - started) / 1000)
  results.machine.loadAvg1mAtEnd = round(loadavg()[0]!, 2)
  const { header, rows } = summary(results)
  results.summary = { header, rows, markdown: markdownTable(header, rows) }
  save()
  console.log(`\nSummary (${results.machine.os}, ${results.machine.cpus} cores, Node ${results.machine.node}${results.machine.chromium ? `, Chromium ${results.machine.chromium}` : ''}; load average ${results.machine.loadAvg1mAtStart} at start, ${results.machine.loadAvg1mAtEnd} at end; ${results.durationS} s)`)
  console.log(formatTable(header, rows))
  console.log('\nwritten to bench/results.json')
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
