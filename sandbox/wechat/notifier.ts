/**
 * Delivers WeChat Pay v3 payment notifications: encrypts the transaction (AEAD_AES_256_GCM, APIv3 key), signs each
 * attempt with the platform key (fresh timestamp and nonce), POSTs it to notify_url, and retries on the official
 * schedule (multiplied by timeScale) until a 200/204 reply. Applies the notification faults and keeps a log.
 */
import type { SandboxContext } from '../context'
import type { DeliveryAttempt, NotificationRecord } from '../store'
import { randomBytes } from 'node:crypto'
import { chance } from '../core/faults'
import { newEventId, randomString, rfc3339Beijing } from '../core/ids'
import { aes256GcmEncrypt, SIGNTEST_PREFIX } from './crypto'

/** Seconds between attempts after a failed one: 15 retries, about 24 h 4 min in total. */
export const NOTIFY_RETRY_SCHEDULE_S = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]
/** The merchant must reply within 5 s. */
export const NOTIFY_REPLY_TIMEOUT_MS = 5000
const NOTIFY_USER_AGENT = 'Mozilla/4.0'

/** What to deliver: the decrypted resource is the transaction JSON text. */
export interface NotificationInput {
  outTradeNo: string
  notifyUrl: string
  transactionJson: string
}

/** Result of a single SIGNTEST probe. */
export interface ProbeResult {
  event_id: string
  http_status?: number
  error?: string
  /** True when the merchant answered anything but 200/204, as it must. */
  rejected: boolean
}

export class WechatNotifier {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly inflight = new Set<AbortController>()
  private closed = false

  constructor(private readonly ctx: SandboxContext) {}

