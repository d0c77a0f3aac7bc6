/**
 * The embedded database's Kysely dialect (server/db/pglite-dialect.ts): statements prepared once and run by name give
 * the rows, values, counts and errors PGlite.query gives, and stay right across schema changes.
 */
import type { Generated } from 'kysely'
import { PGlite, protocol } from '@electric-sql/pglite'
import { Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PGlitePreparedDialect } from '../../server/db/pglite-dialect'

interface Db {
  items: { id: Generated<number>, name: string, price: string, tags: string[] | null, meta: unknown, at: Date, ok: boolean | null, note: string | null }
}

let pg: PGlite
let db: Kysely<Db>

/** The statements PostgreSQL holds prepared on the connection, by their text. */
async function prepared(): Promise<string[]> {
  const { rows } = await pg.query<{ statement: string }>('select statement from pg_prepared_statements order by prepare_time')
  return rows.map(r => r.statement)
}

beforeAll(async () => {
  pg = await PGlite.create()
  db = new Kysely<Db>({ dialect: new PGlitePreparedDialect(pg, protocol.serialize) })
  await db.schema.createTable('items')
    .addColumn('id', 'serial', c => c.primaryKey())
    .addColumn('name', 'text', c => c.notNull().unique())
    .addColumn('price', 'numeric(10, 2)', c => c.notNull())
    .addColumn('tags', sql`text[]`)
    .addColumn('meta', 'jsonb')
    .addColumn('at', 'timestamptz', c => c.notNull())
    .addColumn('ok', 'boolean')
    .addColumn('note', 'text')
    .execute()
})

afterAll(async () => {
  await db.destroy()
})

describe('the prepared-statement dialect on PGlite', () => {
  it('gives the same rows and values as PGlite.query: numeric, arrays, JSON, timestamps, booleans, nulls', async () => {
    const at = new Date('2026-12-06T08:30:00.123Z')
    await db.insertInto('items').values({ name: '会员月卡', price: '12.34', tags: ['a', 'b,c'], meta: JSON.stringify({ n: 1, s: '中' }), at, ok: true, note: null }).execute()
    const ours = await db.selectFrom('items').selectAll().where('name', '=', '会员月卡').executeTakeFirstOrThrow()
    const theirs = (await pg.query<Db['items']>('select * from items where name = $1', ['会员月卡'])).rows[0]
    expect(ours).toEqual(theirs)
    expect(ours).toMatchObject({ price: '12.34', tags: ['a', 'b,c'], meta: { n: 1, s: '中' }, ok: true, note: null })
    expect(ours.at).toEqual(at)
  })

  it('parses a statement once and runs it by name from then on', async () => {
    const read = (name: string) => db.selectFrom('items').select('id').where('name', '=', name).execute()
    await read('x')
    const before = await prepared()
    await read('y')
    await read('z')
    expect(await prepared()).toEqual(before)
    expect(before.some(s => s.startsWith('select "id" from "items" where "name" = $1'))).toBe(true)
  })

  it('counts the rows an insert, update and delete touch, zero included', async () => {
    const inserted = await db.insertInto('items').values([{ name: 'i1', price: '1', at: new Date() }, { name: 'i2', price: '2', at: new Date() }]).executeTakeFirst()
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n)
    const updated = await db.updateTable('items').set({ note: 'n' }).where('name', 'in', ['i1', 'i2']).executeTakeFirst()
    expect(updated.numUpdatedRows).toBe(2n)
    const none = await db.updateTable('items').set({ note: 'n' }).where('name', '=', 'nobody').executeTakeFirst()
    expect(none.numUpdatedRows).toBe(0n)
    const deleted = await db.deleteFrom('items').where('name', '=', 'i1').executeTakeFirst()
    expect(deleted.numDeletedRows).toBe(1n)
  })

  it('rejects with PostgreSQL\'s error and keeps working; a failed transaction rolls back whole', async () => {
    const add = (name: string) => db.insertInto('items').values({ name, price: '1', at: new Date() }).execute()
    await add('dup')
    await expect(add('dup')).rejects.toMatchObject({ code: '23505' })
    await expect(db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ name: 'in-tx', price: '1', at: new Date() }).execute()
      await tx.insertInto('items').values({ name: 'dup', price: '1', at: new Date() }).execute()
    })).rejects.toMatchObject({ code: '23505' })
    expect(await db.selectFrom('items').select('name').where('name', '=', 'in-tx').execute()).toEqual([])
    expect(await db.selectFrom('items').select('name').where('name', '=', 'dup').execute()).toEqual([{ name: 'dup' }])
  })

  it('a statement that fails to parse is not kept, and the same text works once the table exists', async () => {
    const read = () => sql<{ n: number }>`select count(*)::int as n from later`.execute(db)
    await expect(read()).rejects.toMatchObject({ code: '42P01' })
    await db.schema.createTable('later').addColumn('id', 'integer').execute()
    expect((await read()).rows).toEqual([{ n: 0 }])
    await db.schema.dropTable('later').execute()
  })

  it('a schema change forgets the prepared statements: a new column shows in select *', async () => {
    const all = () => db.selectFrom('items').selectAll().where('name', '=', 'dup').executeTakeFirstOrThrow()
    expect(await all()).not.toHaveProperty('extra')
    await db.schema.alterTable('items').addColumn('extra', 'text', c => c.defaultTo('e')).execute()
    expect(await all()).toMatchObject({ extra: 'e' })
    await db.schema.alterTable('items').dropColumn('extra').execute()
    expect(await all()).not.toHaveProperty('extra')
  })

  it('keeps a bounded number of statements: the least recently used are closed', async () => {
    for (let i = 0; i < 300; i++)
      await sql`select ${sql.lit(i)}::int as n where ${'a'} = ${'a'}`.execute(db)
    const held = await prepared()
    expect(held.length).toBeLessThanOrEqual(256)
    expect(held.some(s => s.includes('select 299::int'))).toBe(true)
    expect(held.some(s => s.includes('select 0::int'))).toBe(false)
  })

  it('oN CONFLICT on a partial unique index works with the index predicate written as a literal', async () => {
    await sql`create table marks (item integer not null, kind text not null)`.execute(db)
    await sql`create unique index marks_one_dup on marks (item) where kind = 'dup'`.execute(db)
    for (let i = 0; i < 7; i++) {
      await sql`insert into marks (item, kind) values (${1}, ${'dup'}) on conflict (item) where kind = 'dup' do nothing`.execute(db)
    }
    expect((await sql<{ n: number }>`select count(*)::int as n from marks`.execute(db)).rows).toEqual([{ n: 1 }])
    await sql`drop table marks`.execute(db)
  })

  it('notifications still reach PGlite\'s listeners', async () => {
    const got: string[] = []
    const unlisten = await pg.listen('dialect_test', p => got.push(p))
    await sql`select pg_notify('dialect_test', ${'hello'})`.execute(db)
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(got).toEqual(['hello'])
    await unlisten()
  })
})
