/**
 * Test harness for the Alipay side of the sandbox: the sandbox alone on 127.0.0.1 (random port, fresh keys in a
 * temp dir, timeScale 0.001), a notification receiver that checks every delivery like a merchant would, and an
 * AlipayClient (the real alipay-sdk) pointed at the sandbox.
 */
import type { ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Sandbox, SandboxKeys } from '../../sandbox/types'
import type { AlipayClient } from '../../server/providers/alipay/client'
import type { AlipayNotifyVerdict } from '../../server/providers/alipay/notify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createSandbox } from '../../sandbox/index'
import { ensureSandboxKeys } from '../../sandbox/keys'
import { createAlipayClient } from '../../server/providers/alipay/client'
import { checkAlipayNotification } from '../../server/providers/alipay/notify'

/** One notification as the receiver saw it. */
export interface ReceivedNotify {
  params: Record<string, string>
  contentType: string
  verified: boolean
  verdict: AlipayNotifyVerdict
  reply: string
  at: number
}

export interface AlipayHarness {
  keys: SandboxKeys
  sandbox: Sandbox
  /** http://127.0.0.1:port (the sandbox is mounted at /sandbox). */
  origin: string
  gateway: string
  oauthBase: string
  /** notify_url of the receiver. */
  notifyUrl: string
  client: AlipayClient
  received: ReceivedNotify[]
  /** out_trade_no → replies to give before the default `success` (e.g. ['fail', 'success\n']). */
  replies: Map<string, string[]>
  /** Serves `fetch` on a random local port; closed with the harness. */
  listen: (fetch: (req: Request) => Response | Promise<Response>) => Promise<string>
  close: () => Promise<void>
}

export async function startAlipayHarness(): Promise<AlipayHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-alipay-'))
  const keys = ensureSandboxKeys(dataDir)
  const servers: ServerType[] = []
  const listen = (fetch: (req: Request) => Response | Promise<Response>): Promise<string> => new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`))
    servers.push(server)
  })

  let handler: ((req: Request) => Response | Promise<Response>) | undefined
  const origin = await listen(req => handler!(req))
  const sandbox = createSandbox({ keys, publicUrl: origin, timeScale: 0.001, h5Domain: '127.0.0.1:5173' })
  const root = new Hono()
  root.route('/sandbox', sandbox.app)
  handler = req => root.fetch(req)

  const gateway = `${origin}/sandbox/alipay/gateway.do`
  const oauthBase = `${origin}/sandbox/alipay/oauth`
  const ali = keys.alipay
  const client = createAlipayClient(
    { appId: ali.appId, privateKeyPem: ali.appPrivateKeyPem, alipayPublicKeyPem: ali.alipayPublicKeyPem, sellerId: ali.sellerId },
    { gateway, oauthBase, timeoutMs: 5000 },
  )

  const received: ReceivedNotify[] = []
  const replies = new Map<string, string[]>()
  const receiver = new Hono()
  receiver.post('/alipay/notify', async (c) => {
    const params = Object.fromEntries(new URLSearchParams(await c.req.text()))
    const verified = client.verifyNotify(params)
    const verdict = checkAlipayNotification(params, { appId: ali.appId, sellerId: ali.sellerId, verify: client.verifyNotify })
    const entry: ReceivedNotify = { params, contentType: c.req.header('Content-Type') ?? '', verified, verdict, reply: 'fail', at: Date.now() }
    received.push(entry)
    if (!verdict.ok)
      return c.text('fail', verdict.status)
    entry.reply = replies.get(verdict.outTradeNo)?.shift() ?? 'success'
    return c.text(entry.reply)
  })
  const receiverOrigin = await listen(req => receiver.fetch(req))

  return {
    keys,
    sandbox,
    origin,
    gateway,
    oauthBase,
    notifyUrl: `${receiverOrigin}/alipay/notify`,
    client,
    received,
    replies,
    listen,
    async close() {
      await sandbox.close()
      await Promise.all(servers.map(s => new Promise(r => s.close(r))))
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Polls `fn` until it returns something truthy (5 s by default). */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v)
      return v
    if (Date.now() > until)
      throw new Error('timed out waiting')
    await new Promise(r => setTimeout(r, 20))
  }
}

/** A sandbox control API call. */
// any: the control API answers many shapes; the assertions check them.
export async function control(h: AlipayHarness, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> {
  const res = await fetch(`${h.origin}/sandbox/api${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() as any }
}

let seq = 0
/** A fresh out_trade_no. */
export function newOutTradeNo(): string {
  seq++
  return `A${Date.now()}${seq}`
}

/** Verified notifications of one out_trade_no. */
export function notificationsOf(h: AlipayHarness, outTradeNo: string): ReceivedNotify[] {
  return h.received.filter(r => r.verdict.ok && r.params.out_trade_no === outTradeNo)
}
