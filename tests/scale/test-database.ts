/**
 * One PostgreSQL database per test data directory, on the cluster TEST_DATABASE_URL points at (the vitest project
 * "server-pg" starts one: pg-global-setup.ts). Keyed on the directory, so a test server restarted on the same data
 * directory finds its data again, as it does with PGlite.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import pg from 'pg'

/** Creates (once) the database for `dataDir` and returns its URL. */
export async function testDatabaseUrl(adminUrl: string, dataDir: string): Promise<string> {
  const name = `uc_${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 24)}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`create database "${name}"`)
  }
  catch (e) {
    // 42P04 duplicate_database: a restart on the same data directory.
    if ((e as { code?: string }).code !== '42P04')
      throw e
  }
  finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
