/**
 * 1. Page weight of the built cashier on each path, beside a bare uni-app hello page (the floor).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { LibraryName, WeightEntry, WeightSummary } from './lib/weight'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { createOrder, newContext, onBridgeInvoke, PAY_READY, QR_DRAWN, UA, waitFor } from './lib/browser'
import { formatTable, ROOT, withTimeout } from './lib/common'
import { kb, librariesIn, libraryMarkerProblems, recordWeight, summarizeWeight } from './lib/weight'

export const WECHAT_BUDGET_BYTES = 90_000

export type WeightPath = 'wechat-jsapi' | 'mobile-h5' | 'pc-native' | 'alipay-app' | 'floor'

export interface PathWeight {
  path: WeightPath
  label: string
  until: string
  summary: WeightSummary
  entries: WeightEntry[]
}

export interface BuildChunk {
  file: string
  gzip: number
  libs: LibraryName[]
  /** Chunks whose code names this one (static or dynamic import). */
  importedBy: string[]
}

export interface PageWeightResult {
  paths: PathWeight[]
  /** Library chunks in the build output, whoever loads them. */
  buildChunks: BuildChunk[]
  markerProblems: string[]
  checks: Array<{ name: string, ok: boolean, detail: string }>
}

const STOP_TIMEOUT_MS = 30_000

async function measure(browser: Browser, origin: string, ua: string, opts: {
  bridge?: boolean
  start: (page: Page) => Promise<void>
  /** Set up before start; resolves with a promise of the stop point (which must call freeze at once). */
  until?: (page: Page, freeze: () => void) => Promise<{ done: Promise<void> }>
}): Promise<{ entries: WeightEntry[], page: Page, context: BrowserContext }> {
  const context = await newContext(browser, origin, ua, { bridge: opts.bridge })
  const page = await context.newPage()
  const recorder = recordWeight(page, new URL(origin).host)
  const stop = await opts.until?.(page, recorder.freeze)
  stop?.done.catch(() => {})
  await opts.start(page)
  await stop?.done
  return { entries: await recorder.stop(), page, context }
}

async function checkoutOf(origin: string): Promise<string> {
  const { orderNo } = await createOrder(origin)
  return `${origin}/#/pages/checkout/checkout?orderNo=${orderNo}`
}

/** Which built chunks hold the libraries, and which chunks reference them. */
export function scanBuild(outDir: string): BuildChunk[] {
  const dir = path.join(outDir, 'assets')
  const files = readdirSync(dir).filter(f => f.endsWith('.js'))
  const texts = new Map(files.map(f => [f, readFileSync(path.join(dir, f), 'utf8')]))
  const chunks: BuildChunk[] = []
  for (const [file, text] of texts) {
    const libs = librariesIn(text)
    if (libs.length === 0)
      continue
    const importedBy = files.filter(other => other !== file && texts.get(other)!.includes(file))
    chunks.push({ file: `assets/${file}`, gzip: gzipSync(text, { level: 9 }).length, libs, importedBy: importedBy.map(f => `assets/${f}`) })
  }
  return chunks
}

