import type { Sandbox } from '../sandbox/types'
import type { StartupMemoryStep } from './admin/local-admin'
import type { Services } from './services'
import { serveStatic } from '@hono/node-server/serve-static'
import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { compress } from 'hono/compress'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { adminRoutes } from './admin/local-admin'
import { consoleRoutes } from './console/routes'
import { healthReport } from './health/report'
import { HttpError } from './http/errors'
import { malformedJsonText } from './http/json-body'
import { rateLimit, RateWindows } from './http/rate-limit'
import { clientIp } from './http/request'
import { securityHeaders } from './http/security-headers'
import { readSessionId } from './http/session-cookie'
import { isStatusRead } from './http/status-fast-path'
import { demoRoutes } from './routes/demo'
import { mountDocs } from './routes/docs'
import { MERCHANT_PREFIX, merchantRoutes, registerMerchantWebhooks } from './routes/merchant'
import { notifyRoutes } from './routes/notify'
import { orderEventRoutes } from './routes/order-events'
import { orderRoutes } from './routes/orders'
import { paymentRoutes } from './routes/payments'
import { sessionRoutes } from './routes/sessions'

export const MAX_BODY_BYTES = 64 * 1024

function summarizeZodIssues(error: { issues: Array<{ path: PropertyKey[], message: string }> }): string {
  return error.issues.slice(0, 5).map(i => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; ')
}

/** Composes the HTTP surface: API, OpenAPI document, notifications, the sandbox and the built cashier. */
export function createApp(s: Services, opts: {
  sandbox?: Sandbox
  version: string
  adminToken?: string
  startupMemory?: StartupMemoryStep[]
  /** The counts of the per-IP status limit, when something outside the app counts too (status-fast-path.ts). */
  statusLimits?: RateWindows
}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json({ code: 'validation_failed', message: summarizeZodIssues(result.error) }, 400)
    },
  })

  app.use('*', requestId())
  app.use('*', async (c, next) => {
    const started = performance.now()
    await next()
    const fields = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }
    // API requests at info, but a status read only at debug: customers' pages poll it every few seconds, so at info it
    // would be most of the log (a proxy's access log has them all), and it changes nothing.
    if (c.req.path.startsWith('/api/') && !isStatusRead(c.req.method, c.req.path))
      s.log.info(fields, 'request')
    else
      s.log.debug(fields, 'request')
  })
  const logo = s.config.merchantLogoUrl
  app.use('*', securityHeaders(s.config.corsOrigins, {
    hsts: s.config.publicUrl.startsWith('https:'),
    imageOrigins: logo?.startsWith('https://') ? [new URL(logo).origin] : [],
  }))
  // gzip pages, assets and JSON; never the event stream, which must reach the browser as it is written, nor a status
  // read (≈ 130 bytes, which gzip would not make smaller, and the most frequent request of all), nor the embedded
  // sandbox's provider APIs, which only this server calls, over loopback.
  const gzip = compress({ encoding: 'gzip' })
  const providerApi = /^\/sandbox\/(?:wechatpay\/|wechat\/api\/|alipay\/gateway\.do)/
  app.use('*', async (c, next) => {
    const p = c.req.path
    return p.endsWith('/events') || p.endsWith('/status') || providerApi.test(p) ? next() : gzip(c, next)
  })
  if (s.config.corsOrigins.length > 0) {
    // The cashier's endpoints only: the merchant API is never called from a browser.
    const cashierCors = cors({
      origin: s.config.corsOrigins,
      credentials: true,
      allowHeaders: ['Content-Type', 'Idempotency-Key', 'X-Session-Token'],
      allowMethods: ['GET', 'POST'],
      maxAge: 600,
    })
    app.use('/api/*', async (c, next) => c.req.path.startsWith(`${MERCHANT_PREFIX}/`) ? next() : cashierCors(c, next))
  }
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: c => c.json({ code: 'payload_too_large', message: `request body is larger than ${MAX_BODY_BYTES / 1024} KB` }, 413),
  })
  // A GET has no body to limit, and asking for one would build a whole WHATWG Request for nothing.
  app.use('/api/*', async (c, next) => c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next))
  app.use('/api/*', async (c, next) => {
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined
    if (c.req.method === 'POST' && hasBody && !c.req.path.startsWith('/api/notify/')) {
      const type = c.req.header('content-type') ?? ''
      if (!type.toLowerCase().startsWith('application/json'))
        return c.json({ code: 'unsupported_media_type', message: 'send the request body as application/json' }, 415)
      const malformed = await malformedJsonText(c)
      if (malformed)
        return c.json({ code: 'bad_request', message: malformed }, 400)
    }
    await next()
  })

  // A secret key belongs in the shop's backend. One sent to the cashier's endpoints is refused, loudly.
  app.use('/api/*', async (c, next) => {
    if (!c.req.path.startsWith(`${MERCHANT_PREFIX}/`) && /^Bearer\s+sk_/i.test(c.req.header('authorization') ?? ''))
      return c.json({ code: 'forbidden', message: 'secret API keys are for /api/merchant/v1 only; never send one from a browser or app (revoke it if it was exposed)' }, 403)
    await next()
  })

  // The per-session limit counts against the payer bound to the session (openid, Alipay user id), which the client
  // cannot rotate: a fresh cookie, a made-up X-Session-Token or a second OAuth round trip of the same payer all count
  // together. Requests with no payer yet count per IP only.
  const limiter = rateLimit([
    { name: 'per IP', limit: s.config.rateLimitPerIp, windowMs: 60_000, key: c => clientIp(c, s.config) },
    { name: 'per payer', limit: s.config.rateLimitPerSession, windowMs: 60_000, key: async (c) => {
      const session = await s.sessions.get(readSessionId(c))
      const payer = session?.wechat_openid ?? session?.wechat_mp_openid ?? session?.alipay_user_id
      return payer ?? undefined
    } },
  ])
  app.use('/api/payments', async (c, next) => c.req.method === 'POST' ? limiter(c, next) : next())
  app.use('/api/mp/session', limiter)
  // Status reads may ask the provider, and event streams hold a connection each: both are limited per IP.
  const statusLimiter = rateLimit([
    { name: 'per IP', limit: s.config.statusRateLimitPerIp, windowMs: 60_000, key: c => clientIp(c, s.config) },
  ], Date.now, 'status requests', opts.statusLimits ?? new RateWindows())
  app.use('/api/orders/:orderNo/status', statusLimiter)
  app.use('/api/orders/:orderNo/events', statusLimiter)

  app.route('/', orderRoutes(s))
  app.route('/', orderEventRoutes(s))
  app.route('/', paymentRoutes(s))
  app.route('/', sessionRoutes(s))
  app.route('/', demoRoutes(s))
  app.route('/', notifyRoutes(s))
  app.route('/', merchantRoutes(s))
  registerMerchantWebhooks(app)
  app.route('/', consoleRoutes(s))
  if (opts.adminToken)
    app.route('/', adminRoutes(s.db, opts.adminToken, s.config.mode, opts.startupMemory))
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/notify/wechatpay',
    tags: ['notifications'],
    summary: 'WeChat Pay v3 payment notifications (signed, AEAD_AES_256_GCM encrypted)',
    responses: {
      200: { description: '`{"code":"SUCCESS","message":"成功"}` once applied (or already applied)' },
      400: { description: 'Does not decrypt, or does not match our attempt/order (nothing changed)' },
      401: { description: 'Missing, forged, stale, replayed or SIGNTEST signature (nothing parsed)' },
    },
  })
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/notify/alipay',
    tags: ['notifications'],
    summary: 'Alipay async notifications (form-posted, RSA2-signed)',
    responses: {
      200: { description: 'The literal text `success` once applied (or already applied)' },
      400: { description: 'Wrong app_id/seller_id, unknown out_trade_no or a total_amount that is not the order\'s (nothing changed)' },
      401: { description: 'Missing or invalid signature (nothing trusted)' },
      415: { description: 'Not a form body' },
    },
  })
  mountDocs(app, opts.version)

  app.get('/healthz', c => c.json({ ok: true, mode: s.config.mode }))
  app.get('/api/health', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json(healthReport(s.config, { version: opts.version, sandboxMounted: !!opts.sandbox, methods: s.providers.methods() }))
  })
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/health',
    tags: ['operations'],
    summary: 'Mode, configured providers and methods, and (live mode) the console settings and credentials that need the merchant\'s attention',
    responses: { 200: { description: 'A HealthReport (server/health/report.ts); ids only, never a secret' } },
  })

  if (opts.sandbox)
    app.route('/sandbox', opts.sandbox.app)

  app.all('/api/*', c => c.json({ code: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404))

  // The built cashier: hashed assets cached for a year; index.html, the service worker and the web app manifest
  // revalidated on every use (a stale sw.js would hold an old precache).
  app.use('/assets/*', async (c, next) => {
    await next()
    if (c.res.status === 200)
      c.header('Cache-Control', 'public, max-age=31536000, immutable')
  })
  app.use('/*', serveStatic({
    root: s.config.staticDir,
    rewriteRequestPath: p => (p === '/' ? '/index.html' : p),
    onFound: (p, c) => {
      if (/\.html$|\/sw\.js$|\.webmanifest$/.test(p))
        c.header('Cache-Control', 'no-cache')
    },
  }))

  app.onError((err, c) => {
    if (err instanceof HttpError)
      return c.json(err.toBody(), err.status)
    if (err instanceof HTTPException) {
      if (err.status === 400)
        return c.json({ code: 'bad_request', message: err.message || 'malformed request' }, 400)
      return c.json({ code: 'bad_request', message: err.message }, err.status as 400)
    }
    s.log.error({ err: { message: err.message, stack: err.stack }, reqId: c.get('requestId') }, 'unhandled error')
    return c.json({ code: 'internal_error', message: 'something went wrong on our side; try again' }, 500)
  })
  app.notFound(c => c.text('Not found', 404))
  return app
}
