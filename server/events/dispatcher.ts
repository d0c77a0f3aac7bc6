/**
 * Delivers the outbox to the shop's webhook endpoints: at least once, in the outbox's order for each order and
 * endpoint, retried with growing waits for about 28 hours until a 2xx answer (a redirect, a timeout, a 4xx or 5xx
 * all count as failures), every attempt stored. Deliveries are claimed row by row, so several processes share the
 * work without sending one event twice at once.
 */
import type { Db } from '../db'
import type { Logger } from '../logger'
import { appendFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { SIGNATURE_HEADER, signWebhook } from './signature'

/** Seconds to wait after failed attempt n (index n − 1): 11 retries over about 28 hours; then the delivery fails. */
export const WEBHOOK_RETRY_SCHEDULE_S = [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200]
/**
 * A claimed delivery is left alone by other processes this long past the endpoint's timeout (a process that died
 * holding it only delays it by that much).
 */
const CLAIM_MARGIN_SECONDS = 5

export interface DispatcherOptions {
  db: Db
  log: Logger
  timeoutMs: number
  timeScale: number
}

interface Due {
  event_id: string
  endpoint_id: string
  attempts: number
}

export class WebhookDispatcher {
  private running: Promise<number> | undefined
  private again = false

  constructor(private readonly opts: DispatcherOptions) {}

  /** Runs one pass now, or once more after the pass in progress. Resolves with how many deliveries it attempted. */
  kick(): Promise<number> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      let total = 0
      do {
        this.again = false
        let n: number
        do {
          n = await this.pass()
          total += n
        } while (n > 0)
      } while (this.again)
      return total
    })().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /**
   * Claims up to `limit` due deliveries to enabled endpoints (never one whose order has an earlier event still pending
   * there) and sends them.
   */
  private async pass(limit = 20): Promise<number> {
    const { rows } = await sql<Due>`
      update event_deliveries d set claimed_until = now() + make_interval(secs => ${this.opts.timeoutMs / 1000 + CLAIM_MARGIN_SECONDS})
      from (
        select d1.event_id, d1.endpoint_id from event_deliveries d1 join events e1 on e1.id = d1.event_id
          join webhook_endpoints w1 on w1.id = d1.endpoint_id and w1.disabled_at is null
        where d1.status = 'pending' and d1.next_attempt_at <= now()
          and (d1.claimed_until is null or d1.claimed_until < now())
          and not exists (
            select 1 from event_deliveries d2 join events e2 on e2.id = d2.event_id
            where d2.endpoint_id = d1.endpoint_id and d2.status = 'pending' and e2.order_no = e1.order_no and e2.seq < e1.seq)
        order by e1.seq limit ${limit}
        for update of d1 skip locked
      ) due
      where d.event_id = due.event_id and d.endpoint_id = due.endpoint_id
      returning d.event_id, d.endpoint_id, d.attempts`.execute(this.opts.db)
    await Promise.all(rows.map(r => this.deliver(r)))
    return rows.length
  }

  private async deliver(due: Due): Promise<void> {
    const { db, log } = this.opts
    const event = await db.selectFrom('events').select(['payload', 'type']).where('id', '=', due.event_id).executeTakeFirstOrThrow()
    const endpoint = await db.selectFrom('webhook_endpoints').select(['url', 'secret']).where('id', '=', due.endpoint_id).executeTakeFirstOrThrow()
    const body = JSON.stringify(event.payload)
    // `attempts` counts since the last replay (it picks the wait); the log numbers every attempt ever made.
    const tries = due.attempts + 1
    const logged = await db.selectFrom('delivery_attempts').select(eb => eb.fn.max('n').as('n')).where('event_id', '=', due.event_id).where('endpoint_id', '=', due.endpoint_id).executeTakeFirst()
    const n = Number(logged?.n ?? 0) + 1
    const started = Date.now()
    let statusCode: number | undefined
    let error: string | undefined
    try {
      if (endpoint.url.startsWith('file:')) {
        appendFileSync(fileURLToPath(endpoint.url), `${body}\n`)
        statusCode = 200
      }
      else {
        const res = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'uni-cashier-webhooks/1',
            [SIGNATURE_HEADER]: signWebhook(body, endpoint.secret),
            'Uni-Cashier-Event-Id': due.event_id,
            'Uni-Cashier-Event-Type': event.type,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        })
        await res.arrayBuffer().catch(() => undefined)
        statusCode = res.status
        if (res.status < 200 || res.status > 299)
          error = res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `HTTP ${res.status}`
      }
    }
    catch (e) {
      error = (e as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : String((e as Error).cause ?? (e as Error).message)
    }
    const latency = Date.now() - started
    const ok = error === undefined
    const wait = WEBHOOK_RETRY_SCHEDULE_S[tries - 1]
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('delivery_attempts').values({ event_id: due.event_id, endpoint_id: due.endpoint_id, n, at: new Date(started), status_code: statusCode ?? null, error: error ?? null, latency_ms: latency }).execute()
      await trx.updateTable('event_deliveries')
        .set({
          attempts: tries,
          claimed_until: null,
          status: ok ? 'delivered' : wait === undefined ? 'failed' : 'pending',
          delivered_at: ok ? new Date() : null,
          next_attempt_at: ok || wait === undefined ? sql`now()` : sql`now() + make_interval(secs => ${wait * this.opts.timeScale})`,
        })
        .where('event_id', '=', due.event_id)
        .where('endpoint_id', '=', due.endpoint_id)
        .where('status', '=', 'pending') // not one its endpoint's deletion failed meanwhile
        .execute()
    })
    if (ok)
      log.info({ eventId: due.event_id, endpointId: due.endpoint_id, attempt: n, ms: latency }, 'webhook delivered')
    else
      log.warn({ eventId: due.event_id, endpointId: due.endpoint_id, attempt: n, error, retryInSeconds: wait === undefined ? null : wait * this.opts.timeScale }, wait === undefined ? 'webhook delivery failed for good (replay it from the API)' : 'webhook delivery failed; will retry')
  }
}

/** Puts an event's deliveries (to every enabled endpoint, or one) back in the queue now; answers how many. */
export async function replayEvent(db: Db, eventId: string, endpointId?: string): Promise<number> {
  let q = db.updateTable('event_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql`now()`, claimed_until: null })
    .where('event_id', '=', eventId)
    .where('endpoint_id', 'in', db.selectFrom('webhook_endpoints').select('id').where('disabled_at', 'is', null))
  if (endpointId)
    q = q.where('endpoint_id', '=', endpointId)
  const rows = await q.returning('event_id').execute()
  return rows.length
}
