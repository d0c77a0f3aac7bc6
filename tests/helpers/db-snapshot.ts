import type { Db } from '../../server/db'
import { sql } from 'kysely'

const TABLES = ['orders', 'payment_attempts', 'provider_events', 'idempotency_keys', 'sessions', 'notify_nonces', 'refunds', 'events', 'event_deliveries', 'delivery_attempts', 'webhook_endpoints', 'api_keys', 'console_sessions'] as const

/** Every row of every table, as text in a stable order: equal snapshots mean nothing changed. */
export async function snapshotTables(db: Db): Promise<string> {
  const parts: string[] = []
  for (const table of TABLES) {
    const { rows } = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table)} t order by 1`.execute(db)
    parts.push(`${table}:${rows.map(r => r.row).join('\n')}`)
  }
  return parts.join('\n---\n')
}
