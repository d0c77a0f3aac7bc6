/**
 * Refunds: the merchant asks (full or partial, several partials up to the paid amount), or the server sends a
 * duplicate payment back. A refund is recorded first (so it is never forgotten), sent to the provider with our
 * out_refund_no (so a retry refunds once), and settled by the provider's answer, its refund notification, or a query
 * when the answer is late. The worker claims due refunds row by row (next_check_at), so processes share the work.
 */
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { RefundRow } from '../merchant/views'
import type { OrderTransitions } from '../orders/transitions'
import type { Providers } from '../providers/registry'
import type { RefundFacts } from '../providers/types'
import { sql } from 'kysely'
import { HttpError } from '../http/errors'
import { newRefundId, newRefundNo } from '../orders/ids'
import { ProviderError } from '../providers/errors'

export interface RefundDeps {
  db: Db
  log: Logger
  providers: Providers
  transitions: OrderTransitions
  publicUrl: string
  /** Seconds before a processing refund is asked about; doubles with every try, at most an hour. */
  checkSeconds: number
}

/**
 * A refund just recorded is sent by its caller at once (RefundWorker.submit): the worker leaves it alone this long, so
 * the two never send it side by side. It takes it up after that only if the caller died before an answer.
 */
const SENDING_SECONDS = 60

/**
 * Records a merchant refund of `orderNo` after checking it against what remains: the order must be paid (409
 * order_not_paid), not fully refunded (409 order_fully_refunded), and the amount at most what is not yet refunded or
 * being refunded (409 refund_exceeds_remaining). Done under the order's row lock, so two refunds cannot both take
 * the last fen.
 */
export async function createRefund(db: Db, orderNo: string, input: { amountFen?: number, reason?: string, idempotencyKey?: string }): Promise<RefundRow> {
  return db.transaction().execute(async (trx) => {
    const order = await trx.selectFrom('orders').selectAll().where('order_no', '=', orderNo).forUpdate().executeTakeFirst()
    if (!order)
      throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
    if (order.status === 'refunded')
      throw new HttpError(409, 'order_fully_refunded', 'this order is already refunded in full')
    if (order.status !== 'paid' || !order.paid_attempt_id)
      throw new HttpError(409, 'order_not_paid', `only a paid order can be refunded; this one is ${order.status}`)
    const committed = await trx.selectFrom('refunds')
      .select(eb => eb.fn.coalesce(eb.fn.sum<number>('amount_fen'), sql<number>`0`).as('fen'))
      .where('order_no', '=', orderNo)
      .where('kind', '=', 'merchant')
      .where('status', '<>', 'failed')
      .executeTakeFirstOrThrow()
    const remaining = order.amount_fen - Number(committed.fen)
    const amount = input.amountFen ?? remaining
    if (remaining <= 0)
      throw new HttpError(409, 'refund_exceeds_remaining', 'the whole amount is already refunded or being refunded')
    if (amount > remaining)
      throw new HttpError(409, 'refund_exceeds_remaining', `at most ${remaining} fen remain to refund (asked ${amount})`, { remainingFen: remaining })
    return trx.insertInto('refunds').values({
      id: newRefundId(),
      order_no: orderNo,
      attempt_id: order.paid_attempt_id,
      out_refund_no: newRefundNo(),
      amount_fen: amount,
      reason: input.reason?.trim() || '退款 (refund)',
      kind: 'merchant',
      status: 'pending',
      idempotency_key: input.idempotencyKey ?? null,
      next_check_at: sql<Date>`now() + make_interval(secs => ${SENDING_SECONDS})`,
    }).returningAll().executeTakeFirstOrThrow()
  })
}

export class RefundWorker {
  private running: Promise<number> | undefined

  constructor(private readonly deps: RefundDeps) {}

