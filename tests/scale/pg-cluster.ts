/**
 * A throw-away PostgreSQL cluster: initdb into a directory, `postgres` in the foreground on a free loopback port
 * (unix socket in the same directory, fsync off), trust authentication for the `postgres` superuser. As root it
 * runs as the `postgres` system user, since PostgreSQL refuses to run as root.
 */
import type { Child } from './procs'
import { execFile } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { findPgBin, postgresUser } from './prereqs'
import { freePort, spawnChild, waitUntil } from './procs'

const run = promisify(execFile)

export interface PgCluster {
  port: number
  /** postgres://postgres@127.0.0.1:port/<database> */
  url: (database?: string) => string
  createDatabase: (name: string) => Promise<string>
  child: Child
  stop: () => Promise<void>
}

export async function startPgCluster(dir: string): Promise<PgCluster> {
  const bin = findPgBin()
  if (!bin)
    throw new Error('PostgreSQL server binaries not found (apt-get install -y postgresql, or set PG_BIN)')
  const user = postgresUser()
  if (process.getuid?.() === 0 && !user)
    throw new Error('running as root and there is no `postgres` user to run PostgreSQL as')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const data = path.join(dir, 'data')
  if (user) {
    // The postgres user must be able to reach its directory through the (root-owned) parents.
    chmodSync(path.dirname(dir), 0o711)
    chownSync(dir, user.uid, user.gid)
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' }
  await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { cwd: dir, env, uid: user?.uid, gid: user?.gid, timeout: 60_000 })
    .catch((e: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${e.message}\n${e.stderr ?? ''}`)
    })
  const port = await freePort()
  const child = spawnChild('postgres', path.join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
    '-c',
    'log_min_messages=warning',
  ], { cwd: dir, env, uid: user?.uid, gid: user?.gid, logFile: path.join(path.dirname(dir), 'postgres.log') })
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  await waitUntil('PostgreSQL to accept connections', async () => {
    const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 1000 })
    try {
      await client.connect()
      await client.query('select 1')
      return true
    }
    finally {
      await client.end().catch(() => {})
    }
  }, { timeoutMs: 30_000, intervalMs: 100, child })
  return {
    port,
    url,
    child,
    createDatabase: async (name) => {
      if (!/^\w+$/.test(name))
        throw new Error(`database name ${name}: letters, digits and _ only`)
      const client = new pg.Client({ connectionString: url() })
      await client.connect()
      try {
        await client.query(`create database "${name}"`)
      }
      finally {
        await client.end()
      }
      return url(name)
    },
    // SIGINT is PostgreSQL's "fast" shutdown (SIGTERM, "smart", would wait for every client to leave).
    stop: async () => {
      await child.stop({ signal: 'SIGINT', graceMs: 10_000 })
    },
  }
}
