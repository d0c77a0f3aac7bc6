/**
 * Delivers Alipay async notifications (`notify_type=trade_status_sync`): a form-encoded POST to notify_url, signed
 * per attempt (fresh notify_time; sign over the sorted parameters without sign and sign_type, Alipay private key),
 * acknowledged only by the exact reply body `success`, retried on the official schedule (× timeScale).
 * Applies the same notification faults as WeChat (drop, duplicate, delay, corrupt) and keeps a log.
 */
import type { SandboxContext } from '../context'
import type { AlipayDeliveryAttempt, AlipayNotificationRecord, AliTradeStatus } from './store'
import { chance } from '../core/faults'
import { NOTIFY_REPLY_TIMEOUT_MS } from '../wechat/notifier'
import { beijingDateTime, newNotifyId } from './ids'
import { signNotify } from './sign'

/** Seconds between attempts after a failed one: 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 attempts in about 25 h). */
export const ALIPAY_RETRY_SCHEDULE_S = [240, 600, 600, 3600, 7200, 21600, 54000]
const NOTIFY_USER_AGENT = 'Mozilla/4.0'

/** What to deliver: the unsigned notification parameters (notify_time and sign are added per attempt). */
export interface AlipayNotificationInput {
  outTradeNo: string
  notifyUrl: string
  tradeStatus: AliTradeStatus
  params: Record<string, string>
}

export class AlipayNotifier {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly inflight = new Set<AbortController>()
  private closed = false

  constructor(private readonly ctx: SandboxContext) {}

  /** Starts delivering a trade notification, applying the faults. */
  notifyPaid(input: AlipayNotificationInput): void {
    if (this.closed)
      return
    const { faults, random } = this.ctx
    const notifyId = newNotifyId()
    const params = { ...input.params, notify_id: notifyId }
    if (chance(faults.dropNotifyRate, random)) {
      this.ctx.store.alipay.addNotification(this.newRecord(notifyId, input, ['drop'], 'dropped'))
      this.ctx.log({ out_trade_no: input.outTradeNo, notify_id: notifyId }, 'alipay notify: dropped (fault)')
      return
    }
    const duplicate = chance(faults.duplicateNotifyRate, random)
    const delayMs = chance(faults.delayNotifyRate, random) ? faults.delayNotifyMs : 0
    const corrupt = chance(faults.corruptNotifyRate, random)
    const copies = duplicate ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const applied: AlipayNotificationRecord['faults'] = []
      if (duplicate)
        applied.push('duplicate')
      if (delayMs > 0)
        applied.push('delay')
      if (corrupt && copy === 0)
        applied.push('corrupt')
      const record = this.newRecord(notifyId, input, applied, 'pending')
      this.ctx.store.alipay.addNotification(record)
      this.schedule(record, params, 1, delayMs + copy * 20)
    }
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
    for (const r of this.ctx.store.alipay.allNotifications()) {
      if (r.status === 'pending') {
        r.status = 'stopped'
        delete r.next_attempt_at
      }
    }
  }

  private newRecord(
    notifyId: string,
    input: AlipayNotificationInput,
    faults: AlipayNotificationRecord['faults'],
    status: AlipayNotificationRecord['status'],
  ): AlipayNotificationRecord {
    return { notify_id: notifyId, out_trade_no: input.outTradeNo, trade_status: input.tradeStatus, faults, status, notify_url: input.notifyUrl, created_at: new Date().toISOString(), attempts: [] }
  }

  private schedule(record: AlipayNotificationRecord, params: Record<string, string>, n: number, delayMs: number): void {
    if (this.closed)
      return
    record.next_attempt_at = new Date(Date.now() + delayMs).toISOString()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void this.deliver(record, params, n)
    }, delayMs)
    timer.unref?.()
    this.timers.add(timer)
  }

  private async deliver(record: AlipayNotificationRecord, params: Record<string, string>, n: number): Promise<void> {
    if (this.closed)
      return
    const attempt = await this.send(record, params, n, n === 1 && record.faults.includes('corrupt'))
    if (this.closed)
      return
    if (attempt.acknowledged) {
      record.status = 'acknowledged'
      delete record.next_attempt_at
      return
    }
    const wait = ALIPAY_RETRY_SCHEDULE_S[n - 1]
    if (wait === undefined) {
      record.status = 'failed'
      delete record.next_attempt_at
      this.ctx.log({ out_trade_no: record.out_trade_no, notify_id: record.notify_id }, 'alipay notify: gave up after the last retry')
      return
    }
    this.schedule(record, params, n + 1, Math.round(wait * 1000 * this.ctx.timeScale))
  }

  /** One signed form POST; records the attempt. */
  private async send(record: AlipayNotificationRecord, params: Record<string, string>, n: number, corrupt: boolean): Promise<AlipayDeliveryAttempt> {
    const signed: Record<string, string> = { ...params, notify_time: beijingDateTime() }
    signed.sign = signNotify(signed, this.ctx.keys.alipay.alipayPrivateKeyPem)
    if (corrupt)
      signed.total_amount = corruptAmount(signed.total_amount)
    const started = Date.now()
    const ac = new AbortController()
    this.inflight.add(ac)
    const timeout = setTimeout(() => ac.abort(), NOTIFY_REPLY_TIMEOUT_MS)
    const attempt: AlipayDeliveryAttempt = { n, at: new Date(started).toISOString(), acknowledged: false, duration_ms: 0 }
    if (corrupt)
      attempt.corrupted = true
    try {
      const res = await fetch(record.notify_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': NOTIFY_USER_AGENT },
        body: new URLSearchParams(signed).toString(),
        signal: ac.signal,
        redirect: 'manual',
      })
      const reply = await res.text()
      attempt.http_status = res.status
      attempt.reply = reply.slice(0, 64)
      attempt.acknowledged = res.status === 200 && reply === 'success'
    }
    catch (err) {
      attempt.error = ac.signal.aborted && !this.closed ? `no reply within ${NOTIFY_REPLY_TIMEOUT_MS} ms` : String((err as Error).cause ?? (err as Error).message)
    }
    finally {
      clearTimeout(timeout)
      this.inflight.delete(ac)
    }
    attempt.duration_ms = Date.now() - started
    record.attempts.push(attempt)
    this.ctx.store.alipay.count(record.out_trade_no, 'notify_attempts')
    this.ctx.log({ out_trade_no: record.out_trade_no, notify_id: record.notify_id, attempt: n, http_status: attempt.http_status, error: attempt.error }, 'alipay notify: attempt')
    return attempt
  }
}

/** Alters total_amount after signing (e.g. "1.00" → "1.01"), so the signature no longer matches. */
export function corruptAmount(amount: string | undefined): string {
  if (!amount)
    return '0.01'
  const last = amount.at(-1)
  return `${amount.slice(0, -1)}${last === '9' ? '0' : String(Number(last) + 1)}`
}
