/**
 * Child processes for the scale harness: spawned with their output in a log file (and the last few KB in memory
 * for error messages), stopped with a polite signal and then SIGKILL, and killed on exit of the test process no
 * matter how it ends. Every wait here is bounded.
 */
import type { Buffer } from 'node:buffer'
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createWriteStream, rmSync } from 'node:fs'
import { createServer } from 'node:net'

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface Child {
  name: string
  pid: number
  proc: ChildProcess
  logFile: string
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
  env: Record<string, string>
  cwd: string
  logFile: string
  uid?: number
  gid?: number
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions): Child {
  installExitHook()
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, uid: opts.uid, gid: opts.gid, stdio: ['ignore', 'pipe', 'pipe'] })
  if (proc.pid === undefined)
    throw new Error(`${name}: could not start ${command}`)
  const log = createWriteStream(opts.logFile, { flags: 'a' })
  let tail = ''
  const onData = (chunk: Buffer) => {
    log.write(chunk)
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
    tail: () => tail,
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
    log.end()
  })
  return child
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
