import type { Child } from './processes'
import type { ReliabilityRow } from './report'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { key } from '../helpers/server'
import { freePort, startProcess } from './processes'
import { N, pool, printTable } from './report'

const rows: ReliabilityRow[] = []
const children: Child[] = []
let dataDir: string

afterAll(async () => {
  printTable('Crash and restart', rows)
  await Promise.all(children.map(c => c.kill('SIGKILL')))
  rmSync(dataDir, { recursive: true, force: true })
})

describe('sIGKILL in the middle of the load', () => {
  it('after a restart on the same data directory the sandbox\'s retried notifications complete: nothing lost, nothing applied twice', async () => {
    const count = N
    dataDir = mkdtempSync(path.join(tmpdir(), 'uc-crash-'))
    const [serverPort, sandboxPort] = [await freePort(), await freePort()]
    const origin = `http://127.0.0.1:${serverPort}`
    const sandboxOrigin = `http://127.0.0.1:${sandboxPort}`
    // The sandbox lives in its own process, so it keeps retrying while the server is down.
    const sandbox = await startProcess('sandbox/main.ts', {
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_PUBLIC_URL: sandboxOrigin,
      SANDBOX_H5_DOMAIN: `127.0.0.1:${serverPort}`,
      SANDBOX_TIME_SCALE: '0.01',
      DATA_DIR: dataDir,
    }, `${sandboxOrigin}/sandbox/api/faults`)
    children.push(sandbox)
    const serverEnv = {
      CASHIER_MODE: 'sandbox',
      SANDBOX_EMBEDDED: 'false',
      PORT: String(serverPort),
      PUBLIC_URL: origin,
      DATA_DIR: dataDir,
      WECHAT_OAUTH_BASE: `${sandboxOrigin}/sandbox/wechat/open`,
      WECHAT_API_BASE: `${sandboxOrigin}/sandbox/wechat/api`,
      WECHATPAY_API_BASE: `${sandboxOrigin}/sandbox/wechatpay`,
      ALIPAY_GATEWAY: `${sandboxOrigin}/sandbox/alipay/gateway.do`,
      ALIPAY_OAUTH_BASE: `${sandboxOrigin}/sandbox/alipay/oauth`,
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_SESSION: '0',
      LOG_LEVEL: 'info',
      FULFILMENT_LOG: path.join(dataDir, 'fulfilments.jsonl'),
      WEBHOOK_TIMEOUT_MS: '2000',
    }
    const first = await startProcess('server/main.ts', serverEnv, `${origin}/healthz`)
    children.push(first)

    const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${origin}${p}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined })
      return { status: res.status, json: await res.json() as Record<string, unknown> }
    }
    const orders = await pool(Array.from({ length: count }), 20, async (_, i) => {
      const orderNo = (await call('POST', '/api/demo/orders', { amountFen: 500 + i })).json.orderNo as string
      const method = i % 2 === 0 ? 'wechat_native' : 'alipay_qr'
      const action = await call('POST', '/api/payments', { orderNo, method }, { 'Idempotency-Key': key() })
      expect(action.status).toBe(200)
      return { orderNo, method, code: action.json.codeUrl as string }
    })

    // Customers pay while the server is killed half-way through.
    const payOne = (o: typeof orders[number]) => fetch(`${sandboxOrigin}/sandbox/api/${o.method === 'wechat_native' ? 'wechat' : 'alipay'}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(o.method === 'wechat_native' ? { code_url: o.code } : { qr_code: o.code }),
    })
    const half = Math.floor(count / 2)
    await pool(orders.slice(0, half), 10, payOne)
    await first.kill('SIGKILL')
    await pool(orders.slice(half), 10, payOne)
    await new Promise(r => setTimeout(r, 500))

    const second = await startProcess('server/main.ts', serverEnv, `${origin}/healthz`)
    children.push(second)
    // Only notifications (retried by the sandbox) may complete these: plain reads never query the provider.
    const deadline = Date.now() + 120_000
    let pending = orders
    while (pending.length > 0 && Date.now() < deadline) {
      // Like the customers' result pages, keep asking through a busy restart (a refused or slow connection is not an answer).
      const s = await pool(pending, 20, async o => [o, await call('GET', `/api/orders/${o.orderNo}`).then(r => r.json.status, () => 'unreachable')] as const)
      pending = s.filter(([, st]) => st !== 'paid').map(([o]) => o)
      if (pending.length > 0)
        await new Promise(r => setTimeout(r, 500))
    }
    // FULFILMENT_LOG is an outbox endpoint: one JSON line per event, marked delivered after it is written, so a SIGKILL
    // between the two can repeat a line (at least once) — never lose one. Each order has exactly one order.paid event.
    const lines = async () => readFileSync(path.join(dataDir, 'fulfilments.jsonl'), 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as { id: string, type: string, data: { order: { orderNo: string } } }).filter(e => e.type === 'order.paid')
    let events = await lines()
    // A delivery the killed process had claimed waits out its claim (the webhook timeout + 5 s) before another takes it.
    for (let i = 0; i < 150 && new Set(events.map(e => e.data.order.orderNo)).size < count; i++) {
      await new Promise(r => setTimeout(r, 200))
      events = await lines()
    }
    const eventIds = new Map<string, Set<string>>()
    for (const e of events)
      eventIds.set(e.data.order.orderNo, (eventIds.get(e.data.order.orderNo) ?? new Set()).add(e.id))
    const paid = count - pending.length
    const twice = orders.filter(o => (eventIds.get(o.orderNo)?.size ?? 0) > 1).length
    const repeatedLines = events.length - [...eventIds.values()].reduce((n, ids) => n + ids.size, 0)
    rows.push({ scenario: `SIGKILL mid-load (${count} payments, WeChat + Alipay; ${repeatedLines} event lines repeated)`, tried: count, passed: paid, lost: pending.length, appliedTwice: twice })
    expect(pending.map(o => o.orderNo)).toEqual([])
    expect(twice).toBe(0)
    // Every order's one order.paid event reached the file (written by whichever process delivered it).
    expect(orders.filter(o => eventIds.get(o.orderNo)?.size !== 1).map(o => o.orderNo)).toEqual([])
  })
})
