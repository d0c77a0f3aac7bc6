/** Webhook endpoints: registered through the merchant API, plus the ones the environment configures. */
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { sql } from 'kysely'

/** WEBHOOK_URL + WEBHOOK_SECRET. */
export const DEFAULT_ENDPOINT_ID = 'we_default'
/** FULFILMENT_LOG: one JSON line per event appended to a file (delivered like any endpoint, after it is written). */
export const FILE_ENDPOINT_ID = 'we_file'

export function newEndpointId(): string {
  return `we_${randomBytes(9).toString('base64url')}`
}

export function newEndpointSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`
}

async function upsert(db: Db, id: string, target: { url: string, secret: string, description: string } | undefined): Promise<void> {
  if (!target) {
    await db.updateTable('webhook_endpoints').set({ disabled_at: sql`now()` }).where('id', '=', id).where('disabled_at', 'is', null).execute()
    return
  }
  await db.insertInto('webhook_endpoints')
    .values({ id, url: target.url, secret: target.secret, description: target.description })
    .onConflict(oc => oc.column('id').doUpdateSet({ url: target.url, secret: target.secret, description: target.description, disabled_at: null }))
    .execute()
}

/** Makes the environment's endpoints match the configuration (an endpoint whose setting is gone is disabled). */
export async function syncConfiguredEndpoints(db: Db, config: Pick<ServerConfig, 'webhookUrl' | 'webhookSecret' | 'fulfilmentLog'>): Promise<void> {
  await upsert(db, DEFAULT_ENDPOINT_ID, config.webhookUrl && config.webhookSecret ? { url: config.webhookUrl, secret: config.webhookSecret, description: 'WEBHOOK_URL' } : undefined)
  await upsert(db, FILE_ENDPOINT_ID, config.fulfilmentLog ? { url: pathToFileURL(config.fulfilmentLog).href, secret: 'file', description: 'FULFILMENT_LOG' } : undefined)
}
