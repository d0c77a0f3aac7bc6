/**
 * npm run keys -- create --name <shop>   a new secret key, printed once (only its hash is stored)
 * npm run keys -- list                   id, name, prefix, created, last used, revoked
 * npm run keys -- revoke <id>            the key stops working at once
 * Uses the server's own settings (.env, DATA_DIR or DATABASE_URL), so it reaches the same database; while a server
 * runs on the embedded database, it asks that server (see server/admin/local-admin.ts).
 */
import type { AdminFile } from '../admin/local-admin'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ADMIN_HEADER, runningServer } from '../admin/local-admin'
import { ConfigError, loadConfig } from '../config'
import { openDatabase } from '../db'
import { createApiKey, listApiKeys, revokeApiKey } from '../merchant/api-keys'

const USAGE = 'usage: npm run keys -- create --name <shop> | list | revoke <key id>'

interface KeyInfo { id: string, name: string, prefix: string, createdAt: string, lastUsedAt: string | null, revokedAt: string | null }

/** Where the keys are: the database itself, or the running server that holds it. */
interface KeyStore {
  create: (name: string) => Promise<{ id: string, name: string, key: string }>
  list: () => Promise<KeyInfo[]>
  revoke: (id: string) => Promise<boolean>
  close: () => Promise<void>
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null)

async function databaseStore(config: ReturnType<typeof loadConfig>): Promise<KeyStore> {
  const database = await openDatabase(config)
  return {
    create: name => createApiKey(database.db, name, config.mode),
    list: async () => (await listApiKeys(database.db)).map(k => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: iso(k.created_at)!, lastUsedAt: iso(k.last_used_at), revokedAt: iso(k.revoked_at) })),
    revoke: id => revokeApiKey(database.db, id),
    close: () => database.close(),
  }
}

function serverStore(server: AdminFile): KeyStore {
  const call = async (method: string, pathname: string, body?: unknown) => {
    const res = await fetch(`${server.url}${pathname}`, { method, headers: { [ADMIN_HEADER]: server.token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
    const json = await res.json() as Record<string, unknown>
    if (res.status >= 400 && res.status !== 404)
      throw new Error(String(json.message ?? `HTTP ${res.status}`))
    return { status: res.status, json }
  }
  return {
    create: async name => (await call('POST', '/api/admin/keys', { name })).json as { id: string, name: string, key: string },
    list: async () => (await call('GET', '/api/admin/keys')).json.data as KeyInfo[],
    revoke: async id => (await call('POST', `/api/admin/keys/${encodeURIComponent(id)}/revoke`)).status === 200,
    close: async () => {},
  }
}

async function run(store: KeyStore, command: string | undefined, name: string | undefined, id: string | undefined): Promise<number> {
  switch (command) {
    case 'create': {
      if (!name) {
        console.error(`uni-cashier keys: --name is required\n${USAGE}`)
        return 64
      }
      const created = await store.create(name)
      console.log(`Created ${created.id} (${created.name}). Your secret key — shown this once, store it in your shop's settings:\n\n  ${created.key}\n`)
      return 0
    }
    case 'list': {
      const keys = await store.list()
      if (keys.length === 0)
        console.log('No API keys yet: npm run keys -- create --name shop')
      for (const k of keys)
        console.log(`${k.id}  ${k.prefix}  ${k.name}  created ${k.createdAt}  ${k.lastUsedAt ? `last used ${k.lastUsedAt}` : 'never used'}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}`)
      return 0
    }
    case 'revoke': {
      if (!id) {
        console.error(`uni-cashier keys: which key? ${USAGE}`)
        return 64
      }
      if (!(await store.revoke(id))) {
        console.error(`uni-cashier keys: no key ${id} (npm run keys -- list)`)
        return 1
      }
      console.log(`Revoked ${id}: requests with it now get 401 invalid_api_key.`)
      return 0
    }
    default:
      console.error(USAGE)
      return 64
  }
}

async function main(): Promise<number> {
  if (existsSync('.env'))
    process.loadEnvFile('.env')
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' } } })
  let config
  try {
    config = loadConfig()
  }
  catch (e) {
    if (e instanceof ConfigError) {
      console.error(`uni-cashier keys: ${e.message}`)
      return 78
    }
    throw e
  }
  const server = config.databaseUrl ? undefined : runningServer(config.dataDir)
  const store = server ? serverStore(server) : await databaseStore(config)
  try {
    return await run(store, positionals[0], values.name, positionals[1])
  }
  finally {
    await store.close()
  }
}

main().then(code => process.exit(code), (e: unknown) => {
  console.error(`uni-cashier keys: ${(e as Error).message}`)
  process.exit(1)
})
