import type { SandboxKeys } from '../../sandbox/types'
import type { RunningServer } from '../../server/index'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SANDBOX_KEYS_FILE } from '../../sandbox/keys'
import { loadConfig } from '../../server/config'
import { startServer } from '../../server/index'
import { sandboxMode } from '../../server/sandbox-mode'
import { testDatabaseUrl } from '../scale/test-database'

export interface TestServer extends RunningServer {
  dataDir: string
  keys: () => SandboxKeys
  /** JSON request helper against this server. */
  call: (method: string, pathname: string, init?: { body?: unknown, rawBody?: string, headers?: Record<string, string> }) => Promise<{ status: number, json: Record<string, unknown>, text: string, headers: Headers }>
}

/** Starts the product in sandbox mode on a free loopback port and a throw-away (or given) data directory. */
export async function startTestServer(opts: { dataDir?: string, env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'uc-test-'))
  // TEST_DATABASE_URL (vitest project server-pg): a real PostgreSQL, one database per data directory; else PGlite.
  const databaseUrl = process.env.TEST_DATABASE_URL ? await testDatabaseUrl(process.env.TEST_DATABASE_URL, dataDir) : undefined
  const config = loadConfig({
    CASHIER_MODE: 'sandbox',
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://127.0.0.1:0',
    DATA_DIR: dataDir,
    SANDBOX_TIME_SCALE: '0.001',
    RECONCILE_AFTER_SECONDS: '1',
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  })
  const running = await startServer(config, { sandboxMode })
  return {
    ...running,
    dataDir,
    keys: () => JSON.parse(readFileSync(path.join(dataDir, SANDBOX_KEYS_FILE), 'utf8')) as SandboxKeys,
    call: async (method, pathname, init = {}) => {
      const hasBody = init.body !== undefined || init.rawBody !== undefined
      const res = await fetch(`${running.listenUrl}${pathname}`, {
        method,
        headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
        redirect: 'manual',
      })
      const text = await res.text()
      let json: Record<string, unknown> = {}
      try {
        json = text ? JSON.parse(text) as Record<string, unknown> : {}
      }
      catch {}
      return { status: res.status, json, text, headers: res.headers }
    },
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

let seq = 0
/** A unique Idempotency-Key. */
export function key(): string {
  return `test-${Date.now()}-${seq++}`
}
