import type { TestServer } from '../helpers/server'
import type { ReliabilityRow } from './report'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { key, removeDir, startTestServer } from '../helpers/server'
import { printTable } from './report'

let server: TestServer
const rows: ReliabilityRow[] = []

async function faults(body: Record<string, unknown> | null) {
  await fetch(`${server.url}/sandbox/api/faults`, body ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' })
}

async function providerOrders(orderNo: string): Promise<string[]> {
  const attempts = await server.services.db.selectFrom('payment_attempts').select('out_trade_no').where('order_no', '=', orderNo).execute()
  const own = new Set(attempts.map(a => a.out_trade_no))
  const res = await fetch(`${server.url}/sandbox/api/payments?status=all`)
  const { payments } = await res.json() as { payments: Array<{ out_trade_no: string }> }
  return payments.map(p => p.out_trade_no).filter(o => own.has(o))
}

beforeAll(async () => {
  server = await startTestServer({ env: { PROVIDER_TIMEOUT_MS: '600', RATE_LIMIT_PER_IP: '0' } })
})

afterAll(async () => {
  printTable('Provider faults', rows)
  await server.close()
  removeDir(server.dataDir)
})

describe('the provider fails or is slow when a payment is created', () => {
  it.each([
    ['WeChat answers 500', 'wechat_native', { failApiRate: 1, apiOps: ['create'] }],
    ['WeChat times out', 'wechat_native', { slowApiMs: 1500, apiOps: ['create'] }],
    ['Alipay answers 20000', 'alipay_qr', { failApiRate: 1, apiOps: ['create'] }],
    ['Alipay times out', 'alipay_qr', { slowApiMs: 1500, apiOps: ['create'] }],
  ] as const)('%s → 502 provider_unavailable, retryable; the retry with the same key makes one provider order', async (scenario, method, fault) => {
    const orderNo = (await server.call('POST', '/api/demo/orders', { body: {} })).json.orderNo as string
    const k = key()
    await faults(fault)
    let first
    try {
      first = await server.call('POST', '/api/payments', { body: { orderNo, method }, headers: { 'Idempotency-Key': k } })
    }
    finally {
      await faults(null)
    }
    expect(first.status).toBe(502)
    expect(first.json).toMatchObject({ code: 'provider_unavailable', retryable: true })
    // A slow answer may still have reached the provider: let it finish before retrying.
    await new Promise(r => setTimeout(r, 'slowApiMs' in fault ? 1500 : 0))
    const retry = await server.call('POST', '/api/payments', { body: { orderNo, method }, headers: { 'Idempotency-Key': k } })
    expect(retry.status).toBe(200)
    const again = await server.call('POST', '/api/payments', { body: { orderNo, method }, headers: { 'Idempotency-Key': k } })
    expect(again.json).toEqual(retry.json)
    const orders = await providerOrders(orderNo)
    rows.push({ scenario: `${scenario} on create, then retry`, tried: 1, passed: orders.length === 1 ? 1 : 0, lost: 0, appliedTwice: orders.length > 1 ? 1 : 0 })
    expect(orders).toHaveLength(1)
  })
})
