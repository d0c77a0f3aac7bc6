/**
 * The scale harness: a throw-away PostgreSQL cluster, the standalone sandbox, N server processes (`server/main.ts`,
 * each its own Node process, all on one database) and nginx in front of them, rendered from deploy/nginx.conf —
 * everything on 127.0.0.1, in one temp directory, torn down by stop() (SIGTERM, then SIGKILL; the directory removed)
 * and killed anyway if the test process exits first.
 *
 *   nginx :N ── /api ──▶ server A :a ─┐
 *        │      (round robin)         ├── PostgreSQL :p (LISTEN/NOTIFY carries status changes between processes)
 *        │           ──▶ server B :b ─┘
 *        └───── /sandbox ──▶ sandbox :s ── notifications ──▶ PUBLIC_URL = nginx
 *
 * The servers reach the provider APIs on the sandbox's own port (as they would reach api.mch.weixin.qq.com); what a
 * customer's browser opens (OAuth, H5 pay pages) goes through nginx. SCALE_KEEP=1 keeps the directory for a look.
 */
import type { NginxInstance } from './nginx'
import type { PgCluster } from './pg-cluster'
import type { Child } from './procs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { renderTestSite, startNginx } from './nginx'
import { startPgCluster } from './pg-cluster'
import { assertPrereqs } from './prereqs'
import { forgetDir, freePort, httpStatus, removeDirOnExit, spawnChild, waitUntil } from './procs'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const TSX_LOADER = path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')

export interface StackOptions {
  /** Number of server processes (default 2). */
  processes?: number
  /** RECONCILE_AFTER_SECONDS of every process (default 2). */
  reconcileAfterSeconds?: number
  /** The sandbox's SANDBOX_TIME_SCALE: notification retries after 15 s × scale (default 0.01). */
  sandboxTimeScale?: number
  /** Test-only nginx routing: POST /api/notify/wechatpay goes to this process (index) alone. */
  pinNotifyTo?: number
  /** nginx's per-IP limit on payment creation (default: none). */
  paymentsPerMinute?: number
  /** nginx's port (default: a free one). */
  nginxPort?: number
  logLevel?: string
  /** More environment for every server process (the benchmarks turn the stream caps off). */
  env?: Record<string, string>
  /** The server processes run this built server (server/tools/build-server.ts, what npm start runs) with plain node, instead of server/main.ts through tsx. */
  serverEntry?: string
}

export interface ServerProcess {
  /** "A", "B", … */
  name: string
  port: number
  /** Its own origin, bypassing nginx. */
  url: string
  /** host:port, as nginx's $upstream_addr names it. */
  addr: string
  child: Child
}

export interface Json { [k: string]: unknown }

export interface Stack {
  dir: string
  /** nginx's origin: PUBLIC_URL of every process. */
  url: string
  nginx: NginxInstance
  servers: ServerProcess[]
  sandboxUrl: string
  pg: PgCluster
  databaseUrl: string
  /** A small pool on the servers' database, for assertions. */
  db: pg.Pool
  /** JSON request to `origin + pathname` (origin: nginx, a server or the sandbox). */
  call: (origin: string, method: string, pathname: string, body?: unknown) => Promise<{ status: number, json: Json }>
  /** POST /api/demo/orders then POST /api/payments (wechat_native) through `origin`. */
  nativeOrder: (origin: string, amountFen?: number) => Promise<{ orderNo: string, codeUrl: string, outTradeNo: string }>
  /** The sandbox's control API (directly, not through nginx). */
  sandbox: (method: string, pathname: string, body?: unknown) => Promise<Json>
  stop: () => Promise<void>
}

const PROCESS_NAMES = 'ABCDEFGH'

