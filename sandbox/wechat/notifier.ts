/**
 * WeChat Pay v3 notifications over the shared delivery (../core/notifier.ts): the resource (a transaction, or a
 * refund) encrypted with AEAD_AES_256_GCM under the APIv3 key, every attempt signed with the platform key (fresh
 * timestamp and nonce), acknowledged by 200/204, retried on WeChat's schedule. Also the `WECHATPAY/SIGNTEST/`
 * probe that a merchant must refuse.
 */
import type { SandboxContext } from '../context'
import type { NotificationBase } from '../core/notifier'
import type { NotificationRecord } from './types'
import { randomBytes } from 'node:crypto'
import { newEventId, randomString, rfc3339Beijing } from '../core/ids'
import { Notifier } from '../core/notifier'
import { aes256GcmEncrypt, SIGNTEST_PREFIX } from './crypto'

/** Seconds between attempts after a failed one: 15 retries, about 24 h 4 min in total. */
export const NOTIFY_RETRY_SCHEDULE_S = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]

export type WechatEventType = 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED'

/** What to deliver: the decrypted resource is `resourceJson` (a transaction or a refund object). */
export interface NotificationInput {
  outTradeNo: string
  notifyUrl: string
  /** The transaction JSON text of a payment notification. */
  transactionJson: string
}

export interface RefundNotificationInput {
  outTradeNo: string
  outRefundNo: string
  notifyUrl: string
  eventType: Exclude<WechatEventType, 'TRANSACTION.SUCCESS'>
  refundJson: string
}

/** Result of a single SIGNTEST probe. */
export interface ProbeResult {
  event_id: string
  http_status?: number
  error?: string
  /** True when the merchant answered anything but 200/204, as it must. */
  rejected: boolean
}

const SUMMARIES: Record<WechatEventType, string> = {
  'TRANSACTION.SUCCESS': '支付成功',
  'REFUND.SUCCESS': '退款成功',
  'REFUND.ABNORMAL': '退款异常',
  'REFUND.CLOSED': '退款关闭',
}

export class WechatNotifier {
  private readonly notifier: Notifier<NotificationRecord, string>

  constructor(private readonly ctx: SandboxContext) {
    this.notifier = new Notifier(ctx, {
      label: 'wechatpay notify',
      retrySchedule: NOTIFY_RETRY_SCHEDULE_S,
      ledger: ctx.store.wxOrders,
      request: (_record, body, _n, corrupt) => ({
        headers: { ...ctx.wechatSigner.notificationHeaders(body), 'Content-Type': 'application/json' },
        body: corrupt ? corruptCiphertext(body) : body,
      }),
      acknowledged: status => status === 200 || status === 204,
    })
  }

  /** The encrypted event body, as text. */
  buildBody(eventId: string, eventType: WechatEventType, resourceJson: string): string {
    const nonce = randomString(12)
    const originalType = eventType === 'TRANSACTION.SUCCESS' ? 'transaction' : 'refund'
    return JSON.stringify({
      id: eventId,
      create_time: rfc3339Beijing(),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: SUMMARIES[eventType],
      resource: {
        original_type: originalType,
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aes256GcmEncrypt(resourceJson, this.ctx.keys.wechat.apiV3Key, nonce, originalType),
        associated_data: originalType,
        nonce,
      },
    })
  }

  /** Starts delivering the payment notification of a just-paid order, applying the faults. */
  notifyPaid(input: NotificationInput): void {
    const eventId = newEventId()
    this.notifier.start(this.record(eventId, input, 'TRANSACTION.SUCCESS'), this.buildBody(eventId, 'TRANSACTION.SUCCESS', input.transactionJson))
  }

  /** Starts delivering a refund's notification (REFUND.SUCCESS / ABNORMAL / CLOSED), applying the faults. */
  notifyRefund(input: RefundNotificationInput): void {
    const eventId = newEventId()
    this.notifier.start(this.record(eventId, input, input.eventType, input.outRefundNo), this.buildBody(eventId, input.eventType, input.refundJson))
  }

  /**
   * Sends one notification whose signature is a deliberate `WECHATPAY/SIGNTEST/` probe (never retried)
   * and reports whether the merchant rejected it.
   */
  async probe(input: NotificationInput): Promise<ProbeResult> {
    const eventId = newEventId()
    const record = this.record(eventId, input, 'SIGNTEST')([], 'pending')
    const attempt = await this.notifier.sendOnce(record, this.buildBody(eventId, 'TRANSACTION.SUCCESS', input.transactionJson), {
      'Wechatpay-Signature': `${SIGNTEST_PREFIX}${randomBytes(256).toString('base64')}`,
    })
    return { event_id: eventId, http_status: attempt.http_status, error: attempt.error, rejected: !attempt.acknowledged }
  }

  close(): Promise<void> {
    return this.notifier.close()
  }

  private record(eventId: string, input: { outTradeNo: string, notifyUrl: string }, kind: NotificationRecord['kind'], outRefundNo?: string) {
    return (faults: NotificationRecord['faults'], status: NotificationBase['status']): NotificationRecord => ({
      event_id: eventId,
      out_trade_no: input.outTradeNo,
      ...(outRefundNo ? { out_refund_no: outRefundNo } : {}),
      kind,
      faults,
      status,
      notify_url: input.notifyUrl,
      created_at: new Date().toISOString(),
      attempts: [],
    })
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
