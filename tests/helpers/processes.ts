/**
 * The one helper for child processes in tests and benchmarks: spawned with their output kept (the last few KB in
 * memory for error messages; or, when a log file is asked for, everything written there by the child itself, so that
 * this process does not read a busy server's log while it drives its load), stopped by their own pid with a polite signal
 * and then SIGKILL, and killed on exit of the test process no matter how it ends. Every wait here is bounded.
 * tests/scale/procs.ts and tests/reliability/processes.ts re-export it; bench/lib/processes.ts builds on it.
 */
import type { Buffer } from 'node:buffer'
import type { ChildProcess } from 'node:child_process'
import { Buffer as NodeBuffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { closeSync, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface Child {
  name: string
  pid: number
  proc: ChildProcess
  logFile?: string
  /** The last ~16 KB of stdout + stderr. */
  tail: () => string
  /** Resolves when the process has exited. */
  exited: Promise<Exit>
  hasExited: () => boolean
  /** `signal` (SIGTERM by default), then SIGKILL after `graceMs`; resolves once it is gone. */
  stop: (opts?: { signal?: NodeJS.Signals, graceMs?: number }) => Promise<Exit>
}

const TAIL_BYTES = 16 * 1024
const live = new Set<Child>()
const dirsToRemove = new Set<string>()
let exitHookInstalled = false
let signalHookInstalled = false

/** If the test process exits (a failed hook, a crash, a timeout), nothing it started may outlive it. */
function installExitHook(): void {
  if (exitHookInstalled)
    return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of live) {
      try {
        process.kill(child.pid, 'SIGKILL')
      }
      catch {}
    }
    for (const dir of dirsToRemove) {
      try {
        rmSync(dir, { recursive: true, force: true })
      }
      catch {}
    }
  })
}

/**
 * For scripts run by hand (the benchmarks): Ctrl-C or SIGTERM ends every child first, then the script (exit 130).
 * Not for test workers, whose runner handles signals itself.
 */
export function killChildrenOnSignal(): void {
  if (signalHookInstalled)
    return
  signalHookInstalled = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) {
        try {
          process.kill(child.pid, 'SIGKILL')
        }
        catch {}
      }
      process.exit(130)
    })
  }
}

/** Removes `dir` when the test process exits, unless forgetDir(dir) was called first (after a clean teardown). */
export function removeDirOnExit(dir: string): void {
  installExitHook()
  if (process.env.SCALE_KEEP !== '1')
    dirsToRemove.add(dir)
}

export function forgetDir(dir: string): void {
  dirsToRemove.delete(dir)
}

export interface SpawnOptions {
  /** The whole environment of the child (merge `process.env` in yourself when it should inherit it). */
  env: Record<string, string | undefined>
  cwd: string
  /** The child appends all its output here itself (unless onOutput needs to see it); without it only the tail is kept. */
  logFile?: string
  /** Sees every chunk of stdout and stderr as it arrives (through a pipe, also written to logFile if given). */
  onOutput?: (chunk: Buffer) => void
  uid?: number
  gid?: number
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions): Child {
  installExitHook()
  // With a log file and nobody to see each chunk, the child writes the file itself (its stdout and stderr are the file).
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : undefined
  const direct = fd !== undefined && !opts.onOutput
  let proc: ChildProcess
  try {
    proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, uid: opts.uid, gid: opts.gid, stdio: direct ? ['ignore', fd, fd] : ['ignore', 'pipe', 'pipe'] })
  }
  finally {
    if (direct)
      closeSync(fd)
  }
  if (proc.pid === undefined)
    throw new Error(`${name}: could not start ${command}`)
  let tail = ''
  const onData = (chunk: Buffer) => {
    if (fd !== undefined && !direct)
      appendToFd(fd, chunk)
    opts.onOutput?.(chunk)
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES)
  }
  proc.stdout?.on('data', onData)
  proc.stderr?.on('data', onData)
  let exit: Exit | undefined
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      exit = { code, signal }
      resolve(exit)
    })
    proc.once('error', (e) => {
      tail += `\n[spawn error] ${e.message}`
      exit = { code: -1, signal: null }
      resolve(exit)
    })
  })
  const child: Child = {
    name,
    pid: proc.pid,
    proc,
    logFile: opts.logFile,
    tail: () => direct ? fileTail(opts.logFile!) + tail : tail,
    exited,
    hasExited: () => exit !== undefined,
    stop: async ({ signal = 'SIGTERM', graceMs = 5000 } = {}) => {
      if (exit)
        return exit
      try {
        process.kill(proc.pid!, signal)
      }
      catch {}
      const gone = await Promise.race([exited, sleep(graceMs).then(() => undefined)])
      if (gone)
        return gone
      try {
        process.kill(proc.pid!, 'SIGKILL')
      }
      catch {}
      const killed = await Promise.race([exited, sleep(5000).then(() => undefined)])
      if (!killed)
        throw new Error(`${name} (pid ${proc.pid}) survived SIGKILL for 5 s`)
      return killed
    },
  }
  live.add(child)
  void exited.then(() => {
    live.delete(child)
    if (fd !== undefined && !direct)
      closeSync(fd)
  })
  return child
}

