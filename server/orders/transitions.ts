import type { Db } from '../db'
import type { Logger } from '../logger'
import type { RefundState } from '../providers/types'
import type { OrderRow } from './views'
import { EventEmitter } from 'node:events'
import { sql } from 'kysely'
import { recordEvent } from '../events/outbox'
import { newRefundId, newRefundNo } from './ids'
import { announceStatusChange } from './status-bus'

/** Emitted in this process after the transaction that made an order paid has committed (the outbox is the durable path). */
export interface OrderPaidEvent {
  orderNo: string
  amountFen: number
  attemptId: string
  providerTxnId: string | null
  paidAt: string
}

/**
 * - `applied`: this payment made the order paid;
 * - `already_paid`: this attempt had already paid the order (a repeated notification or a query racing one);
 * - `duplicate`: a payment of an order that was already paid, closed or expired: recorded, refunded (by the rule),
 *   announced as `payment.duplicate`;
 * - `not_found`: no such attempt.
 */
export type PaidOutcome = 'applied' | 'already_paid' | 'duplicate' | 'not_found'

export interface TransitionRules {
  publicUrl: string
  /** Refund a second payment of one order (and a payment after close or expiry) automatically. */
  autoRefundDuplicates: boolean
  /** A payment that lands on an order closed by expiry or by the merchant: refund it, or make the order paid. */
  latePayments: 'refund' | 'fulfil'
}

export type RefundSettlement = 'succeeded' | 'failed' | 'processing' | 'unchanged' | 'not_found'

const DUPLICATE_REASON = '重复支付退款 (duplicate payment refund)'

/** The only code that moves an order or a refund; each move is a conditional update inside a transaction, so it happens once. */
export class OrderTransitions {
  /** `order.paid` (OrderPaidEvent) and `refund.created` (refund id), after commit, in this process. */
  readonly events = new EventEmitter()

  constructor(private readonly db: Db, private readonly log: Logger, private readonly rules: TransitionRules) {}

