#!/usr/bin/env node
/**
 * A minimal shop on the uni-cashier merchant API: creates an order, prints its checkout URL and QR code, receives
 * and verifies the `order.paid` webhook, refunds the order and waits for `refund.succeeded`.
 *
 *   node examples/shop/shop.mjs                    pay with a phone or a browser (the sandbox's pages), then watch
 *   node examples/shop/shop.mjs --pay-in-sandbox   the sandbox pays by itself: the whole loop runs unattended
 *
 * Settings (environment):
 *   CASHIER_URL      the cashier server (default http://127.0.0.1:8080, what `npm start` runs)
 *   CASHIER_API_KEY  a secret key (sk_test_… / sk_live_…); default the sandbox's key in $DATA_DIR/sandbox-api-key
 *   DATA_DIR         where the sandbox server keeps its data (default ./data)
 *   SHOP_PORT        the port this shop receives webhooks on, on 127.0.0.1 (default any free port)
 *   SHOP_WEBHOOK_URL the webhook URL the cashier calls, when it is not http://127.0.0.1:$SHOP_PORT/webhooks
 *   AMOUNT_FEN       the order's amount in fen (default 1)
 *
 * Node 20 built-ins only, plus `qrcode` for the terminal QR code. Exits 0 when the order was paid and refunded.
 */
import { Buffer } from 'node:buffer'
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'
import QRCode from 'qrcode'

/**
 * Checks a webhook: `Uni-Cashier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Use the body exactly as received (not parsed and serialised again). Several v1 values may be present while the
 * secret is rotated; one match is enough. A signature older or newer than `toleranceSeconds` is refused (replays).
 * @param {string} rawBody the request body as received, decoded as UTF-8
 * @param {string | undefined} header the Uni-Cashier-Signature header
 * @param {string} secret the endpoint's signing secret (whsec_…)
 * @param {number} [toleranceSeconds]
 * @returns {boolean} true when the request comes from the cashier and is fresh
 */
