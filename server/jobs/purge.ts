/**
 * Forgets what is no longer needed, once per interval for the whole cluster (the process that takes the job's lock
 * runs it): expired sessions and console sessions, idempotency keys older than a day, notification nonces older
 * than the notification clock window (older signatures are refused on their timestamp anyway).
 */
import type { Db } from '../db'
import { sql } from 'kysely'

/** True when this process took the lock of `name` for `seconds` (nobody else holds it). */
export async function takeJobLock(db: Db, name: string, seconds: number): Promise<boolean> {
  const until = sql<Date>`now() + make_interval(secs => ${seconds})`
  const row = await db.insertInto('job_locks')
    .values({ name, locked_until: until })
    .onConflict(oc => oc.column('name').doUpdateSet({ locked_until: until }).where('job_locks.locked_until', '<', sql<Date>`now()`))
    .returning('name')
    .executeTakeFirst()
  return row !== undefined
}

export interface PurgeCounts { sessions: number, consoleSessions: number, idempotencyKeys: number, nonces: number }

export async function purgeExpired(db: Db): Promise<PurgeCounts> {
  const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows)
  return {
    sessions: count(await db.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst()),
    consoleSessions: count(await db.deleteFrom('console_sessions').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst()),
    idempotencyKeys: count(await db.deleteFrom('idempotency_keys').where('created_at', '<', sql<Date>`now() - interval '24 hours'`).where('response_status', 'is not', null).executeTakeFirst()),
    nonces: count(await db.deleteFrom('notify_nonces').where('received_at', '<', sql<Date>`now() - interval '10 minutes'`).executeTakeFirst()),
  }
}
