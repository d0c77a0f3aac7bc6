/**
 * Page weight accounting, shared by `npm run bench` and the budget test (tests/e2e/page-weight.e2e.ts).
 *
 * Every response the page receives from the origin under test is recorded (static and API). Static bodies are
 * gzipped here at level 9, as a CDN would; API bodies are counted raw. Libraries are recognised by strings from
 * their own source (checked against node_modules by `libraryMarkerProblems`), so a renamed or re-split chunk is
 * still found.
 *
 * Playwright's request routing (used to block every other host) disables Chromium's HTTP cache, so a page that
 * navigates twice in one visit (WeChat OAuth) downloads its immutable assets twice here, where a real browser
 * reads them from its cache. Such repeats are flagged `repeat` and left out of the "with cache" totals.
 */
import type { Page, Response } from 'playwright-core'
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

export type WeightKind = 'js' | 'css' | 'html' | 'api' | 'other'

export interface WeightEntry {
  url: string
  /** Path and query, for display. */
  path: string
  status: number
  kind: WeightKind
  /** Body bytes as served (the reference server does not compress). */
  raw: number
  /** gzip -9 of the body for static files; raw for API responses. */
  gzip: number
  /** An immutable/max-age asset already received in this visit: a real browser serves it from its cache. */
  repeat: boolean
  /** A server-sent event stream: open when the measurement stopped, its body is not counted. */
  stream: boolean
  /** Libraries recognised in this body. */
  libs: LibraryName[]
}

export type LibraryName = 'qrcode' | 'weixin-js-sdk'

/**
 * String literals from each library's source that survive minification. Two hits are needed, so an app string
 * that happens to equal one marker is not taken for the library.
 */
export const LIBRARY_MARKERS: Record<LibraryName, { files: string[], markers: string[] }> = {
  'qrcode': {
    files: ['qrcode/lib/renderer/canvas.js', 'qrcode/lib/core/qrcode.js', 'qrcode/lib/core/version.js', 'qrcode/lib/core/reed-solomon-encoder.js'],
    markers: ['You need to specify a canvas element', 'The amount of data is too big to be stored in a QR Code', 'Invalid QR Code version', 'Encoder not initialized'],
  },
  'weixin-js-sdk': {
    files: ['weixin-js-sdk/index.js'],
    markers: ['preVerifyJSAPI', 'menu:share:timeline', 'invokeMiniProgramAPI', 'can\'t use weixin-js-sdk in server side'],
  },
}

const MIN_MARKER_HITS = 2

/** Which libraries a JS body contains. */
export function librariesIn(body: string): LibraryName[] {
  return (Object.keys(LIBRARY_MARKERS) as LibraryName[]).filter(name =>
    LIBRARY_MARKERS[name].markers.filter(m => body.includes(m)).length >= MIN_MARKER_HITS)
}

/**
 * Markers that no longer occur in the installed library (an upgrade changed its strings). Empty means every
 * "absent" verdict below is meaningful.
 */
export function libraryMarkerProblems(nodeModules: string): string[] {
  const problems: string[] = []
  for (const [name, { files, markers }] of Object.entries(LIBRARY_MARKERS)) {
    let source = ''
    for (const f of files) {
      try {
        source += readFileSync(path.join(nodeModules, f), 'utf8')
      }
      catch {
        problems.push(`${name}: ${f} is not installed`)
      }
    }
    for (const m of markers) {
      if (!source.includes(m))
        problems.push(`${name}: marker "${m}" is not in its source any more`)
    }
  }
  return problems
}

function kindOf(pathname: string, contentType: string): WeightKind {
  if (pathname.startsWith('/api/'))
    return 'api'
  if (/javascript|ecmascript/.test(contentType))
    return 'js'
  if (contentType.includes('text/css'))
    return 'css'
  if (contentType.includes('text/html'))
    return 'html'
  if (contentType.includes('json'))
    return 'api'
  return 'other'
}

function cacheable(cacheControl: string): boolean {
  const cc = cacheControl.toLowerCase()
  if (/no-store|no-cache/.test(cc))
    return false
  return cc.includes('immutable') || /max-age=[1-9]/.test(cc)
}