async function call(origin: string, method: string, pathname: string, body?: unknown): Promise<{ status: number, json: Json }> {
  const res = await fetch(`${origin}${pathname}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  })
  const text = await res.text()
  let json: Json = {}
  try {
    json = text ? JSON.parse(text) as Json : {}
  }
  catch {}
  return { status: res.status, json }
}

/** Starts the whole stack; on any failure stops what was started and rethrows with the culprit's output. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  assertPrereqs()
  const { processes = 2, reconcileAfterSeconds = 2, sandboxTimeScale = 0.01, logLevel = 'warn' } = opts
  const dir = mkdtempSync(path.join(tmpdir(), 'uc-scale-'))
  removeDirOnExit(dir)
  const cleanups: Array<() => Promise<void>> = []
  let pool: pg.Pool | undefined
  const stop = async () => {
    const errors: string[] = []
    await pool?.end().catch(() => {})
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((e: Error) => errors.push(e.message))
    }
    cleanups.length = 0
    if (process.env.SCALE_KEEP === '1')
      console.log(`scale harness: kept ${dir}`)
    else
      rmSync(dir, { recursive: true, force: true })
    forgetDir(dir)
    if (errors.length)
      throw new Error(`stopping the stack: ${errors.join('; ')}`)
  }
  try {
    const cluster = await startPgCluster(path.join(dir, 'pg'))
    cleanups.push(cluster.stop)
    const databaseUrl = await cluster.createDatabase('cashier')

    const probes: Array<Promise<number>> = []
    for (let i = 0; i < processes + 2; i++)
      probes.push(freePort())
    const [freeNginxPort, sandboxPort, ...serverPorts] = await Promise.all(probes)
    const nginxPort = opts.nginxPort ?? freeNginxPort!
    const nginxUrl = `http://127.0.0.1:${nginxPort}`
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`
    const dataDir = path.join(dir, 'data')
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TZ: process.env.TZ ?? 'UTC' }
    const node = (name: string, script: string, env: Record<string, string>) =>
      spawnChild(name, process.execPath, script.endsWith('.mjs') ? [script] : ['--import', TSX_LOADER, path.join(REPO_ROOT, script)], { cwd: dir, env: { ...baseEnv, ...env }, logFile: path.join(dir, `${name}.log`) })

    // The sandbox first: it writes the keys every process loads from DATA_DIR.
    const sandbox = node('sandbox', 'sandbox/main.ts', {
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_PUBLIC_URL: nginxUrl,
      SANDBOX_H5_DOMAIN: `127.0.0.1:${nginxPort}`,
      SANDBOX_TIME_SCALE: String(sandboxTimeScale),
      DATA_DIR: dataDir,
    })
    cleanups.push(async () => void await sandbox.stop())
    await waitUntil('the sandbox', async () => (await httpStatus(`${sandboxUrl}/sandbox/api/stats`)) === 200 || undefined, { timeoutMs: 60_000, child: sandbox })

    // The servers together, as a deployment restarts them: migrations run concurrently on one database.
    const servers: ServerProcess[] = serverPorts.map((port, i) => {
      const name = PROCESS_NAMES[i]!
      const child = node(`server-${name}`, opts.serverEntry ?? 'server/main.ts', {
        CASHIER_MODE: 'sandbox',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: nginxUrl,
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        STATIC_DIR: path.join(REPO_ROOT, 'dist/build/h5'),
        SANDBOX_EMBEDDED: 'false',
        WECHAT_OAUTH_BASE: `${nginxUrl}/sandbox/wechat/open`,
        WECHAT_API_BASE: `${sandboxUrl}/sandbox/wechat/api`,
        WECHATPAY_API_BASE: `${sandboxUrl}/sandbox/wechatpay`,
        ALIPAY_GATEWAY: `${sandboxUrl}/sandbox/alipay/gateway.do`,
        ALIPAY_OAUTH_BASE: `${nginxUrl}/sandbox/alipay/oauth`,
        TRUST_PROXY: 'true',
        RATE_LIMIT_PER_IP: '0',
        RATE_LIMIT_PER_SESSION: '0',
        RECONCILE_AFTER_SECONDS: String(reconcileAfterSeconds),
        DEMO: 'true',
        LOG_LEVEL: logLevel,
        ...opts.env,
      })
      cleanups.push(async () => void await child.stop())
      return { name, port, url: `http://127.0.0.1:${port}`, addr: `127.0.0.1:${port}`, child }
    })
    await Promise.all(servers.map(s => waitUntil(`server ${s.name}`, async () => (await httpStatus(`${s.url}/healthz`)) === 200 || undefined, { timeoutMs: 90_000, child: s.child })))

    const pinned = opts.pinNotifyTo === undefined ? undefined : servers[opts.pinNotifyTo]
    const site = renderTestSite(path.join(dir, 'nginx'), nginxPort, {
      upstreams: servers.map(s => s.addr),
      cashierRoot: path.join(REPO_ROOT, 'dist/build/h5'),
      sandbox: `127.0.0.1:${sandboxPort}`,
      paymentsPerMinute: opts.paymentsPerMinute,
      extraLocations: pinned && `    # Test only: every WeChat Pay notification goes to server ${pinned.name}.\n    location = /api/notify/wechatpay {\n        proxy_pass http://${pinned.addr};\n    }\n`,
    })
    const nginx = await startNginx(path.join(dir, 'nginx'), nginxPort, site)
    cleanups.push(nginx.stop)
    await waitUntil('nginx to reach the servers', async () => (await httpStatus(`${nginxUrl}/api/openapi.json`)) === 200 || undefined, { timeoutMs: 10_000, child: nginx.child })

    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
    const sandboxApi = async (method: string, pathname: string, body?: unknown) => {
      const res = await call(sandboxUrl, method, `/sandbox${pathname}`, body)
      if (res.status >= 300)
        throw new Error(`sandbox ${method} ${pathname}: HTTP ${res.status} ${JSON.stringify(res.json)}`)
      return res.json
    }
    const db = pool
    return {
      dir,
      url: nginxUrl,
      nginx,
      servers,
      sandboxUrl,
      pg: cluster,
      databaseUrl,
      db,
      call,
      sandbox: sandboxApi,
      nativeOrder: async (origin, amountFen = 1) => {
        const order = await call(origin, 'POST', '/api/demo/orders', { amountFen, methods: ['wechat_native'] })
        if (order.status !== 201)
          throw new Error(`demo order via ${origin}: HTTP ${order.status} ${JSON.stringify(order.json)}`)
        const orderNo = order.json.orderNo as string
        const res = await fetch(`${origin}/api/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `scale-${orderNo}` },
          body: JSON.stringify({ orderNo, method: 'wechat_native' }),
          signal: AbortSignal.timeout(15_000),
        })
        const payment = await res.json() as Json
        if (res.status !== 200 || typeof payment.codeUrl !== 'string')
          throw new Error(`payment via ${origin}: HTTP ${res.status} ${JSON.stringify(payment)}`)
        const { rows } = await db.query<{ out_trade_no: string }>('select out_trade_no from payment_attempts where order_no = $1', [orderNo])
        return { orderNo, codeUrl: payment.codeUrl, outTradeNo: rows[0]!.out_trade_no }
      },
      stop,
    }
  }
  catch (e) {
    await stop().catch(() => {})
    throw e
  }
}

export { mapLimit } from '../helpers/pool'
