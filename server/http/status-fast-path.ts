/**
 * The most frequent request of all — a customer's page asking `GET /api/orders/{no}/status` of a pending order this
 * process keeps in memory (server/orders/status-cache.ts) — answered on Node's own request and response, without a
 * WHATWG Request, a Hono context, a middleware chain and a Response for ~120 bytes of JSON.
 *
 * It answers exactly as the Hono route does (server/routes/orders.ts and the middlewares of server/app.ts): the same
 * body, the same headers (security headers, X-Request-Id, Cache-Control), the request logged the same way (at debug), and the
 * same per-IP status limit counted in the same windows. Whatever it cannot answer that way goes to Hono untouched: any
 * other request; a status read of an order not kept here; a read over the per-IP limit (Hono counts it and answers 429);
 * one with any Authorization header; every request when the API is cross-origin (CORS_ORIGINS).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerConfig } from '../config'
import type { Logger } from '../logger'
import type { Services } from '../services'
import type { RateWindows } from './rate-limit'
import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import { toStatusView } from '../orders/views'
import { keptStatusRow } from '../routes/orders'
import { rateKey } from './rate-limit'
import { clientIpOf } from './request'

const STATUS_PATH = /^\/api\/orders\/([\w-]{4,64})\/status(?:\?|$)/

/** A status read (`GET /api/orders/{no}/status`), which is logged at debug, not info: see server/app.ts. */
export function isStatusRead(method: string, path: string): boolean {
  return method === 'GET' && STATUS_PATH.test(path)
}
/** The request ids hono/request-id accepts from the client. */
const REQUEST_ID = /^[\w\-=]{1,255}$/

/**
 * The headers of a status answer but its request id: Cache-Control from the route, the JSON type, and those
 * server/http/security-headers.ts sets on an API response — in the order Hono writes them (sorted by name).
 */
export function statusHeaders(config: Pick<ServerConfig, 'publicUrl'>): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'content-type': 'application/json',
    'referrer-policy': 'strict-origin-when-cross-origin',
    ...(config.publicUrl.startsWith('https:') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  }
}

export interface StatusFastPathDeps {
  services: Pick<Services, 'bus' | 'providerQueries'> & { config: ServerConfig, log: Logger }
  /** The windows of the status limit of server/app.ts (rule name "per IP"). */
  statusLimits: RateWindows
}

/** A request listener's front: true when it answered the request, false to pass it on to Hono. */
export function statusFastPath({ services: s, statusLimits }: StatusFastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { config } = s
  const fixed = statusHeaders(config)
  const limit = config.statusRateLimitPerIp
  // Cross-origin API (CORS_ORIGINS): Hono's CORS middleware adds its headers to every answer; leave them all to it.
  if (config.corsOrigins.length > 0)
    return () => false
  return (req, res) => {
    if (req.method !== 'GET')
      return false
    const url = req.url ?? ''
    const match = STATUS_PATH.exec(url)
    if (!match)
      return false
    const headers = req.headers
    if (headers.authorization !== undefined)
      return false
    const started = performance.now()
    const orderNo = match[1]!
    const row = keptStatusRow(s, orderNo)
    if (!row)
      return false
    if (limit > 0) {
      const forwardedFor = headers['x-forwarded-for']
      const ip = clientIpOf(Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor, req.socket.remoteAddress, config.trustProxy)
      if (!statusLimits.tryHit(rateKey({ name: 'per IP' }, ip), limit, 60_000))
        return false
    }
    const asked = headers['x-request-id']
    const reqId = typeof asked === 'string' && REQUEST_ID.test(asked) ? asked : randomUUID()
    const body = JSON.stringify(toStatusView(row))
    res.writeHead(200, { ...fixed, 'x-request-id': reqId, 'Content-Length': Buffer.byteLength(body) })
    res.end(body)
    if (s.log.isLevelEnabled('debug'))
      s.log.debug({ reqId, method: 'GET', path: url.split('?', 1)[0], status: 200, ms: Math.round(performance.now() - started) }, 'request')
    return true
  }
}
