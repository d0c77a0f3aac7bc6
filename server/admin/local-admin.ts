/**
 * The local admin channel. The embedded database (PGlite) can be opened by one process only, so while the server
 * runs, `npm run keys` asks the running server instead of opening the database itself: the server writes
 * `DATA_DIR/admin.json` (mode 0600: its pid, where it listens, a random token) at start and removes it at stop, and
 * answers `/api/admin/keys` only with that token. Whoever can read the data directory can already read the database.
 */
import type { Db } from '../db'
import { Buffer } from 'node:buffer'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Hono } from 'hono'
import { createApiKey, listApiKeys, revokeApiKey } from '../merchant/api-keys'

export const ADMIN_FILE = 'admin.json'
export const ADMIN_HEADER = 'x-admin-token'

export interface AdminFile { pid: number, url: string, token: string }

export function writeAdminFile(dataDir: string, url: string): { token: string, remove: () => void } {
  const token = randomBytes(32).toString('base64url')
  mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, ADMIN_FILE)
  writeFileSync(file, JSON.stringify({ pid: process.pid, url, token } satisfies AdminFile), { mode: 0o600 })
  return {
    token,
    remove: () => {
      try {
        const current = JSON.parse(readFileSync(file, 'utf8')) as AdminFile
        if (current.token === token)
          rmSync(file, { force: true })
      }
      catch {}
    },
  }
}

/** The running server of this data directory, if there is one (a stale file of a dead process is ignored). */
export function runningServer(dataDir: string): AdminFile | undefined {
  const file = path.join(dataDir, ADMIN_FILE)
  if (!existsSync(file))
    return undefined
  try {
    const admin = JSON.parse(readFileSync(file, 'utf8')) as AdminFile
    process.kill(admin.pid, 0)
    return admin
  }
  catch {
    return undefined
  }
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)

/** Memory at each start-up step (server/index.ts), MB. */
export interface StartupMemoryStep { step: string, rssMb: number, heapUsedMb: number, externalMb: number, arrayBuffersMb: number }

const mb = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10

export function memoryStep(step: string): StartupMemoryStep {
  const m = process.memoryUsage()
  return { step, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) }
}

let gc: (() => void) | undefined
/** A full garbage collection, without starting Node with --expose-gc. */
function fullGc(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

export function adminRoutes(db: Db, token: string, mode: 'sandbox' | 'live', startup: StartupMemoryStep[] = []) {
  const app = new Hono()
  const expected = Buffer.from(token)
  app.use('/api/admin/*', async (c, next) => {
    const given = Buffer.from(c.req.header(ADMIN_HEADER) ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return c.json({ code: 'forbidden', message: 'the local admin API needs the token from DATA_DIR/admin.json' }, 403)
    await next()
  })
  app.get('/api/admin/keys', async c => c.json({ data: (await listApiKeys(db)).map(k => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: iso(k.created_at), lastUsedAt: iso(k.last_used_at), revokedAt: iso(k.revoked_at) })) }))
  app.post('/api/admin/keys', async (c) => {
    const body = await c.req.json().catch(() => ({})) as { name?: unknown }
    if (typeof body.name !== 'string' || !body.name.trim() || body.name.length > 64)
      return c.json({ code: 'validation_failed', message: 'name: 1–64 characters' }, 400)
    return c.json(await createApiKey(db, body.name, mode), 201)
  })
  app.post('/api/admin/keys/:id/revoke', async (c) => {
    const ok = await revokeApiKey(db, c.req.param('id'))
    return ok ? c.json({ id: c.req.param('id'), revoked: true }) : c.json({ code: 'not_found', message: `no key ${c.req.param('id')}` }, 404)
  })
  // What this process holds now and held at each start-up step (docs/benchmarks.md reads it); `?gc=1` collects
  // garbage first, so the heap figure is what is alive.
  app.get('/api/admin/memory', (c) => {
    if (c.req.query('gc') === '1')
      fullGc()
    return c.json({ now: memoryStep('now'), heapTotalMb: mb(process.memoryUsage().heapTotal), startup })
  })
  return app
}
