import type { Kysely, Migration, MigrationProvider } from 'kysely'
import { sql } from 'kysely'

// Migrations run before the typed schema exists, so they take Kysely<any>, as Kysely's docs advise.
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('orders')
        .addColumn('order_no', 'text', c => c.primaryKey())
        .addColumn('subject', 'text', c => c.notNull())
        .addColumn('merchant_name', 'text', c => c.notNull())
        .addColumn('amount_fen', 'integer', c => c.notNull().check(sql`amount_fen > 0`))
        .addColumn('currency', 'text', c => c.notNull().defaultTo('CNY'))
        .addColumn('status', 'text', c => c.notNull().check(sql`status in ('pending','paid','closed','failed','refunded')`))
        .addColumn('methods', 'jsonb', c => c.notNull())
        .addColumn('return_url', 'text')
        .addColumn('expires_at', 'timestamptz', c => c.notNull())
        .addColumn('paid_at', 'timestamptz')
        .addColumn('paid_attempt_id', 'text')
        .addColumn('reconciled_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createTable('payment_attempts')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('order_no', 'text', c => c.notNull().references('orders.order_no'))
        .addColumn('method', 'text', c => c.notNull())
        .addColumn('provider', 'text', c => c.notNull())
        .addColumn('out_trade_no', 'text', c => c.notNull().unique())
        .addColumn('status', 'text', c => c.notNull().check(sql`status in ('open','succeeded','closed','failed')`))
        .addColumn('action', 'jsonb', c => c.notNull())
        .addColumn('provider_txn_id', 'text')
        .addColumn('payer_id', 'text')
        .addColumn('expires_at', 'timestamptz', c => c.notNull())
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createIndex('payment_attempts_order_no').on('payment_attempts').column('order_no').execute()
      await db.schema.createTable('provider_events')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('provider', 'text', c => c.notNull())
        .addColumn('event_type', 'text', c => c.notNull())
        .addColumn('out_trade_no', 'text')
        .addColumn('payload', 'jsonb', c => c.notNull())
        .addColumn('received_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createTable('idempotency_keys')
        .addColumn('key', 'text', c => c.primaryKey())
        .addColumn('request_hash', 'text', c => c.notNull())
        .addColumn('response_status', 'integer')
        .addColumn('response_body', 'jsonb')
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createTable('sessions')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('wechat_openid', 'text')
        .addColumn('wechat_mp_openid', 'text')
        .addColumn('alipay_user_id', 'text')
        .addColumn('oauth_state', 'text')
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', c => c.notNull())
        .execute()
      await db.schema.createTable('notify_nonces')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('received_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
    },
  },
  '0002_attempt_idempotency_key': {
    async up(db: Kysely<any>) {
      // A retried request (same Idempotency-Key) after a provider timeout reuses its attempt's
      // out_trade_no, so the provider sees one order, not two.
      await db.schema.alterTable('payment_attempts').addColumn('idempotency_key', 'text').execute()
      await db.schema.createIndex('payment_attempts_idempotency_key').unique().on('payment_attempts').column('idempotency_key').execute()
    },
  },
  '0003_fulfilments': {
    async up(db: Kysely<any>) {
      // The fulfilment outbox: written in the transaction that makes an order paid, delivered
      // (claimed, then handed to the hook) after commit, and on start-up for anything a crash left.
      await db.schema.createTable('fulfilments')
        .addColumn('order_no', 'text', c => c.primaryKey().references('orders.order_no'))
        .addColumn('event', 'jsonb', c => c.notNull())
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('delivered_at', 'timestamptz')
        .execute()
    },
  },
  '0004_merchant_side': {
    async up(db: Kysely<any>) {
      // The shop's side of an order: its own id, a description and metadata, what was refunded, why it closed.
      await db.schema.alterTable('orders')
        .addColumn('merchant_order_id', 'text')
        .addColumn('create_hash', 'text')
        .addColumn('description', 'text')
        .addColumn('metadata', 'jsonb')
        .addColumn('refunded_fen', 'integer', c => c.notNull().defaultTo(0))
        .addColumn('closed_at', 'timestamptz')
        .addColumn('closed_reason', 'text')
        .execute()
      await db.schema.createIndex('orders_merchant_order_id').unique().on('orders').column('merchant_order_id').where(sql.ref('merchant_order_id'), 'is not', null).execute()
      await db.schema.createIndex('orders_created_at').on('orders').columns(['created_at', 'order_no']).execute()
      await db.schema.createIndex('orders_pending_expiry').on('orders').column('expires_at').where(sql.ref('status'), '=', 'pending').execute()
      await db.schema.alterTable('payment_attempts').addColumn('paid_at', 'timestamptz').execute()

      await db.schema.createTable('api_keys')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('name', 'text', c => c.notNull())
        /** The first characters of the key, to recognise it in a list (never enough to use it). */
        .addColumn('prefix', 'text', c => c.notNull())
        /** SHA-256 of the whole key: the key itself is shown once and never stored. */
        .addColumn('hash', 'text', c => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_used_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .execute()

      await db.schema.createTable('refunds')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('order_no', 'text', c => c.notNull().references('orders.order_no'))
        .addColumn('attempt_id', 'text', c => c.notNull().references('payment_attempts.id'))
        .addColumn('out_refund_no', 'text', c => c.notNull().unique())
        .addColumn('amount_fen', 'integer', c => c.notNull().check(sql`amount_fen > 0`))
        .addColumn('reason', 'text', c => c.notNull())
        .addColumn('kind', 'text', c => c.notNull().check(sql`kind in ('merchant','duplicate')`))
        .addColumn('status', 'text', c => c.notNull().check(sql`status in ('pending','processing','succeeded','failed')`))
        .addColumn('provider_refund_id', 'text')
        .addColumn('failure', 'text')
        .addColumn('idempotency_key', 'text')
        /** When a worker may next send it (pending) or ask about it (processing); claimed by moving it forward. */
        .addColumn('next_check_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('tries', 'integer', c => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('succeeded_at', 'timestamptz')
        .execute()
      await db.schema.createIndex('refunds_order_no').on('refunds').column('order_no').execute()
      // One duplicate-payment refund per paid attempt, however often the payment is reported.
      await db.schema.createIndex('refunds_duplicate_attempt').unique().on('refunds').column('attempt_id').where(sql.ref('kind'), '=', 'duplicate').execute()
      await db.schema.createIndex('refunds_open').on('refunds').column('next_check_at').where(sql.ref('status'), 'in', sql`('pending','processing')`).execute()

      // The outbox: every event is written in the transaction that caused it; `seq` orders the events of an order.
      await db.schema.createTable('events')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('seq', 'bigserial', c => c.notNull().unique())
        .addColumn('order_no', 'text', c => c.notNull().references('orders.order_no'))
        .addColumn('type', 'text', c => c.notNull())
        .addColumn('payload', 'jsonb', c => c.notNull())
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createIndex('events_order_no').on('events').columns(['order_no', 'seq']).execute()
      await db.schema.createTable('webhook_endpoints')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('url', 'text', c => c.notNull())
        .addColumn('secret', 'text', c => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('disabled_at', 'timestamptz')
        .execute()
      await db.schema.createTable('event_deliveries')
        .addColumn('event_id', 'text', c => c.notNull().references('events.id'))
        .addColumn('endpoint_id', 'text', c => c.notNull().references('webhook_endpoints.id'))
        .addColumn('status', 'text', c => c.notNull().check(sql`status in ('pending','delivered','failed')`))
        .addColumn('attempts', 'integer', c => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('claimed_until', 'timestamptz')
        .addColumn('delivered_at', 'timestamptz')
        .addPrimaryKeyConstraint('event_deliveries_pk', ['event_id', 'endpoint_id'])
        .execute()
      await db.schema.createIndex('event_deliveries_due').on('event_deliveries').column('next_attempt_at').where(sql.ref('status'), '=', 'pending').execute()
      await db.schema.createTable('delivery_attempts')
        .addColumn('id', 'bigserial', c => c.primaryKey())
        .addColumn('event_id', 'text', c => c.notNull())
        .addColumn('endpoint_id', 'text', c => c.notNull())
        .addColumn('n', 'integer', c => c.notNull())
        .addColumn('at', 'timestamptz', c => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('latency_ms', 'integer', c => c.notNull())
        .execute()
      await db.schema.createIndex('delivery_attempts_event').on('delivery_attempts').columns(['event_id', 'endpoint_id', 'n']).execute()

      // Cluster-wide periodic jobs (purges): one process holds a job's lock until it runs again.
      await db.schema.createTable('job_locks')
        .addColumn('name', 'text', c => c.primaryKey())
        .addColumn('locked_until', 'timestamptz', c => c.notNull())
        .execute()
      await db.schema.createTable('console_sessions')
        .addColumn('id', 'text', c => c.primaryKey())
        .addColumn('csrf_token', 'text', c => c.notNull())
        .addColumn('api_key_id', 'text')
        .addColumn('created_at', 'timestamptz', c => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', c => c.notNull())
        .execute()
      await db.schema.createIndex('idempotency_keys_created_at').on('idempotency_keys').column('created_at').execute()
      await db.schema.createIndex('notify_nonces_received_at').on('notify_nonces').column('received_at').execute()
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute()
      // Fulfilment is now the outbox above (webhooks, and the FULFILMENT_LOG file as one of its endpoints).
      await db.schema.dropTable('fulfilments').execute()
    },
  },
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
