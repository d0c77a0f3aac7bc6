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
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
