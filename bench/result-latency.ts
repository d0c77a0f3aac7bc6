/**
 * 3. Result latency on the PC Native path: the sandbox pays the code_url shown on the checkout at t0 (Node clock);
 * the page records when `[data-testid=result-paid]` is in the DOM and laid out at t1 (a MutationObserver installed
 * as an init script, stamping Date.now() — the same system clock as Node's Date.now()).
 *
 * - SSE: one tab at a time; pays as soon as the status stream is open.
 * - Polling (the SSE route aborted): the tabs are open together and tab i pays (i + ½)/N × BENCH_PAY_SPREAD_SECONDS
 *   after its first poll, so payments land at every phase of the 1 s → 10 s backoff, as customers who take
 *   different times to scan would.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { checkoutPath, createOrder, newContext, sandboxPay, UA, waitFor } from './lib/browser'
import { envNumber, formatTable, percentile, progress, round, sleep, withTimeout } from './lib/common'

/** Page-side: stamps window.__benchPaidAt (epoch ms) when the paid result is first in the DOM and laid out. */
const PAID_STAMP = `(() => {
  const mark = () => {
    if (window.__benchPaidAt) return true;
    const el = document.querySelector('[data-testid=result-paid]');
    if (el && el.getClientRects().length > 0) { window.__benchPaidAt = Date.now(); return true; }
    return false;
  };
  if (mark()) return;
  const mo = new MutationObserver(() => { if (mark()) mo.disconnect(); });
  mo.observe(document, { childList: true, subtree: true });
})()`

export type Mode = 'sse' | 'polling'

export interface LatencyStats {
  mode: Mode
  payments: number
  /** Payments without a sample (pay request failed, or "paid" not seen within the time limit). */
  missed: number
  /** Why, once per distinct reason. */
  problems?: string[]
  p50Ms: number
  p95Ms: number
  maxMs: number
  minMs: number
  samplesMs: number[]
  /** Polling only: delay between the first poll and paying, spread over this many seconds. */
  spreadS?: number
  /** Polling only: each sample with when it was paid, in seconds after the page's first poll. */
  byPayTime?: Array<{ paidAfterFirstPollS: number, ms: number }>
}

export interface ResultLatencyResult {
  sse: LatencyStats
  polling: LatencyStats
}

interface Tab {
  context: BrowserContext
  page: Page
  codeUrl: string
  /** When the watcher was up (stream open / first poll answered), Node clock. */
  readyAt: number
  /** When the first status poll was answered (polling mode), Node clock. */
  firstPollAt?: number
}

const SEEN_LIMIT_MS = 30_000
/** Tabs opened at a time in polling mode: more at once made the pages themselves late (busy renderers). */
const OPEN_AT_ONCE = 1

async function openTab(browser: Browser, origin: string, mode: Mode): Promise<Tab> {
  const context = await newContext(browser, origin, UA.desktopChrome)
  await context.addInitScript(PAID_STAMP)
  const page = await context.newPage()
  if (mode === 'polling')
    await page.route('**/api/orders/*/events', r => r.abort())
  const watching = mode === 'sse'
    ? page.waitForResponse(r => r.url().endsWith('/events') && r.status() === 200, { timeout: SEEN_LIMIT_MS })
    : page.waitForResponse(r => r.url().endsWith('/status') && r.status() === 200, { timeout: SEEN_LIMIT_MS })
  watching.catch(() => {})
  let firstPollAt: number | undefined
  page.on('response', (r) => {
    if (firstPollAt === undefined && r.url().endsWith('/status'))
      firstPollAt = Date.now()
  })
  const { orderNo } = await createOrder(origin)
  await page.goto(`${origin}${checkoutPath(orderNo)}`)
  const canvas = await page.waitForSelector('[data-testid=qr-canvas][data-code]', { timeout: SEEN_LIMIT_MS })
  const codeUrl = await canvas.getAttribute('data-code')
  if (!codeUrl)
    throw new Error('the QR canvas has no data-code')
  await watching
  return { context, page, codeUrl, readyAt: Date.now(), firstPollAt }
}

/** Pays and returns t1 − t0 in ms, or the reason there is no sample (never rejects). */
async function payAndWait(origin: string, tab: Tab): Promise<number | string> {
  const t0 = Date.now()
  try {
    await sandboxPay(origin, tab.codeUrl)
  }
  catch (e) {
    return `pay request failed: ${(e as Error).message}`
  }
  try {
    return Number(await waitFor(tab.page, 'window.__benchPaidAt', { timeoutMs: SEEN_LIMIT_MS, intervalMs: 50 })) - t0
  }
  catch {
    return `"paid" not shown within ${SEEN_LIMIT_MS} ms`
  }
}