function appendToFd(fd: number, chunk: Buffer): void {
  try {
    let off = 0
    while (off < chunk.length)
      off += writeSync(fd, chunk, off)
  }
  catch {} // the file is gone (the test removed its directory): the tail in memory remains
}

/** The last TAIL_BYTES of a log file ('' when it cannot be read). */
function fileTail(file: string): string {
  try {
    const fd = openSync(file, 'r')
    try {
      const size = fstatSync(fd).size
      const n = Math.min(size, TAIL_BYTES)
      const buf = NodeBuffer.alloc(n)
      readSync(fd, buf, 0, n, size - n)
      return buf.toString('utf8')
    }
    finally {
      closeSync(fd)
    }
  }
  catch {
    return ''
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Polls `probe` until it returns a value other than undefined, for at most `timeoutMs`. Fails early, with the
 * child's output, when `child` exits meanwhile.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: { timeoutMs: number, intervalMs?: number, child?: Child }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    if (opts.child?.hasExited()) {
      const exit = await opts.child.exited
      throw new Error(`${opts.child.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${what}:\n${opts.child.tail()}`)
    }
    try {
      const v = await probe()
      if (v !== undefined)
        return v
    }
    catch (e) {
      lastError = e
    }
    await sleep(opts.intervalMs ?? 100)
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${detail}${opts.child ? `\n${opts.child.name} output:\n${opts.child.tail()}` : ''}`)
}

/** GET `url` with a timeout; the status, or undefined when nothing answered. */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await res.arrayBuffer()
    return res.status
  }
  catch {
    return undefined
  }
}

/**
 * Runs `node --import tsx <script>` — or `node <script>` for built JavaScript (`.mjs`, e.g. the server npm start runs) —
 * in one process, so a signal reaches the script itself, not a wrapper, and resolves once `readyUrl` answers 2xx;
 * fails with the child's output when it exits first or is not ready in time.
 */
export async function startNodeScript(script: string, opts: Omit<SpawnOptions, 'cwd'> & { cwd?: string, readyUrl: string, timeoutMs: number, name?: string, intervalMs?: number }): Promise<Child> {
  const cwd = opts.cwd ?? process.cwd()
  const file = path.resolve(cwd, script)
  const child = spawnChild(opts.name ?? script, process.execPath, script.endsWith('.mjs') ? [file] : ['--import', 'tsx', file], { ...opts, cwd })
  try {
    await waitUntil(`${script} to answer ${opts.readyUrl}`, async () => {
      const status = await httpStatus(opts.readyUrl)
      return status !== undefined && status >= 200 && status < 300 ? true : undefined
    }, { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs, child })
  }
  catch (e) {
    await child.stop({ signal: 'SIGKILL' }).catch(() => {})
    throw e
  }
  return child
}

/** Runs a command to completion, bounded by `timeoutMs`; fails with its output tail. */
export async function run(command: string, args: string[], opts: { cwd: string, env?: Record<string, string>, timeoutMs: number }): Promise<void> {
  const child = spawnChild(path.basename(command), command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } })
  const exit = await Promise.race([child.exited, sleep(opts.timeoutMs).then(() => undefined)])
  if (!exit) {
    await child.stop({ signal: 'SIGKILL' })
    throw new Error(`${command} ${args.join(' ')} took longer than ${opts.timeoutMs} ms:\n${child.tail()}`)
  }
  if (exit.code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${exit.code ?? exit.signal}):\n${child.tail()}`)
}
