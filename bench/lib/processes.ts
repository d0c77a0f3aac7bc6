/**
 * Child processes the benchmarks drive: the product (`server/main.ts`, as `npm start` runs it), a bare Hono
 * server, and uni builds. Each child is ended by its own pid; nothing is looked up by name.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
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
 * Starts `node --import tsx <script>` with the soft fd limit raised to the hard one (`ulimit -n` in a shell that
 * then execs node, so the pid is node's) and waits until `readyPath` answers 200.
 */
async function startNodeServer(script: string, env: Record<string, string>, readyPath: string, port: number): Promise<ChildServer> {
  killChildrenOnSignal()
  const origin = `http://127.0.0.1:${port}`
  const { hard } = fdLimits()
  const raise = Number.isFinite(hard) ? `ulimit -n ${hard} 2>/dev/null; ` : ''
  const child = spawnChild(script, '/bin/sh', ['-c', `${raise}exec "$0" "$@"`, process.execPath, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  })
  try {
    await waitUntil(`${script} to answer ${readyPath}`, async () => {
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
}

/**
 * The product in sandbox mode on a free port with a throw-away data directory. RECONCILE_AFTER_SECONDS is left
 * at its default (3 s) unless `env` sets it; the sandbox's retry delays are scaled by 0.001 as in the tests.
 */
export async function startProduct(opts: ProductOptions = {}): Promise<ChildServer & { dataDir: string }> {
  const port = await freePort()
  const dataDir = mkdtempSync(path.join(tmpdir(), 'uc-bench-'))
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    SANDBOX_TIME_SCALE: '0.001',
    LOG_LEVEL: opts.logLevel ?? 'warn',
    RECONCILE_AFTER_SECONDS: '',
    ...(opts.staticDir ? { STATIC_DIR: opts.staticDir } : {}),
    ...opts.env,
  }
  const server = await startNodeServer('server/main.ts', env, '/healthz', port)
  return {
    ...server,
    dataDir,
    stop: async () => {
      await server.stop()
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
