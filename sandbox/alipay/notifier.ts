/**
 * Alipay async notifications (`notify_type=trade_status_sync`) over the shared delivery (../core/notifier.ts): a
 * form-encoded POST signed per attempt (fresh notify_time; sign over the sorted parameters without sign and
 * sign_type, Alipay private key), acknowledged only by the exact reply body `success`, retried on Alipay's schedule.
 * A refund is announced on the same channel: the trade's fields plus `out_biz_no`, `refund_fee` and `gmt_refund`.
 */
import type { SandboxContext } from '../context'
import type { NotificationBase } from '../core/notifier'
import type { AlipayNotificationRecord, AliTradeStatus } from './store'
import { Notifier } from '../core/notifier'
import { beijingDateTime, newNotifyId } from './ids'
import { signNotify } from './sign'

/** Seconds between attempts after a failed one: 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 attempts in about 25 h). */
export const ALIPAY_RETRY_SCHEDULE_S = [240, 600, 600, 3600, 7200, 21600, 54000]

/** What to deliver: the unsigned notification parameters (notify_time and sign are added per attempt). */
export interface AlipayNotificationInput {
  outTradeNo: string
  notifyUrl: string
  tradeStatus: AliTradeStatus
  params: Record<string, string>
  /** Refund notifications: the out_request_no they are about. */
  outBizNo?: string
}

export class AlipayNotifier {
  private readonly notifier: Notifier<AlipayNotificationRecord, Record<string, string>>

  constructor(ctx: SandboxContext) {
    this.notifier = new Notifier(ctx, {
      label: 'alipay notify',
      retrySchedule: ALIPAY_RETRY_SCHEDULE_S,
      ledger: ctx.store.alipay.trades,
      request: (_record, params, _n, corrupt) => {
        const signed: Record<string, string> = { ...params, notify_time: beijingDateTime() }
        signed.sign = signNotify(signed, ctx.keys.alipay.alipayPrivateKeyPem)
        if (corrupt)
          signed.total_amount = corruptAmount(signed.total_amount)
        return { headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(signed).toString() }
      },
      acknowledged: (status, reply) => status === 200 && reply === 'success',
    })
  }

  /** Starts delivering a trade notification (a payment, or a refund with out_biz_no), applying the faults. */
  notifyPaid(input: AlipayNotificationInput): void {
    const notifyId = newNotifyId()
    this.notifier.start((faults, status: NotificationBase['status']): AlipayNotificationRecord => ({
      notify_id: notifyId,
      out_trade_no: input.outTradeNo,
      trade_status: input.tradeStatus,
      ...(input.outBizNo ? { out_biz_no: input.outBizNo } : {}),
      faults,
      status,
      notify_url: input.notifyUrl,
      created_at: new Date().toISOString(),
      attempts: [],
    }), { ...input.params, notify_id: notifyId })
  }

  close(): Promise<void> {
    return this.notifier.close()
  }
}

/** Alters total_amount after signing (e.g. "1.00" → "1.01"), so the signature no longer matches. */
export function corruptAmount(amount: string | undefined): string {
  if (!amount)
    return '0.01'
  const last = amount.at(-1)
  return `${amount.slice(0, -1)}${last === '9' ? '0' : String(Number(last) + 1)}`
}