  /** The encrypted TRANSACTION.SUCCESS event body, as text. */
  buildBody(eventId: string, transactionJson: string): string {
    const nonce = randomString(12)
    const apiV3Key = this.ctx.keys.wechat.apiV3Key
    return JSON.stringify({
      id: eventId,
      create_time: rfc3339Beijing(),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aes256GcmEncrypt(transactionJson, apiV3Key, nonce, 'transaction'),
        associated_data: 'transaction',
        nonce,
      },
    })
  }

  /** Starts delivering the payment notification of a just-paid order, applying the faults. */
  notifyPaid(input: NotificationInput): void {
    if (this.closed)
      return
    const { faults, random } = this.ctx
    const eventId = newEventId()
    const body = this.buildBody(eventId, input.transactionJson)
    if (chance(faults.dropNotifyRate, random)) {
      this.ctx.store.addNotification(this.newRecord(eventId, input, ['drop'], 'dropped'))
      this.ctx.log({ out_trade_no: input.outTradeNo, event_id: eventId }, 'wechatpay notify: dropped (fault)')
      return
    }
    const duplicate = chance(faults.duplicateNotifyRate, random)
    const delayMs = chance(faults.delayNotifyRate, random) ? faults.delayNotifyMs : 0
    const corrupt = chance(faults.corruptNotifyRate, random)
    const copies = duplicate ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const applied: NotificationRecord['faults'] = []
      if (duplicate)
        applied.push('duplicate')
      if (delayMs > 0)
        applied.push('delay')
      if (corrupt && copy === 0)
        applied.push('corrupt')
      const record = this.newRecord(eventId, input, applied, 'pending')
      this.ctx.store.addNotification(record)
      this.schedule(record, body, 1, delayMs + copy * 20)
    }
  }

  /**
   * Sends one notification whose signature is a deliberate `WECHATPAY/SIGNTEST/` probe (never retried)
   * and reports whether the merchant rejected it.
   */
  async probe(input: NotificationInput): Promise<ProbeResult> {
    const eventId = newEventId()
    const record = this.newRecord(eventId, input, [], 'pending', 'SIGNTEST')
    this.ctx.store.addNotification(record)
    const attempt = await this.send(record, this.buildBody(eventId, input.transactionJson), 1, { signtest: true })
    record.status = attempt.acknowledged ? 'acknowledged' : 'failed'
    return { event_id: eventId, http_status: attempt.http_status, error: attempt.error, rejected: !attempt.acknowledged }
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
    for (const r of this.ctx.store.allNotifications()) {
      if (r.status === 'pending') {
        r.status = 'stopped'
        delete r.next_attempt_at
      }
    }
  }

  private newRecord(
    eventId: string,
    input: NotificationInput,
    faults: NotificationRecord['faults'],
    status: NotificationRecord['status'],
    kind: NotificationRecord['kind'] = 'TRANSACTION.SUCCESS',
  ): NotificationRecord {
    return { event_id: eventId, out_trade_no: input.outTradeNo, kind, faults, status, notify_url: input.notifyUrl, created_at: new Date().toISOString(), attempts: [] }
  }

  private schedule(record: NotificationRecord, body: string, n: number, delayMs: number): void {
    if (this.closed)
      return
    record.next_attempt_at = new Date(Date.now() + delayMs).toISOString()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void this.deliver(record, body, n)
    }, delayMs)
    timer.unref?.()
    this.timers.add(timer)
  }

  private async deliver(record: NotificationRecord, body: string, n: number): Promise<void> {
    if (this.closed)
      return
    const attempt = await this.send(record, body, n, { corrupt: n === 1 && record.faults.includes('corrupt') })
    if (this.closed)
      return
    if (attempt.acknowledged) {
      record.status = 'acknowledged'
      delete record.next_attempt_at
      return
    }
    const wait = NOTIFY_RETRY_SCHEDULE_S[n - 1]
    if (wait === undefined) {
      record.status = 'failed'
      delete record.next_attempt_at
      this.ctx.log({ out_trade_no: record.out_trade_no, event_id: record.event_id }, 'wechatpay notify: gave up after the last retry')
      return
    }
    this.schedule(record, body, n + 1, Math.round(wait * 1000 * this.ctx.timeScale))
  }

  /** One signed POST; records the attempt. */
  private async send(record: NotificationRecord, body: string, n: number, opts: { corrupt?: boolean, signtest?: boolean }): Promise<DeliveryAttempt> {
    const headers: Record<string, string> = {
      ...this.ctx.wechatSigner.notificationHeaders(body),
      'Content-Type': 'application/json',
      'User-Agent': NOTIFY_USER_AGENT,
    }
    if (opts.signtest)
      headers['Wechatpay-Signature'] = `${SIGNTEST_PREFIX}${randomBytes(256).toString('base64')}`
    const sentBody = opts.corrupt ? corruptCiphertext(body) : body
    const started = Date.now()
    const ac = new AbortController()
    this.inflight.add(ac)
    const timeout = setTimeout(() => ac.abort(), NOTIFY_REPLY_TIMEOUT_MS)
    const attempt: DeliveryAttempt = { n, at: new Date(started).toISOString(), acknowledged: false, duration_ms: 0 }
    if (opts.corrupt)
      attempt.corrupted = true
    try {
      const res = await fetch(record.notify_url, { method: 'POST', headers, body: sentBody, signal: ac.signal, redirect: 'manual' })
      await res.arrayBuffer()
      attempt.http_status = res.status
      attempt.acknowledged = res.status === 200 || res.status === 204
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
    this.ctx.store.count(record.out_trade_no, 'notify_attempts')
    this.ctx.log({ out_trade_no: record.out_trade_no, event_id: record.event_id, attempt: n, http_status: attempt.http_status, error: attempt.error, kind: record.kind }, 'wechatpay notify: attempt')
    return attempt
  }
}

/** Changes one character of resource.ciphertext in the body text (after signing, so the signature no longer matches). */
export function corruptCiphertext(body: string): string {
  const marker = '"ciphertext":"'
  const at = body.indexOf(marker)
  if (at < 0)
    return `${body} `
  const i = at + marker.length + 5
  const replacement = body[i] === 'A' ? 'B' : 'A'
  return `${body.slice(0, i)}${replacement}${body.slice(i + 1)}`
}
