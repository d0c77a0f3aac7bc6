import type { CompiledQuery } from 'kysely'
import type { AttemptStatus } from '../../server/db/schema'
import type { TestServer } from '../helpers/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { requestHash, withIdempotency } from '../../server/payments/idempotency'
import { key, removeDir, startTestServer } from '../helpers/server'

let server: TestServer

async function demoOrder(): Promise<string> {
  const res = await server.call('POST', '/api/demo/orders', { body: {} })
  expect(res.status).toBe(201)
  return res.json.orderNo as string
}

async function pay(orderNo: string, method: string, idem = key()) {
  return server.call('POST', '/api/payments', { body: { orderNo, method }, headers: { 'Idempotency-Key': idem } })
}

/**
 * The statements the server runs while `fn` runs whose parameters name one of `about` (the order, the key): the
 * background jobs run their own statements meanwhile, never with these values.
 */
async function statementsAbout(about: string[], fn: () => Promise<unknown>): Promise<string[]> {
  const executor = server.services.db.getExecutor()
  const seen: string[] = []
  const original = executor.executeQuery.bind(executor)
  const spy = vi.spyOn(executor, 'executeQuery').mockImplementation((query: CompiledQuery, ...rest) => {
    if (query.parameters.some(p => about.includes(p as string)))
      seen.push(query.sql)
    return original(query, ...rest)
  })
  try {
    await fn()
  }
  finally {
    spy.mockRestore()
  }
  return seen
}

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_IP: '0' } })
})

afterAll(async () => {
  await server.close()
  removeDir(server.dataDir)
})

describe('what a payment costs the database', () => {
  it('a new order: claim the key and read the order with its attempts, record the attempt, store action and response together', async () => {
    const orderNo = await demoOrder()
    const k = key()
    let status = 0
    const statements = await statementsAbout([orderNo, k], async () => {
      status = (await pay(orderNo, 'wechat_native', k)).status
    })
    expect(status).toBe(200)
    expect(statements).toHaveLength(3)
    expect(statements[0]).toMatch(/^with "claim" as \(insert into "idempotency_keys".* from "orders"/)
    expect(statements[1]).toMatch(/^insert into "payment_attempts"/)
    expect(statements[2]).toMatch(/^with "alongside" as \(update "payment_attempts" set "action"/)
  })

  it('the action handed out is the one kept with the attempt; a second key on the order gets it again in two statements, a replay in one', async () => {
    const orderNo = await demoOrder()
    const first = await pay(orderNo, 'wechat_native')
    expect(first.status).toBe(200)
    const [attempt] = await server.services.db.selectFrom('payment_attempts').selectAll().where('order_no', '=', orderNo).execute()
    const { order: _order, ...action } = first.json
    expect(attempt!.action).toEqual(action)
    const k = key()
    let again: Record<string, unknown> = {}
    const statements = await statementsAbout([orderNo, k], async () => {
      again = (await pay(orderNo, 'wechat_native', k)).json
    })
    expect(again.codeUrl).toBe(first.json.codeUrl)
    expect(statements).toHaveLength(2)
    let replayed: Record<string, unknown> = {}
    const replay = await statementsAbout([orderNo, k], async () => {
      replayed = (await pay(orderNo, 'wechat_native', k)).json
    })
    expect(replayed).toEqual(again)
    expect(replay).toHaveLength(1)
  })

  it('an unknown order or a refusal leaves no key behind: the next request with the key is a new one', async () => {
    const k = key()
    const unknown = await pay('O0000NOPE0000', 'wechat_native', k)
    expect(unknown.json.code).toBe('order_not_found')
    expect(await server.services.db.selectFrom('idempotency_keys').select('key').where('key', '=', k).executeTakeFirst()).toBeUndefined()
    const orderNo = await demoOrder()
    const paid = await pay(orderNo, 'wechat_native', k)
    expect(paid.status).toBe(200)
    expect(paid.json.order).toMatchObject({ orderNo, status: 'pending' })
  })
})

describe('withIdempotency with a write alongside the response', () => {
  async function openAttemptOf(orderNo: string) {
    expect((await pay(orderNo, 'wechat_native')).status).toBe(200)
    return server.services.db.selectFrom('payment_attempts').selectAll().where('order_no', '=', orderNo).executeTakeFirstOrThrow()
  }

  it('makes the write in the statement that stores the response', async () => {
    const attempt = await openAttemptOf(await demoOrder())
    const k = key()
    const answer = await withIdempotency(server.services.db, k, requestHash(['alongside']), async () => ({
      status: 200,
      body: { ok: true },
      alongside: qc => qc.updateTable('payment_attempts').set({ action: JSON.stringify({ kind: 'marked' }) }).where('id', '=', attempt.id),
    }), () => true)
    expect(answer).toEqual({ status: 200, body: { ok: true } })
    const after = await server.services.db.selectFrom('payment_attempts').select('action').where('id', '=', attempt.id).executeTakeFirstOrThrow()
    expect(after.action).toEqual({ kind: 'marked' })
    const stored = await server.services.db.selectFrom('idempotency_keys').selectAll().where('key', '=', k).executeTakeFirstOrThrow()
    expect(stored).toMatchObject({ response_status: 200, response_body: { ok: true } })
  })

  it('when that statement fails, neither lands and the key is free again, as when the work fails', async () => {
    const attempt = await openAttemptOf(await demoOrder())
    const k = key()
    await expect(withIdempotency(server.services.db, k, requestHash(['alongside']), async () => ({
      status: 200,
      body: { ok: true },
      // Refused by the table's check constraint.
      alongside: qc => qc.updateTable('payment_attempts').set({ status: 'bogus' as AttemptStatus }).where('id', '=', attempt.id),
    }), () => true)).rejects.toThrow()
    const after = await server.services.db.selectFrom('payment_attempts').select(['status', 'action']).where('id', '=', attempt.id).executeTakeFirstOrThrow()
    expect(after).toEqual({ status: attempt.status, action: attempt.action })
    expect(await server.services.db.selectFrom('idempotency_keys').select('key').where('key', '=', k).executeTakeFirst()).toBeUndefined()
  })
})
