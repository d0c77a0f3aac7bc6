/**
 * 2. Round trips: API requests between the WeChat OAuth return and getBrandWCPayRequest (goal 1), and between
 * opening the PC checkout and the QR drawn (goal 1: the payment's answer carries the order), with their wall time under Chromium network emulation
 * (150 ms latency, 1.6 Mbps down, 750 kbps up).
 */
import type { Browser, Page } from 'playwright-core'
import { checkoutPath, createOrder, newContext, onBridgeInvoke, QR_STAMP, UA, waitFor } from './lib/browser'
import { envNumber, formatTable, percentile, round, withTimeout } from './lib/common'

export const NETWORK = { latencyMs: 150, downloadBytesPerSec: 200_000, uploadBytesPerSec: 93_750 }

export interface RoundTripRun {
  flow: 'wechat-oauth-return' | 'pc-qr'
  /** 'cold' = Chromium's cache off (Playwright routing); 'warm' = immutable assets answered from a stand-in cache. */
  cache: 'cold' | 'warm'
  /** API requests inside the window, in order. */
  api: string[]
  /** The ones that count against the goal (the status stream the PC page opens beside the QR is not needed for it). */
  counted: number
  goal: number
  /** Static requests inside the window. */
  staticRequests: number
  /** Wall time of the window, ms (page clock): the median of the runs. */
  wallMs: number
  /** Every run's wall time, ms. */
  samplesMs: number[]
  /** From opening the checkout to the end of the window, ms (includes the first load and, for WeChat, OAuth). */
  sinceOpenMs: number
}

export interface RoundTripResult {
  network: typeof NETWORK
  runs: RoundTripRun[]
}

async function emulate(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: NETWORK.latencyMs,
    downloadThroughput: NETWORK.downloadBytesPerSec,
    uploadThroughput: NETWORK.uploadBytesPerSec,
  })
}

function isApi(url: string): boolean {
  return new URL(url).pathname.startsWith('/api/')
}

/** `/api/orders/O2611…/events` → `/api/orders/{no}/events` (short, and the same in every run). */
function route(url: string): string {
  return new URL(url).pathname.replace(/\/api\/orders\/[^/]+/, '/api/orders/{no}')
}

