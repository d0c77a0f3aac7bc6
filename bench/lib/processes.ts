/**
 * Child processes the benchmarks drive: the product (the built server, as `npm start` runs it), a bare Hono
 * server, and uni builds. Each child is ended by its own pid; nothing is looked up by name.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildServer as esbuildServer } from '../../server/tools/build-server'
import { freePort, killChildrenOnSignal, run as runChild, spawnChild, waitUntil } from '../../tests/helpers/processes'
import { fdLimits, ROOT, rssKb } from './common'

export { freePort } from '../../tests/helpers/processes'

export interface ChildServer {
  origin: string
  port: number
  /** pid of the server process itself (the shell execs into node, so there is no wrapper). */
  pid: number
  rssKb: () => number
  /** Soft fd limit the server runs with. */
  fdSoftLimit: () => number
  stop: () => Promise<void>
}

/**
 * Starts `node <script>` (a built .mjs) or `node --import tsx <script>` (TypeScript) with the soft fd limit raised
 * to the hard one (`ulimit -n` in a shell that then execs node, so the pid is node's) and waits until `readyPath`
 * answers 200. With `logFile`, the server writes its output there itself: the benchmark, which drives the load from
 * this process, then spends nothing on reading the server's log (as a server's clients do not in production).
 */
async function startNodeServer(script: string, env: Record<string, string>, readyPath: string, port: number, logFile?: string): Promise<ChildServer> {
  killChildrenOnSignal()
  const origin = `http://127.0.0.1:${port}`
  const { hard } = fdLimits()
  const raise = Number.isFinite(hard) ? `ulimit -n ${hard} 2>/dev/null; ` : ''
  const nodeArgs = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script]
  const name = path.relative(ROOT, path.resolve(ROOT, script))
  const child = spawnChild(name, '/bin/sh', ['-c', `${raise}exec "$0" "$@"`, process.execPath, ...nodeArgs], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    logFile,
  })
  try {
    await waitUntil(`${name} to answer ${readyPath}`, async () => {
      const res = await fetch(`${origin}${readyPath}`)
      return res.ok ? true : undefined
    }, { timeoutMs: 90_000, child })
  }
  catch (e) {
    await child.stop({ signal: 'SIGKILL' }).catch(() => {})
    throw e
  }
  const pid = child.pid
  return {
    origin,
    port,
    pid,
    rssKb: () => rssKb(pid),
    fdSoftLimit: () => fdLimits(pid).soft,
    stop: async () => {
      await child.stop({ graceMs: 10_000 })
    },
  }
}

export interface ProductOptions {
  /** Directory of the built cashier (STATIC_DIR). */
  staticDir?: string
  /** pino level; the benchmarks default to 'warn' (see each benchmark for why it differs). */
  logLevel?: string
  env?: Record<string, string>
  /** Run the sandbox in its own process (`sandbox/main.ts`, SANDBOX_EMBEDDED=false) instead of inside the server. */
  separateSandbox?: boolean
  /** An existing data directory (a restart); by default a new one, removed at stop. */
  dataDir?: string
}

export interface Product extends ChildServer {
  dataDir: string
  /** Where the simulator answers (the product's own origin when embedded). */
  sandboxOrigin: string
  /** The separate sandbox process, if any. */
  sandbox?: ChildServer
  /** GET /api/admin/memory (the local admin API, token from DATA_DIR/admin.json); `gc`: after a full collection. */
  memory: (gc?: boolean) => Promise<AdminMemory>
}

export interface MemoryStep { step: string, rssMb: number, heapUsedMb: number, externalMb: number, arrayBuffersMb: number }
export interface AdminMemory { now: MemoryStep, heapTotalMb: number, startup: MemoryStep[] }

let serverBuild: { dir: string, entry: Promise<string> } | undefined

/**
 * The server as `npm start` runs it: built from the working tree (server/tools/build-server.ts) once per benchmark
 * run, into a directory of its own (dist/server may be rebuilt by others meanwhile). It stays inside the repository:
 * the build imports its packages from node_modules.
 */
export function buildServer(): Promise<string> {
  if (!serverBuild) {
    mkdirSync(path.join(ROOT, 'dist'), { recursive: true })
    const dir = mkdtempSync(path.join(ROOT, 'dist', 'server-bench-'))
    serverBuild = { dir, entry: esbuildServer(dir) }
    process.once('exit', removeServerBuild)
  }
  return serverBuild.entry
}

