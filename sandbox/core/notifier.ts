/**
 * Delivers a provider's asynchronous notifications to the merchant, the same way for every provider: applies the
 * notification faults (drop, duplicate, delay, corrupt), POSTs each attempt with the provider's own request (signed
 * afresh per attempt), retries on the provider's official schedule (× timeScale) until the provider's notion of an
 * acknowledgement, and keeps every attempt in the provider's ledger.
 */
import type { SandboxFaults } from '../types'
import { chance } from './faults'

/** The merchant must reply within 5 s (both providers). */
export const NOTIFY_REPLY_TIMEOUT_MS = 5000

export type NotifyFault = 'drop' | 'duplicate' | 'delay' | 'corrupt'

/** One HTTP attempt of a notification. */
export interface DeliveryAttempt {
  n: number
  at: string
  http_status?: number
  /** The merchant's reply text (first 64 characters), where the provider reads it (Alipay). */
  reply?: string
  error?: string
  acknowledged: boolean
  corrupted?: boolean
  duration_ms: number
}

/** What every notification record has, whatever the provider adds (event id, kind, trade status …). */
export interface NotificationBase {
  out_trade_no: string
  /** Faults applied to this copy. */
  faults: NotifyFault[]
  status: 'pending' | 'acknowledged' | 'failed' | 'dropped' | 'stopped'
  notify_url: string
  created_at: string
  next_attempt_at?: string
  attempts: DeliveryAttempt[]
}

/** What a provider contributes: its schedule, its request, its acknowledgement rule and its ledger. */
export interface NotifyChannel<R extends NotificationBase, P> {
  /** Log prefix, e.g. `wechatpay notify`. */
  label: string
  /** Seconds to wait after failed attempt n before attempt n + 1 (index n − 1); past its end, give up. */
  retrySchedule: readonly number[]
  ledger: { addNotification: (r: R) => void, count: (outTradeNo: string, what: 'notify_attempts') => void, allNotifications: () => R[] }
  /** Attempt n of `record`: headers and body, signed now. `corrupt`: alter the body after signing. */
  request: (record: R, payload: P, n: number, corrupt: boolean) => { headers: Record<string, string>, body: string }
  acknowledged: (httpStatus: number, reply: string) => boolean
}

/** The part of the sandbox context deliveries use. */
export interface NotifierEnv {
  faults: SandboxFaults
  random: () => number
  timeScale: number
  log: (obj: Record<string, unknown>, msg: string) => void
}

export class Notifier<R extends NotificationBase, P> {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly inflight = new Set<AbortController>()
  private closed = false

  constructor(private readonly ctx: NotifierEnv, private readonly channel: NotifyChannel<R, P>) {}

  /**
   * Starts delivering one notification, applying the faults: `record(faults, status)` makes each copy's record
   * (two copies when duplicated, none sent when dropped); `payload` is what every attempt is built from.
   */
  start(record: (faults: NotifyFault[], status: NotificationBase['status']) => R, payload: P): void {
    if (this.closed)
      return
    const { faults, random } = this.ctx
    if (chance(faults.dropNotifyRate, random)) {
      const dropped = record(['drop'], 'dropped')
      this.channel.ledger.addNotification(dropped)
      this.ctx.log({ out_trade_no: dropped.out_trade_no }, `${this.channel.label}: dropped (fault)`)
      return
    }
    const duplicate = chance(faults.duplicateNotifyRate, random)
    const delayMs = chance(faults.delayNotifyRate, random) ? faults.delayNotifyMs : 0
    const corrupt = chance(faults.corruptNotifyRate, random)
    const copies = duplicate ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const applied: NotifyFault[] = []
      if (duplicate)
        applied.push('duplicate')
      if (delayMs > 0)
        applied.push('delay')
      if (corrupt && copy === 0)
        applied.push('corrupt')
      const r = record(applied, 'pending')
      this.channel.ledger.addNotification(r)
      this.schedule(r, payload, 1, delayMs + copy * 20)
    }
  }

  /** One attempt now, never retried (signature probes); `override` replaces request headers. */
  async sendOnce(r: R, payload: P, override: Record<string, string> = {}): Promise<DeliveryAttempt> {
    this.channel.ledger.addNotification(r)
    const attempt = await this.send(r, payload, 1, false, override)
    r.status = attempt.acknowledged ? 'acknowledged' : 'failed'
    return attempt
  }

  /** Stops every pending retry and aborts requests in flight. */
  async close(): Promise<void> {
    this.closed = true
    for (const t of this.timers)
      clearTimeout(t)
    this.timers.clear()
    for (const ac of this.inflight)
      ac.abort()
    this.inflight.clear()
    for (const r of this.channel.ledger.allNotifications()) {
      if (r.status === 'pending') {
        r.status = 'stopped'
        delete r.next_attempt_at
      }
    }
  }

  private schedule(r: R, payload: P, n: number, delayMs: number): void {
    if (this.closed)
      return
    r.next_attempt_at = new Date(Date.now() + delayMs).toISOString()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void this.deliver(r, payload, n)
    }, delayMs)
    timer.unref?.()
    this.timers.add(timer)
  }

  private async deliver(r: R, payload: P, n: number): Promise<void> {
    if (this.closed)
      return
    const attempt = await this.send(r, payload, n, n === 1 && r.faults.includes('corrupt'))
    if (this.closed)
      return
    if (attempt.acknowledged) {
      r.status = 'acknowledged'
      delete r.next_attempt_at
      return
    }
    const wait = this.channel.retrySchedule[n - 1]
    if (wait === undefined) {
      r.status = 'failed'
      delete r.next_attempt_at
      this.ctx.log({ out_trade_no: r.out_trade_no }, `${this.channel.label}: gave up after the last retry`)
      return
    }
    this.schedule(r, payload, n + 1, Math.round(wait * 1000 * this.ctx.timeScale))
  }

  /** One POST; records the attempt. */
  private async send(r: R, payload: P, n: number, corrupt: boolean, override: Record<string, string> = {}): Promise<DeliveryAttempt> {
    const { headers, body } = this.channel.request(r, payload, n, corrupt)
    const started = Date.now()
    const ac = new AbortController()
    this.inflight.add(ac)
    const timeout = setTimeout(() => ac.abort(), NOTIFY_REPLY_TIMEOUT_MS)
    const attempt: DeliveryAttempt = { n, at: new Date(started).toISOString(), acknowledged: false, duration_ms: 0 }
    if (corrupt)
      attempt.corrupted = true
    try {
      const res = await fetch(r.notify_url, { method: 'POST', headers: { 'User-Agent': 'Mozilla/4.0', ...headers, ...override }, body, signal: ac.signal, redirect: 'manual' })
      const reply = await res.text()
      attempt.http_status = res.status
      attempt.reply = reply.slice(0, 64)
      attempt.acknowledged = this.channel.acknowledged(res.status, reply)
    }
    catch (err) {
      attempt.error = ac.signal.aborted && !this.closed ? `no reply within ${NOTIFY_REPLY_TIMEOUT_MS} ms` : String((err as Error).cause ?? (err as Error).message)
    }
    finally {
      clearTimeout(timeout)
      this.inflight.delete(ac)
    }
    attempt.duration_ms = Date.now() - started
    r.attempts.push(attempt)
    this.channel.ledger.count(r.out_trade_no, 'notify_attempts')
    this.ctx.log({ out_trade_no: r.out_trade_no, attempt: n, http_status: attempt.http_status, error: attempt.error }, `${this.channel.label}: attempt`)
    return attempt
  }
}
