/**
 * deploy/nginx.conf on its own, in front of stub upstreams that echo what they receive: the headers every process
 * gets, unbuffered event streams, the JSON 429 of the nginx rate limit, and a dead process skipped. No PostgreSQL.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { NginxInstance } from './nginx'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNginxTemplate, renderNginxSite } from '../../deploy/render-nginx'
import { renderTestSite, startNginx } from './nginx'
import { assertPrereqs, scaleTestsSkipped } from './prereqs'
import { freePort } from './procs'
import { watchStatus } from './sse'

interface Echo { port: number, method: string, url: string, httpVersion: string, headers: Record<string, string | string[] | undefined> }

function stub(port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (/^\/api\/orders\/[^/]+\/events$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      res.write(`event: status\ndata: ${JSON.stringify({ status: 'pending' })}\n\n`)
      const timer = setTimeout(() => res.end(`event: status\ndata: ${JSON.stringify({ status: 'paid' })}\n\n`), 1500)
      req.on('close', () => clearTimeout(timer))
      return
    }
    const echo: Echo = { port, method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: req.headers }
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' })
      res.end(JSON.stringify(echo))
    })
  })
  return new Promise(resolve => server.listen(port, '127.0.0.1', () => resolve(server)))
}

describe.skipIf(scaleTestsSkipped())('deploy/nginx.conf in front of stub processes', () => {
  let dir: string
  let nginx: NginxInstance
  let dead: number
  const stubs: Server[] = []

  beforeAll(async () => {
    assertPrereqs()
    dir = mkdtempSync(path.join(tmpdir(), 'uc-nginx-'))
    const root = path.join(dir, 'h5')
    mkdirSync(path.join(root, 'assets'), { recursive: true })
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="app"></div>')
    writeFileSync(path.join(root, 'assets', 'index-AbC123.js'), `console.log(${JSON.stringify('x'.repeat(4000))})`)
    writeFileSync(path.join(root, 'MP_verify_abc123.txt'), 'abc123')
    const [p1, p2, deadPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    dead = deadPort!
    stubs.push(await stub(p1!), await stub(p2!))
    const site = renderTestSite(path.join(dir, 'nginx'), nginxPort!, {
      upstreams: [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`, `127.0.0.1:${dead}`],
      cashierRoot: root,
      paymentsPerMinute: 6,
    })
    nginx = await startNginx(path.join(dir, 'nginx'), nginxPort!, site)
  })

  afterAll(async () => {
    await nginx?.stop()
    await Promise.all(stubs.map(s => new Promise(resolve => s.close(resolve))))
    if (dir)
      rmSync(dir, { recursive: true, force: true })
  })

  it('passes HTTP/1.1 keep-alive, the host, the scheme and an X-Forwarded-For the client cannot choose', async () => {
    const res = await fetch(`${nginx.url}/api/orders/O1`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'client-chosen' } })
    const echo = await res.json() as Echo
    expect(echo.httpVersion).toBe('1.1')
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(echo.headers['x-forwarded-proto']).toBe('http')
    expect(echo.headers.host).toBe('127.0.0.1') // $host: the name the client asked for, without the port
    expect(echo.headers.connection).toBeUndefined()
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/)
    // The upstream's own headers pass once; nginx adds no static-file headers to API answers.
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toBeNull()
    expect(res.headers.get('content-security-policy')).toBeNull()
  })

  it('skips a process that is down: every request answered, the dead one tried and passed over', async () => {
    const requests: Array<Promise<{ status: number, echo: Echo }>> = []
    for (let i = 0; i < 12; i++)
      requests.push(fetch(`${nginx.url}/api/orders/O2`).then(async r => ({ status: r.status, echo: await r.json() as Echo })))
    const results = await Promise.all(requests)
    expect(results.filter(r => r.status !== 200)).toEqual([])
    expect(new Set(results.map(r => r.echo.port)).size).toBe(2)
    const moved = nginx.accessLog().filter(l => l.upstreams.length > 1)
    expect(moved.length).toBeGreaterThan(0)
    expect(moved[0]!.upstreams[0]).toBe(`127.0.0.1:${dead}`)
  })

  it('streams events unbuffered (the first one at once, not when the stream ends)', async () => {
    const opened = performance.now()
    const watch = watchStatus(`${nginx.url}/api/orders/O3/events`, { reconnect: false, deadlineMs: 10_000 })
    const first = await watch.first
    const final = await watch.final
    expect(first.status).toBe('pending')
    expect(first.at - opened).toBeLessThan(1000)
    expect(final.status).toBe('paid')
    expect(final.at - first.at).toBeGreaterThan(1000)
  })

  it('limits payment creation per client IP across processes with the cashier\'s JSON 429', async () => {
    const statuses: number[] = []
    let limited: Response | undefined
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${nginx.url}/api/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      statuses.push(res.status)
      if (res.status === 429 && !limited)
        limited = res
      else
        await res.arrayBuffer()
    }
    expect(statuses.filter(s => s === 200).length).toBeGreaterThanOrEqual(20)
    expect(statuses.at(-1)).toBe(429)
    expect(limited!.headers.get('retry-after')).toBe('60')
    expect(await limited!.json()).toMatchObject({ code: 'rate_limited', retryable: true })
  })

  it('serves the cashier: index.html revalidated, hashed assets immutable and gzipped, MP_verify files, 404 otherwise', async () => {
    const index = await fetch(`${nginx.url}/`)
    expect(await index.text()).toContain('id="app"')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    expect(index.headers.get('content-security-policy')).toContain('default-src \'self\'')
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    expect(index.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    const asset = await fetch(`${nginx.url}/assets/index-AbC123.js`, { headers: { 'accept-encoding': 'gzip' } })
    await asset.arrayBuffer()
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(asset.headers.get('content-encoding')).toBe('gzip')
    expect(asset.headers.get('content-type')).toMatch(/javascript/)
    expect(await (await fetch(`${nginx.url}/MP_verify_abc123.txt`)).text()).toBe('abc123')
    expect((await fetch(`${nginx.url}/pages/checkout/checkout`)).status).toBe(404)
    // No /sandbox without a sandbox: live deployments expose nothing of it.
    expect((await fetch(`${nginx.url}/sandbox/api/stats`)).status).toBe(404)
  })

  it('renders the production variant (TLS, redirect, HSTS) and refuses values that would break out of a directive', () => {
    const site = renderNginxSite(readNginxTemplate(), {
      serverName: 'pay.example.com',
      listen: '443 ssl http2',
      cashierRoot: '/srv/uni-cashier/h5',
      upstreams: ['127.0.0.1:3001', '127.0.0.1:3002'],
      accessLog: '/var/log/nginx/uni-cashier.access.log',
      tls: { cert: '/etc/ssl/pay.pem', key: '/etc/ssl/pay.key' },
      paymentsPerMinute: 60,
    })
    expect(site).not.toContain('{{')
    expect(site).toContain('return 301 https://$host$request_uri;')
    expect(site).toContain('add_header Strict-Transport-Security')
    expect(site).not.toContain('/sandbox/')
    // Every add_header sits at server level, where HSTS is (an add_header in a location would drop it there).
    const server = site.slice(site.indexOf('listen 443'))
    const locations = server.slice(server.indexOf('location '))
    expect(locations.match(/add_header/g)?.length).toBe(1) // Retry-After on the 429 page
    expect(() => renderNginxSite(readNginxTemplate(), { serverName: 'x; include /etc/passwd', listen: '80', cashierRoot: '/srv', upstreams: ['127.0.0.1:1'], accessLog: '/tmp/a' })).toThrow(/SERVER_NAME/)
  })

  it('lets an https merchant logo\'s origin into the cashier\'s img-src, and nothing else', () => {
    const base = { serverName: 'pay.example.com', listen: '80', cashierRoot: '/srv', upstreams: ['127.0.0.1:1'], accessLog: '/tmp/a' }
    expect(renderNginxSite(readNginxTemplate(), base)).toContain('img-src \'self\' data: blob:; ')
    expect(renderNginxSite(readNginxTemplate(), { ...base, logoUrl: '/logo.svg' })).toContain('img-src \'self\' data: blob:; ')
    expect(renderNginxSite(readNginxTemplate(), { ...base, logoUrl: 'https://cdn.example.com/shop/logo.svg?v=2' })).toContain('img-src \'self\' data: blob: https://cdn.example.com; ')
    expect(() => renderNginxSite(readNginxTemplate(), { ...base, logoUrl: 'http://cdn.example.com/logo.svg' })).toThrow(/logo-url/)
    expect(() => renderNginxSite(readNginxTemplate(), { ...base, logoUrl: 'javascript:alert(1)' })).toThrow(/logo-url/)
  })
})