/** Removes the build of buildServer(), if any. */
export function removeServerBuild(): void {
  if (serverBuild)
    rmSync(serverBuild.dir, { recursive: true, force: true })
  serverBuild = undefined
}

/** The local admin API's view of a server's memory (server/admin/local-admin.ts). */
export async function adminMemory(origin: string, dataDir: string, gc = false): Promise<AdminMemory> {
  const { token } = JSON.parse(readFileSync(path.join(dataDir, 'admin.json'), 'utf8')) as { token: string }
  const res = await fetch(`${origin}/api/admin/memory${gc ? '?gc=1' : ''}`, { headers: { 'x-admin-token': token }, signal: AbortSignal.timeout(30_000) })
  if (!res.ok)
    throw new Error(`GET /api/admin/memory: ${res.status}`)
  return res.json() as Promise<AdminMemory>
}

/**
 * The product in sandbox mode on a free port with a throw-away data directory. RECONCILE_AFTER_SECONDS is left
 * at its default (3 s) unless `env` sets it; the sandbox's retry delays are scaled by 0.001 as in the tests.
 */
export async function startProduct(opts: ProductOptions = {}): Promise<Product> {
  const port = await freePort()
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'uc-bench-'))
  const origin = `http://127.0.0.1:${port}`
  let sandbox: ChildServer | undefined
  let sandboxEnv: Record<string, string> = {}
  if (opts.separateSandbox) {
    // As the scale harness runs it: the sandbox writes the keys the server loads, and the server reaches the
    // provider APIs on the sandbox's own port.
    const sandboxPort = await freePort()
    sandbox = await startNodeServer('sandbox/main.ts', {
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_PUBLIC_URL: origin,
      SANDBOX_H5_DOMAIN: `127.0.0.1:${port}`,
      SANDBOX_TIME_SCALE: '0.001',
      DATA_DIR: dataDir,
    }, '/sandbox/api/stats', sandboxPort)
    const sb = sandbox.origin
    sandboxEnv = {
      CASHIER_MODE: 'sandbox',
      SANDBOX_EMBEDDED: 'false',
      WECHAT_OAUTH_BASE: `${sb}/sandbox/wechat/open`,
      WECHAT_API_BASE: `${sb}/sandbox/wechat/api`,
      WECHATPAY_API_BASE: `${sb}/sandbox/wechatpay`,
      ALIPAY_GATEWAY: `${sb}/sandbox/alipay/gateway.do`,
      ALIPAY_OAUTH_BASE: `${sb}/sandbox/alipay/oauth`,
      DEMO: 'true',
    }
  }
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: origin,
    DATA_DIR: dataDir,
    SANDBOX_TIME_SCALE: '0.001',
    LOG_LEVEL: opts.logLevel ?? 'warn',
    RECONCILE_AFTER_SECONDS: '',
    ...(opts.staticDir ? { STATIC_DIR: opts.staticDir } : {}),
    ...sandboxEnv,
    ...opts.env,
  }
  let server: ChildServer
  try {
    server = await startNodeServer(await buildServer(), env, '/healthz', port, path.join(dataDir, 'server.log'))
  }
  catch (e) {
    await sandbox?.stop()
    throw e
  }
  return {
    ...server,
    dataDir,
    sandboxOrigin: sandbox?.origin ?? origin,
    ...(sandbox ? { sandbox } : {}),
    memory: (gc?: boolean) => adminMemory(origin, dataDir, gc),
    stop: async () => {
      await server.stop()
      await sandbox?.stop()
      if (!opts.dataDir)
        rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The bare Hono hello world (bench/hello-server.ts) the server figures are compared with. */
export async function startHello(): Promise<ChildServer> {
  const port = await freePort()
  return startNodeServer(path.join('bench', 'hello-server.ts'), { PORT: String(port) }, '/', port)
}

/** Runs a command to completion (bounded), failing with its output tail; Ctrl-C ends it with the benchmark. */
export async function run(cmd: string, args: string[], opts: { cwd: string, env?: Record<string, string>, timeoutMs: number }): Promise<void> {
  killChildrenOnSignal()
  await runChild(cmd, args, opts)
}

/**
 * Builds the H5 cashier from the working tree into `outDir` (not dist/, which other builds may be rewriting),
 * exactly as `npm run build:h5` does otherwise.
 */
export async function buildCashier(outDir: string): Promise<void> {
  await run(path.join(ROOT, 'node_modules', '.bin', 'uni'), ['build', '--outDir', outDir], {
    cwd: ROOT,
    env: { CI: '1', UNI_INPUT_DIR: ROOT },
    timeoutMs: 180_000,
  })
}
