import type { Child } from './processes'
import type { ReliabilityRow } from './report'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { key, removeDir, startTestServer } from '../helpers/server'
import { freePort, startProcess } from './processes'
import { printTable } from './report'

const rows: ReliabilityRow[] = []
const cleanup: Array<() => Promise<void>> = []

afterAll(async () => {
  printTable('Secrets and headers', rows)
  for (const fn of cleanup) await fn()
})

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n)
    return statSync(p).isDirectory() ? files(p) : [p]
  })
}

describe('secrets', () => {
  it('the built H5 cashier contains no key, secret or sandbox helper', () => {
    const out = path.resolve('dist/build/h5')
    expect(existsSync(out), 'run npm run build:h5 first').toBe(true)
    const markers = [/PRIVATE KEY/, /apiV3Key|APIV3_KEY/i, /app_?secret/i, /privateKeyPem/, /__sandboxBridge/, /sandbox-keys/]
    const hits = files(out).flatMap(f => markers.filter(m => m.test(readFileSync(f, 'utf8'))).map(m => `${path.relative(out, f)}: ${m}`))
    rows.push({ scenario: 'no secrets in the built cashier', tried: files(out).length, passed: hits.length === 0 ? files(out).length : 0, lost: 0, appliedTwice: 0 })
    expect(hits).toEqual([])
  })

  it('the openid appears in no response body, URL or info log line', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'uc-secrets-'))
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    const child: Child = await startProcess('server/main.ts', { PORT: String(port), PUBLIC_URL: origin, DATA_DIR: dataDir, LOG_LEVEL: 'info', SANDBOX_TIME_SCALE: '0.001' }, `${origin}/healthz`)
    cleanup.push(async () => {
      await child.kill()
      rmSync(dataDir, { recursive: true, force: true })
    })
    const seen: string[] = []
    const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${origin}${p}`, { method, redirect: 'manual', headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined })
      const text = await res.text()
      seen.push(p, text, res.headers.get('location') ?? '', res.headers.get('set-cookie') ?? '')
      return { res, text, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> }
    }
    const orderNo = (await call('POST', '/api/demo/orders', {})).json.orderNo as string
    // WeChat OAuth + JSAPI, as the cashier does it.
    const start = await call('POST', '/api/payments', { orderNo, method: 'wechat_jsapi', oauthState: 'secretstate1' }, { 'Idempotency-Key': key() })
    const cookie = start.res.headers.get('set-cookie')!.split(';')[0]!
    const back = await fetch((start.json.authorizeUrl as string).replace(/#.*$/, ''), { redirect: 'manual' })
    const location = back.headers.get('location')!
    seen.push(location)
    const code = new URL(location.split('#')[0]!).searchParams.get('code')!
    const jsapi = await call('POST', '/api/payments', { orderNo, method: 'wechat_jsapi', wechatCode: code, oauthState: 'secretstate1' }, { 'Idempotency-Key': key(), cookie })
    expect(jsapi.json.kind).toBe('jsapi')
    // The customer pays: the notification (which carries the openid, encrypted) reaches the server.
    const prepayId = ((jsapi.json.params as { package: string }).package).replace('prepay_id=', '')
    await fetch(`${origin}/sandbox/api/wechat/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prepay_id: prepayId }) })
    for (let i = 0; i < 50 && (await call('GET', `/api/orders/${orderNo}`)).json.status !== 'paid'; i++)
      await new Promise(r => setTimeout(r, 100))
    // The mini program's login.
    const mp = (await (await fetch(`${origin}/sandbox/api/wechat/mp-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { js_code: string, openid: string }
    await call('POST', '/api/mp/session', { code: mp.js_code })
    await call('GET', `/api/orders/${orderNo}/status`)
    const trades = (await (await fetch(`${origin}/sandbox/api/payments?status=all`)).json()) as { payments: Array<{ transaction?: { payer?: { openid?: string } } }> }
    const openids = [...new Set([mp.openid, ...trades.payments.map(p => p.transaction?.payer?.openid).filter((o): o is string => Boolean(o))])]
    expect(openids.length).toBeGreaterThanOrEqual(2)
    await new Promise(r => setTimeout(r, 300))
    const leaks = openids.flatMap(o => [...seen.filter(s => s.includes(o)).map(s => `response/URL: ${s.slice(0, 80)}`), ...child.lines.filter(l => l.includes(o)).map(l => `log: ${l.slice(0, 120)}`)])
    rows.push({ scenario: 'openid never in responses, URLs or logs', tried: seen.length + child.lines.length, passed: leaks.length === 0 ? seen.length + child.lines.length : 0, lost: 0, appliedTwice: 0 })
    expect(leaks).toEqual([])
  })
})

describe('headers', () => {
  it('the session cookie is HttpOnly, SameSite=Lax and Secure behind https', async () => {
    const server = await startTestServer({ env: { PUBLIC_URL: 'https://pay.example.com' } })
    cleanup.push(async () => {
      await server.close()
      removeDir(server.dataDir)
    })
    const orderNo = (await server.call('POST', '/api/demo/orders', { body: {} })).json.orderNo as string
    const res = await server.call('POST', '/api/payments', { body: { orderNo, method: 'wechat_jsapi', oauthState: 'cookiestate1' }, headers: { 'Idempotency-Key': key() } })
    const cookie = res.headers.get('set-cookie') ?? ''
    const ok = /HttpOnly/i.test(cookie) && /SameSite=Lax/i.test(cookie) && /;\s*Secure/i.test(cookie)
    rows.push({ scenario: 'session cookie flags behind https', tried: 1, passed: ok ? 1 : 0, lost: 0, appliedTwice: 0 })
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(cookie).toMatch(/;\s*Secure/i)
    expect(res.text).toContain('redirect_uri=https%3A%2F%2Fpay.example.com')
  })
})
