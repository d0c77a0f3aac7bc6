/**
 * 5. Polling load: status requests per pending minute when SSE is unavailable (the events route aborted), on the
 * PC checkout showing its QR code, with the page visible and hidden. Both tabs run at once, each in its own
 * browser context (its own window, so each is in front).
 *
 * Hidden: headless Chromium keeps a background tab "visible" (checked below), so the hidden tab overrides
 * document.visibilityState / document.hidden with Object.defineProperty and dispatches visibilitychange.
 */
import type { Browser, Page } from 'playwright-core'
import { checkoutPath, createOrder, newContext, UA } from './lib/browser'
import { envNumber, formatTable, progress, round, sleep } from './lib/common'

export interface PollingLoadResult {
  windowS: number
  /** true when the window was shorter than 60 s and the counts below were scaled to a minute. */
  extrapolated: boolean
  visible: { requests: number, perMinute: number, atSecond: number[] }
  hidden: { requests: number, perMinute: number, resumedWithinMs: number | undefined }
  /** What headless Chromium reports for a tab behind another one in the same window. */
  backgroundTabState: string
  goals: { visiblePerMinute: number, hiddenPerMinute: number }
}

const HIDE = `(() => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
  document.dispatchEvent(new Event('visibilitychange'));
  return document.visibilityState;
})()`

const SHOW = `(() => {
  delete document.visibilityState;
  delete document.hidden;
  document.dispatchEvent(new Event('visibilitychange'));
  return document.visibilityState;
})()`

async function pollingTab(browser: Browser, origin: string): Promise<{ page: Page, statusTimes: number[], close: () => Promise<void> }> {
  const context = await newContext(browser, origin, UA.desktopChrome)
  const page = await context.newPage()
  await page.route('**/api/orders/*/events', r => r.abort())
  const statusTimes: number[] = []
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('/status'))
      statusTimes.push(Date.now())
  })
  const { orderNo } = await createOrder(origin)
  await page.goto(`${origin}${checkoutPath(orderNo)}`)
  await page.waitForSelector('[data-testid=qr-canvas][data-code]', { timeout: 30_000 })
  return { page, statusTimes, close: () => context.close() }
}

async function backgroundTabState(browser: Browser, origin: string): Promise<string> {
  const context = await newContext(browser, origin, UA.desktopChrome)
  try {
    const back = await context.newPage()
    await back.goto(`${origin}/healthz`)
    const front = await context.newPage()
    await front.goto(`${origin}/healthz`)
    await front.bringToFront()
    return `background tab: ${await back.evaluate('document.visibilityState')}, front tab: ${await front.evaluate('document.visibilityState')}`
  }
  finally {
    await context.close()
  }
}

export async function runPollingLoad(browser: Browser, origin: string): Promise<PollingLoadResult> {
  const windowS = envNumber('BENCH_POLL_SECONDS', 60)
  const bgState = await backgroundTabState(browser, origin)

  const [visible, hidden] = await Promise.all([pollingTab(browser, origin), pollingTab(browser, origin)])
  try {
    // The visible tab's window starts when its page opened (its first poll included).
    const visibleStart = visible.statusTimes[0] ?? Date.now()
    // The hidden tab's window starts when it is hidden (the customer switched to WeChat to pay).
    const state = await hidden.page.evaluate(HIDE)
    if (state !== 'hidden')
      throw new Error(`could not hide the page (visibilityState = ${state})`)
    const hiddenStart = Date.now()
    progress(`polling load: counting status requests for ${windowS} s (visible and hidden tab)`)
    await sleep(windowS * 1000)
    const visibleTimes = visible.statusTimes.filter(t => t >= visibleStart && t < visibleStart + windowS * 1000)
    const hiddenCount = hidden.statusTimes.filter(t => t > hiddenStart && t <= hiddenStart + windowS * 1000).length

    // Back in front: the page should ask at once.
    const before = hidden.statusTimes.length
    const shownAt = Date.now()
    await hidden.page.evaluate(SHOW)
    let resumedWithinMs: number | undefined
    for (let waited = 0; waited < 3000; waited += 50) {
      if (hidden.statusTimes.length > before) {
        resumedWithinMs = hidden.statusTimes[before]! - shownAt
        break
      }
      await sleep(50)
    }
    const scale = 60 / windowS
    return {
      windowS,
      extrapolated: windowS < 60,
      visible: { requests: visibleTimes.length, perMinute: round(visibleTimes.length * scale, 1), atSecond: visibleTimes.map(t => round((t - visibleStart) / 1000, 1)) },
      hidden: { requests: hiddenCount, perMinute: round(hiddenCount * scale, 1), resumedWithinMs },
      backgroundTabState: bgState,
      goals: { visiblePerMinute: 20, hiddenPerMinute: 0 },
    }
  }
  finally {
    await Promise.all([visible.close(), hidden.close()])
  }
}

export function printPollingLoad(r: PollingLoadResult): void {
  console.log(`\nPolling load (SSE aborted, PC checkout with its QR, pending order; counted over ${r.windowS} s${r.extrapolated ? ', scaled to a minute: the backoff front-loads polls, so this overstates a full minute' : ''})`)
  console.log(formatTable(
    ['page', 'status requests', 'per minute', 'goal'],
    [
      ['visible', String(r.visible.requests), String(r.visible.perMinute), `≤ ${r.goals.visiblePerMinute}`],
      ['hidden', String(r.hidden.requests), String(r.hidden.perMinute), String(r.goals.hiddenPerMinute)],
    ],
  ))
  console.log(`  visible: polls at ${r.visible.atSecond.join(', ')} s`)
  console.log(`  hidden → visible again: first poll after ${r.hidden.resumedWithinMs ?? 'none within 3000'} ms`)
  console.log(`  headless Chromium, two tabs in one window: ${r.backgroundTabState} (so hiding is emulated by overriding document.visibilityState)`)
}
