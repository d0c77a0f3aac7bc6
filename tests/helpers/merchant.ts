/** Helpers for tests of the merchant side: an API key, merchant API calls, and a webhook receiver on loopback. */
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestServer } from './server'
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import { createApiKey } from '../../server/merchant/api-keys'
import { key } from './server'

export interface MerchantClient {
  apiKey: string
  call: (method: string, pathname: string, init?: { body?: unknown, idempotencyKey?: string | null, headers?: Record<string, string> }) => Promise<{ status: number, json: Record<string, any>, text: string, headers: Headers }> // any: response bodies are checked field by field in the tests
  /** Creates an order (a fresh merchantOrderId and Idempotency-Key unless given) and answers it. */
  order: (body?: Record<string, unknown>) => Promise<Record<string, any>> // any: as above
}

let seq = 0

export async function merchantClient(server: TestServer, name = 'test shop'): Promise<MerchantClient> {
  const { key: apiKey } = await createApiKey(server.services.db, name, 'sandbox')
  const call: MerchantClient['call'] = async (method, pathname, init = {}) => {
    const idem = init.idempotencyKey === undefined ? (method === 'POST' ? key() : null) : init.idempotencyKey
    return server.call(method, `/api/merchant/v1${pathname}`, {
      body: init.body,
      headers: { Authorization: `Bearer ${apiKey}`, ...(idem ? { 'Idempotency-Key': idem } : {}), ...init.headers },
    })
  }
  return {
    apiKey,
    call,
    order: async (body = {}) => {
      const res = await call('POST', '/orders', { body: { amountFen: 1000, subject: '测试商品', merchantOrderId: `T-${Date.now()}-${seq++}`, ...body } })
      if (res.status !== 201)
        throw new Error(`order creation answered ${res.status}: ${res.text}`)
      return res.json
    },
  }
}

export interface ReceivedWebhook { headers: IncomingHttpHeaders, body: string, at: number }

export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  /** What to answer the next request (status code; `redirect` answers 302; `hang` never answers). */
  answer: (fn: (req: ReceivedWebhook, n: number) => number | 'redirect' | 'hang') => void
  close: () => Promise<void>
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  let decide: (req: ReceivedWebhook, n: number) => number | 'redirect' | 'hang' = () => 200
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c as Buffer))
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      received.push(r)
      const verdict = decide(r, received.length)
      if (verdict === 'hang')
        return
      if (verdict === 'redirect') {
        res.writeHead(302, { Location: 'http://127.0.0.1:9/elsewhere' }).end()
        return
      }
      res.writeHead(verdict, { 'Content-Type': 'text/plain' }).end(verdict < 300 ? 'ok' : 'no')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    answer: (fn) => {
      decide = fn
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

export { eventually } from './eventually'
