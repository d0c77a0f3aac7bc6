import type { Selectable } from 'kysely'
import type { Db } from '../db'
import type { SessionsTable } from '../db/schema'
import { sql } from 'kysely'
import { newSessionId } from '../orders/ids'

export type SessionRow = Selectable<SessionsTable>

type SessionFields = Partial<Pick<SessionRow, 'wechat_openid' | 'wechat_mp_openid' | 'alipay_user_id' | 'oauth_state'>>

const SESSION_TTL_MS = 7 * 24 * 3600_000

/**
 * Server-side sessions: the only place a payer's openid or Alipay user id is kept. A row is written only when a payer
 * id is bound (an OAuth code or a mini program login exchanged at the provider), never for a request that merely
 * starts an authorisation, so cookieless requests cannot fill the table.
 */
export class SessionStore {
  constructor(private readonly db: Db) {}

  async get(id: string | undefined): Promise<SessionRow | undefined> {
    if (!id || !/^[\w-]{43}$/.test(id))
      return undefined
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).where('expires_at', '>', new Date()).executeTakeFirst()
  }

  async create(fields: SessionFields = {}): Promise<SessionRow> {
    return this.db.insertInto('sessions')
      .values({ id: newSessionId(), expires_at: new Date(Date.now() + SESSION_TTL_MS), ...fields })
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  async update(id: string, patch: SessionFields): Promise<void> {
    await this.db.updateTable('sessions').set(patch).where('id', '=', id).execute()
  }

  /**
   * The session under a new id with `patch` applied (the old id stops working): done whenever a payer id is bound,
   * so an id planted in a browser before the authorisation never carries the payer's identity.
   */
  async rotate(id: string, patch: SessionFields): Promise<SessionRow> {
    return this.db.updateTable('sessions')
      .set({ ...patch, id: newSessionId(), expires_at: new Date(Date.now() + SESSION_TTL_MS) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).execute()
  }
}