function stats(mode: Mode, samples: Array<number | string>, spreadS?: number): LatencyStats {
  const ok = samples.filter((s): s is number => typeof s === 'number')
  const problems = samples.filter((s): s is string => typeof s === 'string')
  return {
    mode,
    payments: samples.length,
    missed: problems.length,
    ...(problems.length ? { problems: [...new Set(problems)] } : {}),
    p50Ms: percentile(ok, 50),
    p95Ms: percentile(ok, 95),
    minMs: Math.min(...ok),
    maxMs: Math.max(...ok),
    samplesMs: ok,
    ...(spreadS !== undefined ? { spreadS } : {}),
  }
}

async function sseRun(browser: Browser, origin: string, n: number): Promise<LatencyStats> {
  const samples: Array<number | string> = []
  for (let i = 0; i < n; i++) {
    const tab = await openTab(browser, origin, 'sse')
    try {
      await sleep(100)
      samples.push(await payAndWait(origin, tab))
    }
    finally {
      await tab.context.close()
    }
  }
  return stats('sse', samples)
}

async function pollingRun(browser: Browser, origin: string, n: number, spreadS: number): Promise<LatencyStats> {
  const pairs: Array<{ paidAfterFirstPollS: number, ms: number }> = []
  const payLater = async (tab: Tab, i: number): Promise<number | string> => {
    try {
      await sleep(Math.max(0, tab.readyAt + ((i + 0.5) / n) * spreadS * 1000 - Date.now()))
      const paidAfterFirstPollS = round((Date.now() - (tab.firstPollAt ?? tab.readyAt)) / 1000, 1)
      const sample = await payAndWait(origin, tab)
      if (typeof sample === 'number')
        pairs.push({ paidAfterFirstPollS, ms: sample })
      return sample
    }
    finally {
      await tab.context.close().catch(() => {})
    }
  }
  // Tabs open OPEN_AT_ONCE at a time; each then pays on its own schedule while the next ones open.
  // (A failed open fails the run; browser.close() at the end takes the other contexts with it.)
  const runs: Array<Promise<number | string>> = []
  for (let i = 0; i < n; i += OPEN_AT_ONCE) {
    const opening: Array<Promise<Tab>> = []
    for (let k = i; k < Math.min(n, i + OPEN_AT_ONCE); k++)
      opening.push(openTab(browser, origin, 'polling'))
    const tabs = await Promise.all(opening)
    tabs.forEach((tab, k) => runs.push(payLater(tab, i + k)))
  }
  const result = stats('polling', await withTimeout('polling payments', (spreadS + 120) * 1000, () => Promise.all(runs)), spreadS)
  return { ...result, byPayTime: pairs.sort((a, b) => a.paidAfterFirstPollS - b.paidAfterFirstPollS) }
}

export async function runResultLatency(browser: Browser, origin: string): Promise<ResultLatencyResult> {
  const n = Math.round(envNumber('BENCH_PAYMENTS', 50))
  const spreadS = envNumber('BENCH_PAY_SPREAD_SECONDS', 30)
  progress(`result latency: ${n} payments with SSE, one at a time`)
  const sse = await sseRun(browser, origin, n)
  progress(`result latency: ${n} payments polling, paid 0–${spreadS} s after the first poll`)
  const polling = await pollingRun(browser, origin, n, spreadS)
  return { sse, polling }
}

export function printResultLatency(r: ResultLatencyResult): void {
  console.log('\nResult latency: sandbox pays (t0) → "paid" rendered on the PC page (t1)')
  console.log(formatTable(
    ['mode', 'payments', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'missed'],
    [r.sse, r.polling].map(s => [
      s.mode === 'sse' ? 'SSE' : `polling (SSE aborted; paid 0–${s.spreadS} s after the first poll)`,
      String(s.payments),
      String(round(s.p50Ms)),
      String(round(s.p95Ms)),
      String(round(s.minMs)),
      String(round(s.maxMs)),
      String(s.missed),
    ]),
  ))
  for (const s of [r.sse, r.polling]) {
    for (const p of s.problems ?? [])
      console.log(`  ${s.mode}: ${p}`)
  }
}
