/**
 * Secret API keys for the merchant API: `sk_live_…` (live mode) or `sk_test_…` (sandbox), 192 random bits, shown
 * once when created and stored only as a SHA-256 hash. Several can be live at once, so a key is rotated by creating
 * the next one, switching the shop over, then revoking the old one.
 */
import type { Selectable } from 'kysely'
import type { Db } from '../db'
import type { ApiKeysTable } from '../db/schema'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'

export type ApiKeyRow = Selectable<ApiKeysTable>

const KEY_PATTERN = /^sk_(?:live|test)_[\w-]{32}$/

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Creates a key named `name`; the returned `key` is the only time the secret exists outside the shop. */
export async function createApiKey(db: Db, name: string, mode: 'live' | 'sandbox'): Promise<{ id: string, name: string, key: string, prefix: string }> {
  const trimmed = name.trim()
  if (!trimmed || trimmed.length > 64)
    throw new Error('a key needs a name of 1–64 characters (--name shop)')
  const key = `sk_${mode === 'live' ? 'live' : 'test'}_${randomBytes(24).toString('base64url')}`
  const id = `key_${randomBytes(9).toString('base64url')}`
  const prefix = `${key.slice(0, 12)}…`
  await db.insertInto('api_keys').values({ id, name: trimmed, prefix, hash: hashApiKey(key) }).execute()
  return { id, name: trimmed, key, prefix }
}

export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()
}

/** Revokes key `id`; false when there is no such key (revoking twice is fine). */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const row = await db.updateTable('api_keys').set({ revoked_at: sql`coalesce(revoked_at, now())` }).where('id', '=', id).returning('id').executeTakeFirst()
  return row !== undefined
}

export type KeyCheck = { ok: true, key: ApiKeyRow } | { ok: false, code: 'missing_api_key' | 'invalid_api_key', message: string }

/** Checks an `Authorization` header: `Bearer sk_…` of a key that exists and is not revoked. */
export async function checkApiKey(db: Db, authorization: string | undefined): Promise<KeyCheck> {
  if (!authorization)
    return { ok: false, code: 'missing_api_key', message: 'send your secret key as Authorization: Bearer sk_…' }
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim())
  if (!m || !KEY_PATTERN.test(m[1]!))
    return { ok: false, code: 'invalid_api_key', message: 'the Authorization header is not Bearer followed by a secret key (sk_live_… or sk_test_…)' }
  const key = await db.selectFrom('api_keys').selectAll().where('hash', '=', hashApiKey(m[1]!)).executeTakeFirst()
  if (!key)
    return { ok: false, code: 'invalid_api_key', message: 'no such API key' }
  if (key.revoked_at)
    return { ok: false, code: 'invalid_api_key', message: 'this API key was revoked' }
  // At most one write a minute per key.
  if (!key.last_used_at || Date.now() - new Date(key.last_used_at).getTime() > 60_000)
    await db.updateTable('api_keys').set({ last_used_at: sql`now()` }).where('id', '=', key.id).execute()
  return { ok: true, key }
}

/** Sandbox mode: the key the example shop and demos use, made at first start into DATA_DIR (git-ignored, 0600). */
export const SANDBOX_KEY_FILE = 'sandbox-api-key'

export async function ensureSandboxApiKey(db: Db, dataDir: string): Promise<string> {
  const file = path.join(dataDir, SANDBOX_KEY_FILE)
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    const row = await db.selectFrom('api_keys').select(['id', 'revoked_at']).where('hash', '=', hashApiKey(key)).executeTakeFirst()
    if (row && !row.revoked_at)
      return key
  }
  const created = await createApiKey(db, 'sandbox (examples and demos)', 'sandbox')
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(file, `${created.key}\n`, { mode: 0o600 })
  return created.key
}
