import type { Database } from './schema'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { Kysely, Migrator, PostgresDialect } from 'kysely'
import { migrationProvider } from './migrations'

export type Db = Kysely<Database>

/**
 * Opens the database: a real PostgreSQL through `pg` when `databaseUrl` is set, otherwise the
 * embedded PGlite (PostgreSQL compiled to WASM) in `${dataDir}/pglite`. Same SQL, same migrations.
 */
export async function openDatabase(opts: { databaseUrl?: string, dataDir: string }): Promise<Db> {
  let db: Db
  if (opts.databaseUrl) {
    const { default: pg } = await import('pg')
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: opts.databaseUrl, max: 10 }) }) })
  }
  else {
    const dir = path.join(opts.dataDir, 'pglite')
    mkdirSync(dir, { recursive: true })
    const { PGlite } = await import('@electric-sql/pglite')
    const { PGliteDialect } = await import('kysely-pglite-dialect')
    const pglite = await PGlite.create(dir)
    db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) })
  }
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest()
  for (const r of results ?? []) {
    if (r.status === 'Error')
      throw new Error(`migration ${r.migrationName} failed`)
  }
  if (error)
    throw error
  return db
}
