/**
 * The server's own clock: the sweeper (expired orders, open attempts of finished orders), the refund worker, the
 * webhook dispatcher (also woken by NOTIFY webhook_events from any process) and the purge. Every job claims its rows
 * or its lock in the database, so it is safe to run in every process of a cluster.
 */
import type { Listen } from '../db'
import type { Services } from '../services'
import { sweep } from '../orders/reconcile'
import { purgeExpired, takeJobLock } from './purge'

const PURGE_EVERY_SECONDS = 600

export async function startBackground(s: Services, listen: Listen): Promise<{ stop: () => Promise<void> }> {
  const timers: Array<ReturnType<typeof setInterval>> = []
  let stopped = false
  const every = (ms: number, job: () => Promise<unknown>, what: string) => {
    let busy = false
    const t = setInterval(() => {
      if (busy || stopped)
        return
      busy = true
      job().catch(e => s.log.warn({ err: (e as Error).message, job: what }, 'background job failed')).finally(() => {
        busy = false
      })
    }, ms)
    t.unref()
    timers.push(t)
  }
  every(s.config.sweepIntervalSeconds * 1000, () => sweep(s), 'sweep')
  every(Math.max(250, Math.min(2000, s.config.refundCheckSeconds * 500)), () => s.refunds.tick(), 'refunds')
  every(1000, () => s.webhooks.kick(), 'webhooks')
  every(PURGE_EVERY_SECONDS * 1000, async () => {
    if (await takeJobLock(s.db, 'purge', PURGE_EVERY_SECONDS - 5))
      s.log.info(await purgeExpired(s.db), 'purged expired sessions, keys and nonces')
  }, 'purge')
  const onRefund = () => void s.refunds.tick().catch(() => {})
  s.transitions.events.on('refund.created', onRefund)
  const unlisten = await listen('webhook_events', () => void s.webhooks.kick().catch(() => {}))
  void s.webhooks.kick().catch(() => {})
  return {
    stop: async () => {
      stopped = true
      for (const t of timers) clearInterval(t)
      s.transitions.events.off('refund.created', onRefund)
      await unlisten()
    },
  }
}
