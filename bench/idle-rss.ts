/**
 * 4c. Idle memory: the product started as `npm start` starts it (the built server under plain node, embedded PGlite,
 * sandbox in-process, logging at info), its RSS once ready and idle, and what it held after each start-up step
 * (GET /api/admin/memory). Measured on a first start (a new data directory: initdb runs) and on a restart of the same
 * directory.
 */
import type { AdminMemory } from './lib/processes'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { formatTable, round, sleep } from './lib/common'
import { startProduct } from './lib/processes'

export interface IdleStart {
  /** VmRSS of the server process, MB, 3 s after it answered /healthz. */
  rssMb: number
  memory: AdminMemory
}

export interface IdleRssResult {
  firstStart: IdleStart
  restart: IdleStart
}

async function idleStart(dataDir: string): Promise<IdleStart> {
  const product = await startProduct({ logLevel: 'info', dataDir })
  try {
    await sleep(3000)
    return { rssMb: round(product.rssKb() / 1024, 1), memory: await product.memory() }
  }
  finally {
    await product.stop()
  }
}

export async function runIdleRss(): Promise<IdleRssResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'uc-bench-idle-'))
  try {
    const firstStart = await idleStart(dataDir)
    const restart = await idleStart(dataDir)
    return { firstStart, restart }
  }
  finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function printIdleRss(r: IdleRssResult): void {
  console.log('\nIdle RSS of the server process (npm start: embedded PGlite, sandbox in-process, LOG_LEVEL=info), MB')
  const steps = r.firstStart.memory.startup.map(s => s.step)
  console.log(formatTable(
    ['start-up step', 'first start: RSS', 'heap used', 'external', 'restart: RSS', 'heap used', 'external'],
    [...steps.map((step, i) => {
      const a = r.firstStart.memory.startup[i]!
      const b = r.restart.memory.startup[i]
      return [step, String(a.rssMb), String(a.heapUsedMb), String(a.externalMb), String(b?.rssMb ?? ''), String(b?.heapUsedMb ?? ''), String(b?.externalMb ?? '')]
    }), ['idle 3 s after ready (VmRSS)', String(r.firstStart.rssMb), String(r.firstStart.memory.now.heapUsedMb), String(r.firstStart.memory.now.externalMb), String(r.restart.rssMb), String(r.restart.memory.now.heapUsedMb), String(r.restart.memory.now.externalMb)]],
  ))
}
