import type { Expression, QueryCreator, UpdateQueryBuilder, UpdateResult } from 'kysely'
import type { Db } from '../db'
import type { Database } from '../db/schema'
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { jsonObjectFrom } from 'kysely/helpers/postgres'
import { HttpError } from '../http/errors'

export interface StoredResponse { status: number, body: unknown }

/**
 * An update that belongs with a response (a payment attempt's action): made as a data-modifying WITH of the statement
 * that stores the response or frees the key, so both land together in one statement.
 */
// The tables are left open (any): the write may update any table; only its shape (an UPDATE without RETURNING) is fixed.
export type AlongsideWrite = (qc: QueryCreator<Database>) => UpdateQueryBuilder<Database, any, any, UpdateResult>

/** What the work of withIdempotency answers: the response, and the write to make with it, if any. */
export interface WorkResult extends StoredResponse { alongside?: AlongsideWrite }

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
 * `read` is read in the statement that claims the key and handed to the work, so the work's first read costs no
 * statement of its own. A write the work hands back (`alongside`) is made in the statement that stores the response
 * (or frees the key); if that statement fails, the key is freed, as when the work itself fails.
 */
export async function withIdempotency<R = null>(
  db: Db,
  key: string,
  hash: string,
  work: (read: R) => Promise<WorkResult>,
  isFinal: (r: StoredResponse) => boolean,
  read?: Expression<R>,
): Promise<StoredResponse> {
  for (let round = 0; round < 100; round++) {
    // One statement claims the key, reads the key's row as it was before (a replay's answer, or whose the key is)
    // and what the work reads first: the claim is not visible to the reads, which see the same snapshot.
    const claim = await db
      .with('claim', qc => qc.insertInto('idempotency_keys')
        .values({ key, request_hash: hash, response_status: null, response_body: null })
        .onConflict(oc => oc.column('key').doNothing())
        .returning('key'))
      .selectNoFrom(eb => [
        eb.selectFrom('claim').select('key').as('claimed'),
        jsonObjectFrom(eb.selectFrom('idempotency_keys').select(['request_hash', 'response_status', 'response_body']).where('key', '=', key)).as('existing'),
        sql<R>`${read ?? sql`null`}`.as('read'),
      ])
      .executeTakeFirstOrThrow()
    if (claim.claimed) {
      let response: StoredResponse
      let alongside: AlongsideWrite | undefined
      try {
        // SelectType<R> is R for the JSON values a read gives (no ColumnType in them).
        ({ alongside, ...response } = await work(claim.read as R))
      }
      catch (e) {
        await db.deleteFrom('idempotency_keys').where('key', '=', key).execute()
        throw e
      }
      // The WITH only adds a name the statement never reads: the statement itself is one on Database.
      const qc = alongside ? db.with('alongside', alongside) as unknown as QueryCreator<Database> : db
      const finish = isFinal(response)
        ? qc.updateTable('idempotency_keys')
            .set({ response_status: response.status, response_body: JSON.stringify(response.body) })
            .where('key', '=', key)
        : qc.deleteFrom('idempotency_keys').where('key', '=', key)
      try {
        await finish.execute()
      }
      catch (e) {
        if (alongside)
          await db.deleteFrom('idempotency_keys').where('key', '=', key).execute()
        throw e
      }
      return response
    }
    const { existing } = claim
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
