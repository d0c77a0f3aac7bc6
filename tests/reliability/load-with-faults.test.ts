import type { PayMethod } from '../../contract/api'
import type { TestServer } from '../helpers/server'
import type { ReliabilityRow } from './report'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { key, removeDir, startTestServer } from '../helpers/server'
import { N, pool, printTable } from './report'

let server: TestServer
const fulfilled = new Map<string, number>()
const rows: ReliabilityRow[] = []

async function sandbox(pathname: string, init?: { method?: string, body?: unknown }) {
  const res = await fetch(`${server.url}/sandbox${pathname}`, {
    method: init?.method ?? (init?.body === undefined ? 'GET' : 'POST'),
    headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (!res.ok)
    throw new Error(`sandbox ${pathname}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<Record<string, unknown>>
}

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_SESSION: '0', RECONCILE_AFTER_SECONDS: '1' } })
  server.services.transitions.events.on('order.paid', e => fulfilled.set(e.orderNo, (fulfilled.get(e.orderNo) ?? 0) + 1))
  // 20% of notifications never sent, 10% sent twice, 10% held back so they arrive out of order.
  await sandbox('/api/faults', { method: 'PUT', body: { dropNotifyRate: 0.2, duplicateNotifyRate: 0.1, delayNotifyRate: 0.1, delayNotifyMs: 400 } })
})

afterAll(async () => {
  printTable('Load with notification faults', rows)
  await server.close()
  removeDir(server.dataDir)
})

describe(`${N} concurrent payments per provider with dropped, duplicated and delayed notifications`, () => {
  it.each([
    ['WeChat Native', 'wechat_native', 'code_url'],
    ['Alipay precreate', 'alipay_qr', 'qr_code'],
  ] as const)('%s: every order ends paid exactly once, fulfilled once, no attempt left open', async (scenario, method: PayMethod, selector) => {
    const orders = await pool(Array.from({ length: N }), 25, async () => {
      const res = await server.call('POST', '/api/demo/orders', { body: { amountFen: 100 + Math.floor(Math.random() * 9900) } })
      return res.json.orderNo as string
    })
    const codes = await pool(orders, 25, async (orderNo) => {
      const res = await server.call('POST', '/api/payments', { body: { orderNo, method }, headers: { 'Idempotency-Key': key() } })
      expect(res.status, res.text).toBe(200)
      return res.json.codeUrl as string
    })
    // The customers pay, in any order.
    await pool([...codes].sort(() => Math.random() - 0.5), 25, code => sandbox(`/api/${method.startsWith('wechat') ? 'wechat' : 'alipay'}/pay`, { body: { [selector]: code } }))
    // Their result pages ask the server until each order is final (lost notifications heal on read).
    const deadline = Date.now() + 90_000
    let pending = orders
    while (pending.length > 0 && Date.now() < deadline) {
      const statuses = await pool(pending, 25, async orderNo => [orderNo, (await server.call('GET', `/api/orders/${orderNo}/status`)).json.status] as const)
      pending = statuses.filter(([, s]) => s === 'pending').map(([o]) => o)
      if (pending.length > 0)
        await new Promise(r => setTimeout(r, 300))
    }
    const finals = await pool(orders, 25, async orderNo => (await server.call('GET', `/api/orders/${orderNo}`)).json.status as string)
    const paid = finals.filter(s => s === 'paid').length
    const twice = orders.filter(o => (fulfilled.get(o) ?? 0) > 1).length
    const open = await server.services.db.selectFrom('payment_attempts').select('id').where('order_no', 'in', orders).where('status', '=', 'open').execute()
    rows.push({ scenario, tried: N, passed: paid, lost: N - paid, appliedTwice: twice })
    expect(paid).toBe(N)
    expect(twice).toBe(0)
    expect(orders.every(o => fulfilled.get(o) === 1)).toBe(true)
    expect(open).toHaveLength(0)
  })
})