  /** Sends a pending refund now (right after it was recorded) and settles it by the provider's answer. */
  async submit(refund: RefundRow): Promise<void> {
    const { db, providers, log } = this.deps
    const attempt = await db.selectFrom('payment_attempts').innerJoin('orders', 'orders.order_no', 'payment_attempts.order_no').select(['payment_attempts.out_trade_no', 'payment_attempts.provider', 'orders.amount_fen']).where('payment_attempts.id', '=', refund.attempt_id).executeTakeFirstOrThrow()
    const adapter = providers.byName(attempt.provider)
    if (!adapter)
      return
    let facts: RefundFacts
    try {
      facts = await adapter.refund({
        outTradeNo: attempt.out_trade_no,
        outRefundNo: refund.out_refund_no,
        refundFen: refund.amount_fen,
        totalFen: attempt.amount_fen,
        reason: refund.reason,
        notifyUrl: `${this.deps.publicUrl}/api/notify/${adapter.notifyPath}`,
      })
    }
    catch (e) {
      if (!(e instanceof ProviderError))
        throw e
      if (e.retryable) {
        log.warn({ refundId: refund.id, code: e.providerCode }, 'the provider did not answer the refund; it is sent again later with the same refund number')
        // Sent by its caller right after it was recorded (the worker has not tried it yet): due for the worker now.
        if (refund.tries === 0)
          await db.updateTable('refunds').set({ next_check_at: sql`now() + make_interval(secs => ${this.deps.checkSeconds})` }).where('id', '=', refund.id).where('status', '=', 'pending').execute()
        return
      }
      log.error({ refundId: refund.id, code: e.providerCode, err: e.message }, 'the provider refused the refund')
      await this.deps.transitions.settleRefund(refund.out_refund_no, { state: 'failed', failure: `${e.providerCode}: ${e.message}` })
      return
    }
    await this.settle(refund, facts)
  }

  /** Runs one pass: sends due pending refunds again and asks about processing ones. Resolves with how many. */
  tick(limit = 20): Promise<number> {
    this.running ??= this.pass(limit).finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async pass(limit: number): Promise<number> {
    const base = this.deps.checkSeconds
    const claimed = await this.deps.db.updateTable('refunds')
      .set({ next_check_at: sql`now() + make_interval(secs => least(3600, ${base} * power(2, tries)))`, tries: sql`tries + 1`, updated_at: sql`now()` })
      .where('id', 'in', eb => eb.selectFrom('refunds as r').select('r.id').where('r.status', 'in', ['pending', 'processing']).where('r.next_check_at', '<=', sql<Date>`now()`).orderBy('r.next_check_at').limit(limit))
      .returningAll()
      .execute()
    for (const refund of claimed) {
      try {
        if (refund.status === 'pending')
          await this.submit(refund)
        else
          await this.check(refund)
      }
      catch (e) {
        this.deps.log.warn({ refundId: refund.id, err: (e as Error).message }, 'refund work failed; tried again later')
      }
    }
    return claimed.length
  }

  /** Asks the provider about a processing refund; one it never received is sent again (same refund number). */
  private async check(refund: RefundRow): Promise<void> {
    const attempt = await this.deps.db.selectFrom('payment_attempts').select(['out_trade_no', 'provider']).where('id', '=', refund.attempt_id).executeTakeFirstOrThrow()
    const adapter = this.deps.providers.byName(attempt.provider)
    if (!adapter)
      return
    const facts = await adapter.queryRefund(attempt.out_trade_no, refund.out_refund_no).catch((e: unknown) => {
      if (e instanceof ProviderError)
        return undefined
      throw e
    })
    if (facts === null)
      return this.submit(refund)
    if (facts)
      await this.settle(refund, facts)
  }

  private async settle(refund: RefundRow, facts: RefundFacts): Promise<void> {
    if (facts.outRefundNo !== refund.out_refund_no || (facts.amountFen !== undefined && facts.amountFen !== refund.amount_fen)) {
      this.deps.log.error({ refundId: refund.id, facts }, 'the provider\'s refund answer does not match the refund')
      return
    }
    const next = new Date(Date.now() + this.deps.checkSeconds * 1000)
    await this.deps.transitions.settleRefund(refund.out_refund_no, facts, next)
  }
}
