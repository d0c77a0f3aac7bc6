/**
 * Child processes the benchmarks drive: the product (`server/main.ts`, as `npm start` runs it), a bare Hono
 * server, and uni builds. Each child is ended by its own pid; nothing is looked up by name.
 */
import type { Buffer } from 'node:buffer'
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fdLimits, ROOT, rssKb, sleep } from './common'

/** Children still running, ended by pid if the benchmark itself is interrupted. */
const live = new Set<ChildProcess>()
let trapped = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (trapped)
    return
  trapped = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const c of live)
        c.kill('SIGKILL')
      process.exit(130)
    })
  }
}

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

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

function tail(buf: string[], chunk: Buffer): void {
  buf.push(chunk.toString('utf8'))
  if (buf.length > 40)
    buf.shift()
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null)
    return true
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms, false)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Starts `node --import tsx <script>` with the soft fd limit raised to the hard one (`ulimit -n` in a shell that
 * then execs node, so the pid is node's) and waits until `readyPath` answers 200.
 */
async function startNodeServer(script: string, env: Record<string, string>, readyPath: string, port: number): Promise<ChildServer> {
  const origin = `http://127.0.0.1:${port}`
  const { hard } = fdLimits()
  const raise = Number.isFinite(hard) ? `ulimit -n ${hard} 2>/dev/null; ` : ''
  const child = spawn('/bin/sh', ['-c', `${raise}exec "$0" "$@"`, process.execPath, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  track(child)
  const errors: string[] = []
  child.stderr!.on('data', (c: Buffer) => tail(errors, c))
  const deadline = Date.now() + 90_000
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${errors.join('')}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${script} was not ready within 90 s:\n${errors.join('')}`)
    }
    try {
      const res = await fetch(`${origin}${readyPath}`)
      if (res.ok)
        break
    }
    catch {}
    await sleep(100)
  }
  const pid = child.pid!
  return {
    origin,
    port,
    pid,
    rssKb: () => rssKb(pid),
    fdSoftLimit: () => fdLimits(pid).soft,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        return
      child.kill('SIGTERM')
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL')
        await waitForExit(child, 5_000)
      }
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

/** Runs a command to completion (bounded), failing with its output tail. */
export async function run(cmd: string, args: string[], opts: { cwd: string, env?: Record<string, string>, timeoutMs: number }): Promise<void> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  const out: string[] = []
  child.stdout!.on('data', (c: Buffer) => tail(out, c))
  child.stderr!.on('data', (c: Buffer) => tail(out, c))
  const finished = await waitForExit(child, opts.timeoutMs)
  if (!finished) {
    child.kill('SIGKILL')
    throw new Error(`${cmd} ${args.join(' ')} took longer than ${opts.timeoutMs} ms:\n${out.join('')}`)
  }
  if (child.exitCode !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${child.exitCode ?? child.signalCode}):\n${out.join('')}`)
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
