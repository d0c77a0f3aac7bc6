import type { Selectable } from 'kysely'
import type { Db } from '../db'
import type { SessionsTable } from '../db/schema'
import { sql } from 'kysely'
import { newSessionId } from '../orders/ids'

export type SessionRow = Selectable<SessionsTable>

const SESSION_TTL_MS = 7 * 24 * 3600_000

/** Server-side sessions: the only place a payer's openid or Alipay user id is kept. */
export class SessionStore {
  constructor(private readonly db: Db) {}

  async get(id: string | undefined): Promise<SessionRow | undefined> {
    if (!id || !/^[\w-]{43}$/.test(id))
      return undefined
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).where('expires_at', '>', new Date()).executeTakeFirst()
  }

  async create(): Promise<SessionRow> {
    return this.db.insertInto('sessions')
      .values({ id: newSessionId(), expires_at: new Date(Date.now() + SESSION_TTL_MS) })
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  async update(id: string, patch: Partial<Pick<SessionRow, 'wechat_openid' | 'wechat_mp_openid' | 'alipay_user_id' | 'oauth_state'>>): Promise<void> {
    await this.db.updateTable('sessions').set(patch).where('id', '=', id).execute()
  }

  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).execute()
  }
}