export function verifyWebhook(rawBody, header, secret, toleranceSeconds = 300) {
  if (!header)
    return false
  const parts = header.split(',').map(p => p.trim().split('='))
  const t = Number(parts.find(([k]) => k === 't')?.[1])
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds)
    return false
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'))
  return parts.some(([k, v]) => {
    const given = Buffer.from(k === 'v1' && v ? v : '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

const CASHIER_URL = (process.env.CASHIER_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
const PAY_IN_SANDBOX = process.argv.includes('--pay-in-sandbox')

function apiKey() {
  if (process.env.CASHIER_API_KEY)
    return process.env.CASHIER_API_KEY
  const file = path.join(process.env.DATA_DIR || 'data', 'sandbox-api-key')
  try {
    return readFileSync(file, 'utf8').trim()
  }
  catch {
    throw new Error(`no CASHIER_API_KEY and no ${file}: start the server in sandbox mode (npm start), or make a key with npm run keys -- create --name shop`)
  }
}

/**
 * Calls the merchant API; throws with the answer's `code` and `message` unless it is a 2xx.
 * @param {string} key
 * @param {'GET' | 'POST' | 'DELETE'} method
 * @param {string} pathname relative to /api/merchant/v1
 * @param {unknown} [body]
 * @returns {Promise<any>} the JSON answer
 */
async function merchantApi(key, method, pathname, body) {
  const res = await fetch(`${CASHIER_URL}/api/merchant/v1${pathname}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      // Creating calls need one; a retry with the same key (after a timeout, say) is answered once.
      ...(method === 'POST' ? { 'Idempotency-Key': randomUUID() } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = await res.json().catch(() => ({}))
  if (!res.ok)
    throw new Error(`${method} ${pathname} answered ${res.status} ${json.code ?? ''}: ${json.message ?? ''}`)
  return json
}

/**
 * Receives webhooks on 127.0.0.1: verifies each, answers 400 to a bad signature, 200 otherwise (also to an event
 * seen before: deliveries are at least once), and hands every new event to whoever waits for it.
 */
async function webhookReceiver() {
  let secret = ''
  /** @type {Error | undefined} */
  let stopped
  const seen = new Set()
  /** @type {Array<{ test: (e: any) => boolean, resolve: (e: any) => void, reject: (e: Error) => void }>} */
  const waiting = []
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      if (req.method !== 'POST' || !verifyWebhook(raw, req.headers['uni-cashier-signature'], secret)) {
        console.log('  ✗ refused a webhook with a bad or missing signature')
        res.writeHead(400).end()
        return
      }
      const event = JSON.parse(raw)
      res.writeHead(200).end()
      if (seen.has(event.id))
        return
      seen.add(event.id)
      console.log(`  ← webhook ${event.type} ${event.id} (signature verified)`)
      for (const w of waiting.filter(w => w.test(event))) {
        waiting.splice(waiting.indexOf(w), 1)
        w.resolve(event)
      }
    })
  })
  await new Promise(resolve => server.listen(Number(process.env.SHOP_PORT || 0), '127.0.0.1', () => resolve(undefined)))
  return {
    url: process.env.SHOP_WEBHOOK_URL || `http://127.0.0.1:${server.address().port}/webhooks`,
    /** @param {string} s */
    setSecret: (s) => { secret = s },
    /**
     * The first event `test` accepts, or an error after `ms`.
     * @param {(e: any) => boolean} test
     * @param {number} ms
     * @param {string} what
     */
    next: (test, ms, what) => {
      const event = new Promise((resolve, reject) => {
        if (stopped)
          return reject(stopped)
        const timer = setTimeout(() => reject(new Error(`no ${what} within ${Math.round(ms / 1000)} s`)), ms)
        const settle = (e) => {
          clearTimeout(timer)
          resolve(e)
        }
        waiting.push({ test, resolve: settle, reject })
      })
      event.catch(() => {}) // awaited later: a failure before then is not unhandled
      return event
    },
    /** Fails every wait, now and later. @param {Error} e */
    stop: (e) => {
      stopped = e
      waiting.splice(0).forEach(w => w.reject(e))
    },
    close: () => new Promise(resolve => server.close(() => resolve(undefined))),
  }
}

/**
 * What a customer does with a phone, done through the sandbox: starts a WeChat Native payment of the order on the
 * cashier's public API (as the checkout page does) and pays its code in the simulator.
 * @param {string} orderNo
 */
async function payInSandbox(orderNo) {
  const start = await fetch(`${CASHIER_URL}/api/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ orderNo, method: 'wechat_native' }),
  })
  const action = await start.json()
  if (!start.ok || !action.codeUrl)
    throw new Error(`the cashier did not start a Native payment: ${start.status} ${JSON.stringify(action)}`)
  const paid = await fetch(`${CASHIER_URL}/sandbox/api/wechat/pay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code_url: action.codeUrl }),
  })
  if (!paid.ok)
    throw new Error(`the sandbox did not pay: ${paid.status} ${await paid.text()}`)
  console.log('  → paid in the sandbox (WeChat Pay Native)')
}

async function main() {
  const key = apiKey()
  const hooks = await webhookReceiver()
  // Ctrl-C still removes the webhook endpoint (below), so the cashier does not keep calling a shop that is gone.
  process.once('SIGINT', () => hooks.stop(new Error('stopped')))
  let endpointId = ''
  try {
    // 1. A webhook endpoint for this run. A real shop registers its endpoint once and keeps the secret.
    const endpoint = await merchantApi(key, 'POST', '/webhook-endpoints', { url: hooks.url, description: 'examples/shop' })
    endpointId = endpoint.id
    hooks.setSecret(endpoint.secret)
    console.log(`✓ webhook endpoint ${endpoint.id} → ${endpoint.url}`)

    // 2. The order. merchantOrderId is the shop's own id: asking again with the same body answers the same order.
    const order = await merchantApi(key, 'POST', '/orders', {
      amountFen: Number(process.env.AMOUNT_FEN || 1),
      subject: 'Example shop · 1 coffee',
      merchantOrderId: `shop-${Date.now()}`,
      expiresInSeconds: 15 * 60,
      metadata: { source: 'examples/shop' },
    })
    console.log(`✓ order ${order.orderNo} created (${order.amountFen} fen, ${order.status})`)
    console.log(`  checkout: ${order.checkoutUrl}`)
    console.log(await QRCode.toString(order.checkoutUrl, { type: 'terminal', small: true }))

    // 3. Paid: only the verified webhook (or GET /orders/{orderNo}) says so, never the customer's browser.
    const payWait = PAY_IN_SANDBOX ? 60_000 : new Date(order.expiresAt).getTime() - Date.now() + 30_000
    const paidEvent = hooks.next(e => e.data.order.orderNo === order.orderNo && ['order.paid', 'order.closed', 'order.expired'].includes(e.type), payWait, 'order.paid webhook')
    if (PAY_IN_SANDBOX)
      await payInSandbox(order.orderNo)
    else
      console.log('  Open the checkout URL and pay (in the sandbox: a browser with a phone\'s user agent, then confirm on the simulated pay page). Waiting… (Ctrl-C stops)')
    const paid = await paidEvent
    if (paid.type !== 'order.paid')
      throw new Error(`the order was not paid: ${paid.type}`)
    console.log(`✓ order.paid verified: ${paid.data.order.orderNo} paid at ${paid.data.order.paidAt}; ship the coffee`)

    // 4. Refund in full. `status` is succeeded, or processing until the provider confirms it (refund.succeeded).
    const refundedEvent = hooks.next(e => e.data.order.orderNo === order.orderNo && ['refund.succeeded', 'refund.failed'].includes(e.type), 60_000, 'refund.succeeded webhook')
    const refund = await merchantApi(key, 'POST', `/orders/${order.orderNo}/refunds`, { reason: 'example refund' })
    console.log(`✓ refund ${refund.id} requested (${refund.amountFen} fen, ${refund.status})`)
    const refunded = await refundedEvent
    if (refunded.type !== 'refund.succeeded')
      throw new Error(`the refund failed: ${refunded.data.refund?.failure ?? refunded.type}`)
    console.log(`✓ refund.succeeded verified: ${refunded.data.refund.amountFen} fen back, order ${refunded.data.order.status}`)
    console.log('done')
  }
  finally {
    if (endpointId)
      await merchantApi(key, 'DELETE', `/webhook-endpoints/${endpointId}`).catch(() => {})
    await hooks.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(() => process.exit(0), (e) => {
    console.error(`✗ ${e.message}`)
    process.exit(1)
  })
}
