/**
 * The reliability suite's view of the one process helper (tests/helpers/processes.ts): a server script started and
 * awaited, its output kept line by line, ended with the signal the scenario chooses.
 */
import type { Buffer } from 'node:buffer'
import type { ChildProcess } from 'node:child_process'
import { startNodeScript } from '../helpers/processes'

export { freePort } from '../helpers/processes'

export interface Child {
  proc: ChildProcess
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[]
  /** Sends `signal` (SIGTERM by default) and resolves once the process is gone (SIGKILL after a minute). */
  kill: (signal?: NodeJS.Signals) => Promise<void>
}

/** Runs `tsx <script>` with `env` (on top of this process's), collecting its output lines; resolves once `readyUrl` answers 2xx. */
export async function startProcess(script: string, env: Record<string, string>, readyUrl: string, timeoutMs = 60_000): Promise<Child> {
  const lines: string[] = []
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
  const child = await startNodeScript(script, { env: { ...process.env, ...env }, readyUrl, timeoutMs, intervalMs: 200, onOutput: collect })
  return {
    proc: child.proc,
    lines,
    kill: async (signal = 'SIGTERM') => {
      await child.stop({ signal, graceMs: 60_000 })
    },
  }
}