export async function runPageWeight(browser: Browser, origin: string, staticDir: string, floorOrigin: string | undefined): Promise<PageWeightResult> {
  const paths: PathWeight[] = []

  // WeChat: silent OAuth and back, until the page asks the wallet to pay.
  {
    const { entries, context } = await measure(browser, origin, UA.wechatIphone, {
      bridge: true,
      start: async page => void await page.goto(await checkoutOf(origin)),
      until: async (page, freeze) => {
        const { invoked } = await onBridgeInvoke(page, freeze)
        return { done: withTimeout('WeChat path: getBrandWCPayRequest', STOP_TIMEOUT_MS, () => invoked) }
      },
    })
    paths.push({ path: 'wechat-jsapi', label: 'WeChat JSAPI (iPhone WeChat)', until: 'getBrandWCPayRequest invoked', summary: summarizeWeight(entries), entries })
    await context.close()
  }

  // A phone browser: until the pay button is ready.
  {
    const { entries, context } = await measure(browser, origin, UA.iphoneSafari, {
      start: async page => void await page.goto(await checkoutOf(origin)),
      until: async (page, freeze) => ({
        done: waitFor(page, PAY_READY, { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 10, what: 'PAY_READY' }).then(freeze),
      }),
    })
    paths.push({ path: 'mobile-h5', label: 'Mobile H5 (iPhone Safari)', until: 'pay button ready', summary: summarizeWeight(entries), entries })
    await context.close()
  }

  // A PC: until the QR code is drawn.
  {
    const { entries, context } = await measure(browser, origin, UA.desktopChrome, {
      start: async page => void await page.goto(await checkoutOf(origin)),
      until: async (page, freeze) => ({
        done: waitFor(page, QR_DRAWN, { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 10, what: 'QR_DRAWN' }).then(freeze),
      }),
    })
    paths.push({ path: 'pc-native', label: 'PC Native QR (desktop Chrome)', until: 'QR drawn', summary: summarizeWeight(entries), entries })
    await context.close()
  }

  // The Alipay app: until the page asks the wallet to pay (AlipayJSBridge.call('tradePay', …)).
  {
    const { entries, context } = await measure(browser, origin, UA.alipayIphone, {
      bridge: true,
      start: async page => void await page.goto(await checkoutOf(origin)),
      until: async (page, freeze) => {
        const { invoked } = await onBridgeInvoke(page, freeze, 'tradePay')
        return { done: withTimeout('Alipay path: tradePay', STOP_TIMEOUT_MS, () => invoked) }
      },
    })
    paths.push({ path: 'alipay-app', label: 'Alipay app (iPhone Alipay)', until: 'tradePay invoked', summary: summarizeWeight(entries), entries })
    await context.close()
  }

  // The floor: a bare uni-app hello page built with the same toolchain.
  if (floorOrigin) {
    const { entries, context } = await measure(browser, floorOrigin, UA.iphoneSafari, {
      start: async page => void await page.goto(`${floorOrigin}/`, { waitUntil: 'networkidle', timeout: STOP_TIMEOUT_MS }),
    })
    await context.pages()[0]!.waitForSelector('[data-testid=hello]', { timeout: STOP_TIMEOUT_MS, state: 'attached' })
    paths.push({ path: 'floor', label: 'Floor: bare uni-app hello', until: 'hello shown, network idle', summary: summarizeWeight(entries), entries })
    await context.close()
  }

  const markerProblems = libraryMarkerProblems(path.join(ROOT, 'node_modules'))
  const buildChunks = scanBuild(staticDir)
  const get = (p: WeightPath) => paths.find(x => x.path === p)!.summary
  const wechat = get('wechat-jsapi')
  const checks = [
    { name: 'WeChat path ≤ 90 KB gzip', ok: wechat.total.gzip <= WECHAT_BUDGET_BYTES, detail: `${kb(wechat.total.gzip)} KB` },
    { name: 'library markers match node_modules', ok: markerProblems.length === 0, detail: markerProblems.join('; ') || 'all found' },
    { name: 'qrcode on the PC QR path', ok: get('pc-native').libraries.qrcode > 0, detail: get('pc-native').libraryChunks.qrcode.join(', ') || 'missing' },
    { name: 'qrcode not on WeChat / H5 / Alipay paths', ok: ['wechat-jsapi', 'mobile-h5', 'alipay-app'].every(p => get(p as WeightPath).libraries.qrcode === 0), detail: ['wechat-jsapi', 'mobile-h5', 'alipay-app'].map(p => `${p}: ${get(p as WeightPath).libraryChunks.qrcode.join(',') || 'none'}`).join('; ') },
    { name: 'weixin-js-sdk on none of the four paths', ok: paths.filter(p => p.path !== 'floor').every(p => p.summary.libraries['weixin-js-sdk'] === 0), detail: paths.filter(p => p.path !== 'floor').map(p => `${p.path}: ${p.summary.libraryChunks['weixin-js-sdk'].join(',') || 'none'}`).join('; ') },
  ]
  return { paths, buildChunks, markerProblems, checks }
}

export function printPageWeight(r: PageWeightResult): void {
  const k = (n: number) => kb(n).toFixed(1)
  console.log('\nPage weight (KB = 1000 bytes; gzip = gzip -9 of each static body, API JSON raw; repeats of immutable assets served from cache are left out)')
  console.log(formatTable(
    ['path', 'until', 'req', 'JS gz', 'CSS gz', 'HTML gz', 'API', 'other', 'total raw', 'total gzip', 'received (no cache) gz', 'qrcode gz', 'wx-sdk gz'],
    r.paths.map(p => [
      p.label,
      p.until,
      String(p.summary.total.requests),
      k(p.summary.byKind.js.gzip),
      k(p.summary.byKind.css.gzip),
      k(p.summary.byKind.html.gzip),
      k(p.summary.byKind.api.gzip),
      k(p.summary.byKind.other.gzip),
      k(p.summary.total.raw),
      k(p.summary.total.gzip),
      `${k(p.summary.received.gzip)} (${p.summary.received.requests} req)`,
      k(p.summary.libraries.qrcode),
      k(p.summary.libraries['weixin-js-sdk']),
    ]),
  ))
  const floor = r.paths.find(p => p.path === 'floor')
  if (floor) {
    for (const p of r.paths.filter(x => x.path !== 'floor'))
      console.log(`  ${p.label}: ${k(p.summary.total.gzip - floor.summary.total.gzip)} KB gzip above the floor`)
  }
  for (const c of r.buildChunks)
    console.log(`  build: ${c.file} (${k(c.gzip)} KB gzip) holds ${c.libs.join(', ')}; referenced by ${c.importedBy.join(', ') || 'no other chunk'}`)
  if (!r.buildChunks.some(c => c.libs.includes('weixin-js-sdk')))
    console.log('  build: no chunk holds weixin-js-sdk (nothing in the H5 build imports it)')
  for (const c of r.checks)
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
}
