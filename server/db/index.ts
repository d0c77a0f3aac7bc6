import type { Database } from './schema'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { Kysely, Migrator, PostgresDialect } from 'kysely'
import { migrationProvider } from './migrations'

export type Db = Kysely<Database>

/** Subscribes to a PostgreSQL NOTIFY channel; resolves to an unsubscribe function. */
export type Listen = (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>

export interface OpenDatabase {
  db: Db
  /** LISTEN on a channel: a dedicated connection on PostgreSQL, in-process on PGlite. */
  listen: Listen
  kind: 'postgresql' | 'pglite'
  close: () => Promise<void>
}

async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest()
  for (const r of results ?? []) {
    if (r.status === 'Error')
      throw new Error(`migration ${r.migrationName} failed`)
  }
  if (error)
    throw error
}

/**
 * PostgreSQL's shared_buffers on the embedded database. PostgreSQL's default (128 MB) makes PGlite grow its WASM
 * memory to ≈ 184 MB at start; the embedded database is for one process and a demo-sized data set, where 16 MB is
 * plenty.
 */
const PGLITE_SHARED_BUFFERS = '16MB'

/**
 * V8 runs PGlite's WASM (≈ 10 MB) compiled by its baseline compiler, Liftoff, and by default recompiles each
 * function that has run enough with its optimising compiler. Start-up alone (recovery, catalog reads, migrations)
 * sends many functions there, and that compilation's memory stays in the process: 50–90 MB more RSS once started
 * (docs/benchmarks.md, idle RSS), ≈ 70 MB more under a loop of queries, which Liftoff's code alone ran 5–10 % slower.
 * The largest tiering budget instead still left 225–228 MB 3 s after a first start. V8 lists the flag as one for
 * testing; it applies to every WASM module compiled after it (here PGlite, and undici's HTTP parser behind fetch). A
 * real PostgreSQL (DATABASE_URL) needs none of this.
 */
const WASM_V8_FLAGS = '--liftoff-only'

/** Runs initdb for a new embedded database in a child process, whose memory is all returned when it exits. */
async function initPglite(dir: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url))
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000)
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0)
    throw new Error(`initialising the embedded database in ${dir} failed (exit code ${code}): ${stderr.trim()}`)
}

/**
 * Opens the database: a real PostgreSQL through `pg` (a pool, plus one connection for LISTEN) when
 * `databaseUrl` is set, otherwise the embedded PGlite (PostgreSQL compiled to WASM) in
 * `${dataDir}/pglite`. Same SQL, same migrations, same NOTIFY.
 */
export async function openDatabase(opts: { databaseUrl?: string, dataDir: string, onListenError?: (e: Error) => void, onListenRestored?: () => void }): Promise<OpenDatabase> {
  if (opts.databaseUrl) {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    await migrate(db)
    const listeners = new Map<string, Set<(payload: string) => void>>()
    let client: InstanceType<typeof pg.Client> | undefined
    let closed = false
    let lost = false
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: opts.databaseUrl })
      c.on('notification', (n) => {
        for (const fn of listeners.get(n.channel) ?? []) fn(n.payload ?? '')
      })
      c.on('error', (e) => {
        lost = true
        opts.onListenError?.(e)
        client = undefined
        if (!closed)
          setTimeout(() => void connect().catch(err => opts.onListenError?.(err as Error)), 500)
      })
      await c.connect()
      for (const channel of listeners.keys()) await c.query(`LISTEN "${channel}"`)
      client = c
      if (lost) {
        lost = false
        opts.onListenRestored?.()
      }
    }
    await connect()
    return {
      db,
      kind: 'postgresql',
      listen: async (channel, onPayload) => {
        let set = listeners.get(channel)
        if (!set) {
          set = new Set()
          listeners.set(channel, set)
          await client?.query(`LISTEN "${channel}"`)
        }
        set.add(onPayload)
        return async () => {
          set.delete(onPayload)
        }
      },
      close: async () => {
        closed = true
        await client?.end().catch(() => {})
        await db.destroy()
      },
    }
  }
  const dir = path.join(opts.dataDir, 'pglite')
  mkdirSync(dir, { recursive: true })
  if (!existsSync(path.join(dir, 'PG_VERSION')))
    await initPglite(dir)
  v8.setFlagsFromString(WASM_V8_FLAGS)
  const { PGlite, protocol } = await import('@electric-sql/pglite')
  const { PGlitePreparedDialect } = await import('./pglite-dialect')
  const pglite = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`] })
  const db = new Kysely<Database>({ dialect: new PGlitePreparedDialect(pglite, protocol.serialize) })
  await migrate(db)
  return {
    db,
    kind: 'pglite',
    listen: async (channel, onPayload) => {
      const unlisten = await pglite.listen(channel, onPayload)
      return async () => unlisten()
    },
    close: () => db.destroy(),
  }
}
