/**
 * deploy/nginx.conf's caps on order status event streams (limit_conn per client IP and per order, across every
 * process) and its frame headers on the cashier's pages, in front of a stub process that holds every stream open.
 * No PostgreSQL.
 */
import type { Server } from 'node:http'
import type { NginxInstance } from './nginx'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTestSite, startNginx } from './nginx'
import { assertPrereqs, scaleTestsSkipped } from './prereqs'
import { freePort } from './procs'

describe.skipIf(scaleTestsSkipped())('deploy/nginx.conf: event stream caps and frame headers', () => {
  let dir: string
  let nginx: NginxInstance
  let upstream: Server
  const open: AbortController[] = []

  beforeAll(async () => {
    assertPrereqs()
    dir = mkdtempSync(path.join(tmpdir(), 'uc-nginx-streams-'))
    const root = path.join(dir, 'h5')
    mkdirSync(root, { recursive: true })
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="app"></div>')
    const [upstreamPort, nginxPort] = await Promise.all([freePort(), freePort()])
    upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      res.write(': open\n\n')
    })
    await new Promise<void>(resolve => upstream.listen(upstreamPort, '127.0.0.1', resolve))
    const site = renderTestSite(path.join(dir, 'nginx'), nginxPort!, {
      upstreams: [`127.0.0.1:${upstreamPort}`],
      cashierRoot: root,
      streamsPerIp: 2,
      streamsPerOrder: 1,
    })
    nginx = await startNginx(path.join(dir, 'nginx'), nginxPort!, site)
  })

  afterAll(async () => {
    for (const c of open) c.abort()
    await nginx?.stop()
    upstream?.closeAllConnections()
    await new Promise(resolve => upstream?.close(resolve))
    if (dir)
      rmSync(dir, { recursive: true, force: true })
  })

  async function stream(orderNo: string): Promise<number> {
    const controller = new AbortController()
    open.push(controller)
    const res = await fetch(`${nginx.url}/api/orders/${orderNo}/events`, { signal: controller.signal })
    if (res.status !== 200)
      await res.arrayBuffer()
    return res.status
  }

  it('one stream per order and two per client IP at once; the next is 429', async () => {
    expect(await stream('OA')).toBe(200)
    expect(await stream('OA')).toBe(429)
    expect(await stream('OB')).toBe(200)
    expect(await stream('OC')).toBe(429)
  })

  it('the cashier\'s pages cannot be framed', async () => {
    const res = await fetch(`${nginx.url}/`)
    await res.arrayBuffer()
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors \'none\'')
  })
})
