/**
 * examples/shop/shop.mjs against the real server started as `npm start` starts it (the server built into one module by
 * server/tools/build-server.ts and run with plain node, sandbox mode, the sandbox API key made at first start), unattended: create, pay in the sandbox, order.paid verified, refund,
 * refund.succeeded verified, exit 0. Also the example's verifier against the server's signer.
 */
import type { Buffer } from 'node:buffer'
import type { Child } from '../reliability/processes'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signWebhook } from '../../server/events/signature'
import { SANDBOX_KEY_FILE } from '../../server/merchant/api-keys'
import { buildServer } from '../../server/tools/build-server'
import { removeDir } from '../helpers/server'
import { freePort, startProcess } from '../reliability/processes'

const SHOP = path.resolve('examples/shop/shop.mjs')

let server: Child
let url: string
let dataDir: string
let buildDir: string | undefined

beforeAll(async () => {
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  dataDir = mkdtempSync(path.join(tmpdir(), 'uc-shop-'))
  // Built into a directory of its own inside the repository (it imports its packages from node_modules).
  mkdirSync('dist', { recursive: true })
  buildDir = mkdtempSync(path.resolve('dist', 'server-test-'))
  server = await startProcess(await buildServer(buildDir), { CASHIER_MODE: 'sandbox', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, `${url}/api/health`, 110_000)
}, 120_000)

afterAll(async () => {
  await server?.kill()
  if (dataDir)
    removeDir(dataDir)
  if (buildDir)
    removeDir(buildDir)
})

/** Runs the example to its end; `onLine` sees each output line as it comes. */
function runShop(args: string[], env: Record<string, string>, onLine: (line: string) => void = () => {}): Promise<{ code: number | null, lines: string[] }> {
  const proc = spawn(process.execPath, [SHOP, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lines.push(line)
      onLine(line)
    }
  }
  proc.stdout.on('data', collect)
  proc.stderr.on('data', collect)
  return new Promise(resolve => proc.once('exit', code => resolve({ code, lines })))
}

describe('examples/shop', () => {
  it('creates an order, is paid in the sandbox, verifies order.paid, refunds, verifies refund.succeeded, and exits 0', async () => {
    const shopPort = await freePort()
    let forged: Promise<number> | undefined
    const { code, lines } = await runShop(['--pay-in-sandbox'], { CASHIER_URL: url, DATA_DIR: dataDir, SHOP_PORT: String(shopPort) }, (line) => {
      // While the shop listens, a request signed with the wrong secret must be refused.
      if (line.startsWith('✓ webhook endpoint') && !forged) {
        const body = JSON.stringify({ id: 'evt_forgedforgedforge', type: 'order.paid', data: { order: { orderNo: 'X' } } })
        forged = fetch(`http://127.0.0.1:${shopPort}/webhooks`, { method: 'POST', headers: { 'Uni-Cashier-Signature': signWebhook(body, 'whsec_not-the-secret') }, body }).then(r => r.status)
      }
    })
    const out = lines.join('\n')
    expect(code, out).toBe(0)
    expect(await forged).toBe(400)
    expect(out).toContain('✗ refused a webhook with a bad or missing signature')
    const orderNo = /✓ order (\w+) created \(1 fen, pending\)/.exec(out)?.[1]
    expect(orderNo, out).toBeDefined()
    expect(out).toContain(`checkout: ${url}/#/pages/checkout/checkout?orderNo=${orderNo}`)
    expect(out).toMatch(/[▄▀█]{8}/) // the terminal QR code
    expect(out).toContain(`✓ order.paid verified: ${orderNo} paid at`)
    expect(out).toMatch(/✓ refund re_\S+ requested \(1 fen, (?:succeeded|processing)\)/)
    expect(out).toContain('✓ refund.succeeded verified: 1 fen back, order refunded')
    expect(lines.at(-1)).toBe('done')

    // The server agrees, and the shop's endpoint was disabled when it finished.
    const key = readFileSync(path.join(dataDir, SANDBOX_KEY_FILE), 'utf8').trim()
    const api = async (p: string) => (await fetch(`${url}/api/merchant/v1${p}`, { headers: { Authorization: `Bearer ${key}` } })).json() as Promise<Record<string, any>> // any: read field by field
    const order = await api(`/orders/${orderNo}`)
    expect(order).toMatchObject({ status: 'refunded', refundedFen: 1, metadata: { source: 'examples/shop' } })
    expect(order.webhooks.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['order.paid', 'refund.succeeded']))
    expect((await api('/webhook-endpoints')).data).toEqual([expect.objectContaining({ description: 'examples/shop', disabled: true })])
  }, 120_000)

  it('fails with a message and a non-zero exit without a usable key', async () => {
    const { code, lines } = await runShop(['--pay-in-sandbox'], { CASHIER_URL: url, CASHIER_API_KEY: `sk_test_${'x'.repeat(32)}` })
    expect(code).toBe(1)
    expect(lines.join('\n')).toContain('✗ POST /webhook-endpoints answered 401 invalid_api_key')
  }, 30_000)

  it('has a verifier that accepts the server\'s signature only for the same body, secret and a fresh time', async () => {
    const { verifyWebhook } = await import(pathToFileURL(SHOP).href) as { verifyWebhook: (body: string, header: string | undefined, secret: string, tolerance?: number) => boolean }
    const secret = 'whsec_0123456789abcdefghijklmn'
    const body = JSON.stringify({ id: 'evt_x', type: 'order.paid', data: { order: { subject: '拿铁咖啡 · 大杯' } } })
    const now = Math.floor(Date.now() / 1000)
    expect(verifyWebhook(body, signWebhook(body, secret), secret)).toBe(true)
    expect(verifyWebhook(`${body} `, signWebhook(body, secret), secret)).toBe(false)
    expect(verifyWebhook(body, signWebhook(body, 'whsec_another'), secret)).toBe(false)
    expect(verifyWebhook(body, signWebhook(body, secret, now - 301), secret)).toBe(false)
    expect(verifyWebhook(body, signWebhook(body, secret, now - 301), secret, 600)).toBe(true)
    expect(verifyWebhook(body, undefined, secret)).toBe(false)
    expect(verifyWebhook(body, `t=${now}`, secret)).toBe(false)
    // During a secret rotation the header carries one v1 per secret.
    const [t, v1] = signWebhook(body, secret, now).split(',')
    expect(verifyWebhook(body, `${t},v1=${'0'.repeat(64)},${v1}`, secret)).toBe(true)
  })
})