export interface WeightRecorder {
  /** Stops recording (later responses are ignored) and returns every entry once their bodies are read. */
  stop: () => Promise<WeightEntry[]>
  /** Whether stop() was called; a stop condition can call it from an event handler to cut off at once. */
  readonly stopped: boolean
  /** Stops accepting responses now (synchronously); stop() still has to be awaited for the entries. */
  freeze: () => void
}

/**
 * Records the responses `page` receives from `host` (host:port). Requests the injected sandbox bridge makes
 * (`/sandbox/api/…`, a stand-in for the wallet app's native bridge) are not the page's and are skipped.
 */
export function recordWeight(page: Page, host: string): WeightRecorder {
  const pending: Array<Promise<WeightEntry | undefined>> = []
  const seen = new Set<string>()
  let frozen = false

  const read = async (res: Response): Promise<WeightEntry | undefined> => {
    const url = new URL(res.url())
    if (url.host !== host || url.pathname.startsWith('/sandbox/api/'))
      return undefined
    const headers = await res.allHeaders()
    const type = headers['content-type'] ?? ''
    const kind = kindOf(url.pathname, type)
    const stream = type.includes('text/event-stream')
    const status = res.status()
    let body: Buffer = Buffer.alloc(0)
    if (!stream && (status < 300 || status >= 400)) {
      try {
        body = await res.body()
      }
      catch {
        // The page navigated away before the body was read: count its declared length below.
      }
    }
    const declared = Number(headers['content-length'] ?? 0)
    const raw = body.length || (stream ? 0 : declared)
    const gzip = kind === 'api' || stream ? raw : body.length ? gzipSync(body, { level: 9 }).length : raw
    const key = url.href
    const repeat = seen.has(key) && cacheable(headers['cache-control'] ?? '')
    seen.add(key)
    return {
      url: url.href,
      path: url.pathname + url.search,
      status,
      kind,
      raw,
      gzip,
      repeat,
      stream,
      libs: kind === 'js' ? librariesIn(body.toString('utf8')) : [],
    }
  }

  const onResponse = (res: Response) => {
    if (!frozen)
      pending.push(read(res))
  }
  page.on('response', onResponse)

  return {
    get stopped() {
      return frozen
    },
    freeze: () => {
      frozen = true
    },
    stop: async () => {
      frozen = true
      page.off('response', onResponse)
      const entries = await Promise.all(pending)
      return entries.filter((e): e is WeightEntry => e !== undefined)
    },
  }
}

export interface WeightTotals {
  requests: number
  raw: number
  gzip: number
}

export interface WeightSummary {
  /** What a browser with its HTTP cache transfers: repeats of immutable assets left out. */
  total: WeightTotals
  /** Every response received, repeats included (what Playwright's cache-less routing actually pulled). */
  received: WeightTotals
  byKind: Record<WeightKind, WeightTotals>
  /** gzip bytes of the chunks that contain each library (0 = not loaded). */
  libraries: Record<LibraryName, number>
  /** Chunk paths that contain each library. */
  libraryChunks: Record<LibraryName, string[]>
}

function zero(): WeightTotals {
  return { requests: 0, raw: 0, gzip: 0 }
}

function add(t: WeightTotals, e: WeightEntry): void {
  t.requests++
  t.raw += e.raw
  t.gzip += e.gzip
}

export function summarizeWeight(entries: WeightEntry[]): WeightSummary {
  const s: WeightSummary = {
    total: zero(),
    received: zero(),
    byKind: { js: zero(), css: zero(), html: zero(), api: zero(), other: zero() },
    libraries: { 'qrcode': 0, 'weixin-js-sdk': 0 },
    libraryChunks: { 'qrcode': [], 'weixin-js-sdk': [] },
  }
  for (const e of entries) {
    add(s.received, e)
    if (e.repeat)
      continue
    add(s.total, e)
    add(s.byKind[e.kind], e)
    for (const lib of e.libs) {
      s.libraries[lib] += e.gzip
      s.libraryChunks[lib].push(e.path)
    }
  }
  return s
}

/** Bytes as kilobytes (1 KB = 1000 bytes, as Vite and Chrome DevTools print them). */
export function kb(bytes: number): number {
  return Math.round(bytes / 100) / 10
}