async function wechatReturn(browser: Browser, origin: string, cache: 'cold' | 'warm'): Promise<RoundTripRun> {
  const context = await newContext(browser, origin, UA.wechatIphone, { bridge: true, emulateCache: cache === 'warm' })
  try {
    const page = await context.newPage()
    await emulate(page)
    let returned = false
    let done = false
    const api: string[] = []
    let staticRequests = 0
    page.on('request', (r) => {
      if (done)
        return
      if (r.isNavigationRequest() && r.frame() === page.mainFrame() && /[?&]code=/.test(r.url()))
        returned = true
      else if (returned && isApi(r.url()))
        api.push(`${r.method()} ${route(r.url())}`)
      else if (returned && new URL(r.url()).pathname.startsWith('/assets/'))
        staticRequests++
    })
    const { invoked } = await onBridgeInvoke(page, () => {
      done = true
    })
    const { orderNo } = await createOrder(origin)
    const opened = Date.now()
    await page.goto(`${origin}${checkoutPath(orderNo)}`, { waitUntil: 'commit' })
    await withTimeout('WeChat: getBrandWCPayRequest under network emulation', 60_000, () => invoked)
    const sinceOpenMs = Date.now() - opened
    // Page clock: from the start of fetching the ?code= document to the bridge call.
    const wallMs = Number(await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const call = (window.__benchBridgeCalls || []).find(c => c.name === 'getBrandWCPayRequest');
      return call && nav ? call.at - nav.fetchStart : NaN;
    })()`))
    if (!returned)
      throw new Error('WeChat: no navigation with ?code= was seen (did the OAuth redirect happen?)')
    return { flow: 'wechat-oauth-return', cache, api, counted: api.length, goal: 1, staticRequests, wallMs: round(wallMs), samplesMs: [round(wallMs)], sinceOpenMs }
  }
  finally {
    await context.close()
  }
}

async function pcQr(browser: Browser, origin: string): Promise<RoundTripRun> {
  const context = await newContext(browser, origin, UA.desktopChrome)
  await context.addInitScript(QR_STAMP)
  try {
    const page = await context.newPage()
    await emulate(page)
    const requests: Array<{ at: number, label: string, api: boolean, stream: boolean }> = []
    page.on('request', (r) => {
      const url = new URL(r.url())
      requests.push({ at: Date.now(), label: `${r.method()} ${route(r.url())}`, api: isApi(r.url()), stream: url.pathname.endsWith('/events') })
    })
    const { orderNo } = await createOrder(origin)
    const opened = Date.now()
    await page.goto(`${origin}${checkoutPath(orderNo)}`, { waitUntil: 'commit' })
    const drawn = await waitFor(page, '(window.__benchQrAt && { at: window.__benchQrAt, epoch: performance.timeOrigin + window.__benchQrAt })', { timeoutMs: 60_000, what: 'PC: QR drawn under network emulation' }) as { at: number, epoch: number }
    const sinceOpenMs = Date.now() - opened
    const before = requests.filter(r => r.at <= drawn.epoch)
    const api = before.filter(r => r.api).map(r => r.stream ? `${r.label} (status stream, beside the QR)` : r.label)
    const counted = before.filter(r => r.api && !r.stream).length
    const staticRequests = before.filter(r => !r.api && r.label.includes('/assets/')).length
    return { flow: 'pc-qr', cache: 'cold', api, counted, goal: 1, staticRequests, wallMs: round(drawn.at), samplesMs: [round(drawn.at)], sinceOpenMs }
  }
  finally {
    await context.close()
  }
}

/** Repeats a measurement; the median run's wall times, the most API requests any run made (the verdict's basis). */
async function repeat(n: number, once: () => Promise<RoundTripRun>): Promise<RoundTripRun> {
  const all: RoundTripRun[] = []
  for (let i = 0; i < n; i++)
    all.push(await once())
  const worst = all.reduce((a, b) => (b.counted > a.counted ? b : a))
  return {
    ...worst,
    wallMs: percentile(all.map(r => r.wallMs), 50),
    sinceOpenMs: percentile(all.map(r => r.sinceOpenMs), 50),
    samplesMs: all.map(r => r.wallMs),
  }
}

export async function runRoundTrips(browser: Browser, origin: string): Promise<RoundTripResult> {
  const n = Math.round(envNumber('BENCH_ROUND_TRIP_RUNS', 3))
  const runs: RoundTripRun[] = []
  runs.push(await repeat(n, () => wechatReturn(browser, origin, 'warm')))
  runs.push(await repeat(n, () => wechatReturn(browser, origin, 'cold')))
  runs.push(await repeat(n, () => pcQr(browser, origin)))
  return { network: NETWORK, runs }
}

export function printRoundTrips(r: RoundTripResult): void {
  console.log(`\nRound trips (Chromium network emulation: ${r.network.latencyMs} ms latency, ${r.network.downloadBytesPerSec * 8 / 1e6} Mbps down, ${r.network.uploadBytesPerSec * 8 / 1e3} kbps up)`)
  console.log(formatTable(
    ['window', 'assets', 'API requests', 'counted / goal', 'asset req', 'window ms (median; runs)', 'since open ms'],
    r.runs.map(x => [
      x.flow === 'pc-qr' ? 'PC: open checkout → QR drawn' : 'WeChat: ?code= return → getBrandWCPayRequest',
      x.cache === 'warm' ? 'cached (immutable)' : 'not cached',
      x.api.join(', ') || 'none',
      `${x.counted} / ${x.flow === 'pc-qr' ? '≤ ' : ''}${x.goal}`,
      String(x.staticRequests),
      `${x.wallMs} (${x.samplesMs.join(', ')})`,
      String(x.sinceOpenMs),
    ]),
  ))
}
