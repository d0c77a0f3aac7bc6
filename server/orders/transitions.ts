import type { OrderStatus } from '../../contract/api'
import type { Db } from '../db'
import type { Logger } from '../logger'
import type { OrderRow } from './views'
import { EventEmitter } from 'node:events'
import { sql } from 'kysely'
import { announceStatusChange } from './status-bus'

/**
 * The merchant's fulfilment hook: emitted once per order after it became paid. The event is
 * written to the `fulfilments` outbox in the transaction that made the order paid, and a process
 * claims it before emitting, so no order is fulfilled twice and a crash after the commit only
 * delays the hook until the next start.
 */
export interface OrderPaidEvent {
  orderNo: string
  amountFen: number
  attemptId: string
  providerTxnId: string | null
  paidAt: string
}

export interface FulfilmentEvents {
  on: (event: 'order.paid', listener: (e: OrderPaidEvent) => void) => void
  off: (event: 'order.paid', listener: (e: OrderPaidEvent) => void) => void
}

export type PaidOutcome = 'applied' | 'already_paid' | 'not_pending'

/** The only code that moves an order; each move is a conditional update, so it happens once. */
export class OrderTransitions {
  readonly events = new EventEmitter()

  constructor(private readonly db: Db, private readonly log: Logger) {}

  /**
   * pending → paid for the attempt `outTradeNo`. The attempt becomes `succeeded` in the same transaction.
   * A second call (duplicate notification, a query racing a notification) changes nothing.
   */
  async markPaid(outTradeNo: string, providerTxnId: string | null, paidAt: Date): Promise<PaidOutcome> {
    const result = await this.db.transaction().execute(async (trx) => {
      const attempt = await trx.selectFrom('payment_attempts').selectAll().where('out_trade_no', '=', outTradeNo).forUpdate().executeTakeFirst()
      if (!attempt)
        return { outcome: 'not_pending' as const }
      if (attempt.status !== 'succeeded') {
        await trx.updateTable('payment_attempts')
          .set({ status: 'succeeded', provider_txn_id: providerTxnId, updated_at: sql`now()` })
          .where('id', '=', attempt.id)
          .execute()
      }
      const order = await trx.updateTable('orders')
        .set({ status: 'paid', paid_at: paidAt, paid_attempt_id: attempt.id, updated_at: sql`now()` })
        .where('order_no', '=', attempt.order_no)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst()
      if (!order) {
        const current = await trx.selectFrom('orders').select(['status', 'paid_attempt_id']).where('order_no', '=', attempt.order_no).executeTakeFirstOrThrow()
        if (current.status === 'paid' && current.paid_attempt_id !== attempt.id)
          this.log.warn({ orderNo: attempt.order_no, attemptId: attempt.id }, 'a second attempt was paid for an order already paid: refund it')
        return { outcome: current.status === 'paid' ? 'already_paid' as const : 'not_pending' as const }
      }
      const event: OrderPaidEvent = {
        orderNo: order.order_no,
        amountFen: order.amount_fen,
        attemptId: attempt.id,
        providerTxnId,
        paidAt: paidAt.toISOString(),
      }
      await trx.insertInto('fulfilments').values({ order_no: order.order_no, event: JSON.stringify(event) }).execute()
      await announceStatusChange(trx, order.order_no)
      return { outcome: 'applied' as const, order }
    })
    if (result.outcome === 'applied') {
      this.log.info({ orderNo: result.order.order_no, outTradeNo }, 'order paid')
      await this.deliver(result.order.order_no)
    }
    return result.outcome
  }

  /** Claims an undelivered fulfilment and runs the hook; a row another process claimed is left alone. */
  async deliver(orderNo: string): Promise<boolean> {
    const claimed = await this.db.updateTable('fulfilments')
      .set({ delivered_at: sql`now()` })
      .where('order_no', '=', orderNo)
      .where('delivered_at', 'is', null)
      .returning('event')
      .executeTakeFirst()
    if (!claimed)
      return false
    try {
      this.events.emit('order.paid', claimed.event as OrderPaidEvent)
    }
    catch (e) {
      this.log.error({ orderNo, err: (e as Error).message }, 'the fulfilment hook failed')
    }
    return true
  }

  /** Delivers what a crash between commit and hook left behind; run at start-up. */
  async deliverPending(): Promise<number> {
    const pending = await this.db.selectFrom('fulfilments').select('order_no').where('delivered_at', 'is', null).execute()
    let n = 0
    for (const { order_no: orderNo } of pending) {
      if (await this.deliver(orderNo))
        n++
    }
    return n
  }

  /** pending → closed|failed (expiry, merchant close). Returns the row when it moved. */
  async close(orderNo: string, to: Extract<OrderStatus, 'closed' | 'failed'>): Promise<OrderRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('orders')
        .set({ status: to, updated_at: sql`now()` })
        .where('order_no', '=', orderNo)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst()
      if (row) {
        await trx.updateTable('payment_attempts').set({ status: 'closed', updated_at: sql`now()` }).where('order_no', '=', orderNo).where('status', '=', 'open').execute()
        await announceStatusChange(trx, orderNo)
      }
      return row
    })
  }

  /** paid → refunded. */
  async markRefunded(outTradeNo: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const attempt = await trx.selectFrom('payment_attempts').select(['order_no', 'id']).where('out_trade_no', '=', outTradeNo).executeTakeFirst()
      if (!attempt)
        return false
      const row = await trx.updateTable('orders')
        .set({ status: 'refunded', updated_at: sql`now()` })
        .where('order_no', '=', attempt.order_no)
        .where('status', '=', 'paid')
        .where('paid_attempt_id', '=', attempt.id)
        .returningAll()
        .executeTakeFirst()
      if (row)
        await announceStatusChange(trx, row.order_no)
      return row !== undefined
    })
  }
}
