import type { Buffer } from 'node:buffer'
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export interface Child {
  proc: ChildProcess
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[]
  kill: (signal?: NodeJS.Signals) => Promise<void>
}

/** Runs `tsx <script>` with `env`, collecting its output lines; resolves once `ready(url)` answers 200. */
export async function startProcess(script: string, env: Record<string, string>, readyUrl: string, timeoutMs = 60_000): Promise<Child> {
  // One process (node with tsx's loader), so a signal reaches the server itself, not a wrapper.
  const proc = spawn(process.execPath, ['--import', 'tsx', path.resolve(script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
  proc.stdout!.on('data', collect)
  proc.stderr!.on('data', collect)
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const child: Child = {
    proc,
    lines,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null)
        proc.kill(signal)
      await exited
    },
  }
  const until = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`${script} exited early:\n${lines.slice(-20).join('\n')}`)
    try {
      const res = await fetch(readyUrl)
      if (res.ok)
        return child
    }
    catch {}
    if (Date.now() > until) {
      await child.kill('SIGKILL')
      throw new Error(`${script} not ready after ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)
    }
    await new Promise(r => setTimeout(r, 200))
  }
}
