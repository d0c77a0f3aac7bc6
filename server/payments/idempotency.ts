import type { Db } from '../db'
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError } from '../http/errors'

export interface StoredResponse { status: number, body: unknown }

export const IDEMPOTENCY_KEY_PATTERN = /^[\w-]{8,128}$/

/** Object keys sorted at every level: JSON objects are unordered, so a retry that orders them otherwise is the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(canonical)
  if (value !== null && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.keys(value).sort().map(k => [k, canonical((value as Record<string, unknown>)[k])]))
  return value
}

/** The identity of a request: the same JSON, whatever the order of its keys, hashes the same. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(parts))).digest('hex')
}

/**
 * Runs `work` once per Idempotency-Key: a replay with the same request gets the stored response,
 * a concurrent duplicate waits for the first to finish, the same key with a different request is a 409.
 * Only successful responses and final refusals are stored; retryable failures free the key.
 */
export async function withIdempotency(
  db: Db,
  key: string,
  hash: string,
  work: () => Promise<StoredResponse>,
  isFinal: (r: StoredResponse) => boolean,
): Promise<StoredResponse> {
  for (let round = 0; round < 100; round++) {
    const inserted = await db.insertInto('idempotency_keys')
      .values({ key, request_hash: hash, response_status: null, response_body: null })
      .onConflict(oc => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted) {
      let response: StoredResponse
      try {
        response = await work()
      }
      catch (e) {
        await db.deleteFrom('idempotency_keys').where('key', '=', key).execute()
        throw e
      }
      if (isFinal(response)) {
        await db.updateTable('idempotency_keys')
          .set({ response_status: response.status, response_body: JSON.stringify(response.body) })
          .where('key', '=', key)
          .execute()
      }
      else {
        await db.deleteFrom('idempotency_keys').where('key', '=', key).execute()
      }
      return response
    }
    const existing = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst()
    if (!existing)
      continue
    if (existing.request_hash !== hash)
      throw new HttpError(409, 'idempotency_conflict', 'this Idempotency-Key was already used for a different request')
    if (existing.response_status !== null)
      return { status: existing.response_status, body: existing.response_body }
    await sleep(100)
  }
  throw new HttpError(409, 'idempotency_conflict', 'a request with this Idempotency-Key is still running; retry shortly', { retryable: true })
}