  /**
   * The provider says attempt `outTradeNo` is paid. pending → paid (the attempt becomes `succeeded` in the same
   * transaction); a second call changes nothing. A payment of an order that is no longer pending is never dropped:
   * the attempt is recorded as succeeded, a refund is queued (AUTO_REFUND_DUPLICATES) and `payment.duplicate` is
   * announced — unless LATE_PAYMENTS=fulfil and the order was only closed, which makes it paid.
   */
  async markPaid(outTradeNo: string, providerTxnId: string | null, paidAt: Date): Promise<PaidOutcome> {
    const result = await this.db.transaction().execute(async (trx) => {
      const attempt = await trx.selectFrom('payment_attempts').selectAll().where('out_trade_no', '=', outTradeNo).forUpdate().executeTakeFirst()
      if (!attempt)
        return { outcome: 'not_found' as const }
      const order = await trx.selectFrom('orders').selectAll().where('order_no', '=', attempt.order_no).forUpdate().executeTakeFirstOrThrow()
      if (attempt.status === 'succeeded')
        return { outcome: order.paid_attempt_id === attempt.id ? 'already_paid' as const : 'duplicate' as const }
      const paid = await trx.updateTable('payment_attempts')
        .set({ status: 'succeeded', provider_txn_id: providerTxnId, paid_at: paidAt, updated_at: sql`now()` })
        .where('id', '=', attempt.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      if (order.status === 'pending' || (order.status === 'closed' && this.rules.latePayments === 'fulfil')) {
        const updated = await trx.updateTable('orders')
          .set({ status: 'paid', paid_at: paidAt, paid_attempt_id: attempt.id, closed_at: null, closed_reason: null, updated_at: sql`now()` })
          .where('order_no', '=', order.order_no)
          .returningAll()
          .executeTakeFirstOrThrow()
        await recordEvent(trx, this.rules.publicUrl, 'order.paid', updated, { attempt: paid })
        await announceStatusChange(trx, order.order_no)
        const event: OrderPaidEvent = { orderNo: order.order_no, amountFen: order.amount_fen, attemptId: attempt.id, providerTxnId, paidAt: paidAt.toISOString() }
        return { outcome: 'applied' as const, event, late: order.status === 'closed' }
      }
      // The partial index's predicate as a literal: PostgreSQL matches ON CONFLICT to a partial unique index only by a
      // predicate it can prove, and a parameter proves nothing in a prepared statement (server/db/pglite-dialect.ts).
      const refund = this.rules.autoRefundDuplicates
        ? await trx.insertInto('refunds').values({
            id: newRefundId(),
            order_no: order.order_no,
            attempt_id: attempt.id,
            out_refund_no: newRefundNo(),
            amount_fen: order.amount_fen,
            reason: DUPLICATE_REASON,
            kind: 'duplicate',
            status: 'pending',
          }).onConflict(oc => oc.column('attempt_id').where('kind', '=', sql.lit('duplicate')).doNothing()).returningAll().executeTakeFirst()
        : undefined
      await recordEvent(trx, this.rules.publicUrl, 'payment.duplicate', order, { attempt: paid, refund })
      return { outcome: 'duplicate' as const, orderNo: order.order_no, orderStatus: order.status, refundId: refund?.id }
    })
    if (result.outcome === 'applied') {
      this.log.info({ orderNo: result.event.orderNo, outTradeNo, late: result.late }, 'order paid')
      this.events.emit('order.paid', result.event)
    }
    else if (result.outcome === 'duplicate' && 'orderNo' in result) {
      this.log.warn({ orderNo: result.orderNo, outTradeNo, orderStatus: result.orderStatus, refundId: result.refundId }, 'a payment of an order that was not pending: recorded and announced as payment.duplicate')
      if (result.refundId)
        this.events.emit('refund.created', result.refundId)
    }
    return result.outcome
  }

  /** pending → closed, because it expired or the merchant closed it (its attempts are closed by the caller). */
  async close(orderNo: string, reason: 'expired' | 'merchant'): Promise<OrderRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('orders')
        .set({ status: 'closed', closed_at: sql`now()`, closed_reason: reason, updated_at: sql`now()` })
        .where('order_no', '=', orderNo)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst()
      if (row) {
        await recordEvent(trx, this.rules.publicUrl, reason === 'expired' ? 'order.expired' : 'order.closed', row)
        await announceStatusChange(trx, orderNo)
      }
      return row
    })
  }

  /**
   * What the provider says about a refund. `succeeded` adds a merchant refund to the order's refunded amount (the
   * order becomes `refunded` when all of it is) and announces `refund.succeeded`; `failed` announces `refund.failed`;
   * a final refund never moves again.
   */
  async settleRefund(outRefundNo: string, facts: { state: RefundState, providerRefundId?: string, failure?: string, succeededAt?: Date }, nextCheckAt?: Date): Promise<RefundSettlement> {
    const outcome = await this.db.transaction().execute(async (trx): Promise<RefundSettlement> => {
      const refund = await trx.selectFrom('refunds').selectAll().where('out_refund_no', '=', outRefundNo).forUpdate().executeTakeFirst()
      if (!refund)
        return 'not_found'
      if (refund.status === 'succeeded' || refund.status === 'failed') {
        if (facts.state !== refund.status && facts.state !== 'processing')
          this.log.error({ outRefundNo, stored: refund.status, reported: facts.state }, 'the provider reports a different final state for a settled refund')
        return 'unchanged'
      }
      if (facts.state === 'processing') {
        await trx.updateTable('refunds')
          .set({ status: 'processing', provider_refund_id: facts.providerRefundId ?? refund.provider_refund_id, next_check_at: nextCheckAt ?? sql`now() + interval '10 seconds'`, updated_at: sql`now()` })
          .where('id', '=', refund.id)
          .execute()
        return 'processing'
      }
      const settled = await trx.updateTable('refunds')
        .set({
          status: facts.state,
          provider_refund_id: facts.providerRefundId ?? refund.provider_refund_id,
          failure: facts.state === 'failed' ? (facts.failure ?? 'the provider refused the refund') : null,
          succeeded_at: facts.state === 'succeeded' ? (facts.succeededAt ?? new Date()) : null,
          updated_at: sql`now()`,
        })
        .where('id', '=', refund.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      let order = await trx.selectFrom('orders').selectAll().where('order_no', '=', refund.order_no).forUpdate().executeTakeFirstOrThrow()
      if (facts.state === 'succeeded' && refund.kind === 'merchant') {
        const refunded = order.refunded_fen + refund.amount_fen
        order = await trx.updateTable('orders')
          .set({ refunded_fen: refunded, status: refunded >= order.amount_fen ? 'refunded' : order.status, updated_at: sql`now()` })
          .where('order_no', '=', order.order_no)
          .returningAll()
          .executeTakeFirstOrThrow()
        await announceStatusChange(trx, order.order_no)
      }
      await recordEvent(trx, this.rules.publicUrl, facts.state === 'succeeded' ? 'refund.succeeded' : 'refund.failed', order, { refund: settled })
      return facts.state
    })
    if (outcome === 'succeeded' || outcome === 'failed')
      this.log.info({ outRefundNo, outcome }, 'refund settled')
    return outcome
  }
}
