import type { MiddlewareHandler } from 'hono'

/**
 * Headers for the cashier's own pages and API: a CSP that allows only this origin (the built
 * cashier needs no inline script), no MIME sniffing, and a Referrer-Policy that still sends the
 * origin WeChat H5 pay checks. No page of ours may be framed (a framed cashier invites clickjacking
 * of the pay button): `frame-ancestors 'none'` and, for older browsers, X-Frame-Options. Behind an
 * https PUBLIC_URL, HSTS keeps browsers on https.
 */
export function securityHeaders(apiOrigins: string[] = [], opts: { hsts?: boolean, imageOrigins?: string[] } = {}): MiddlewareHandler {
  const connect = ['\'self\'', ...apiOrigins].join(' ')
  // The merchant's logo may be on another https origin (MERCHANT_LOGO_URL): images from there, nothing else.
  const img = ['\'self\'', 'data:', 'blob:', ...(opts.imageOrigins ?? [])].join(' ')
  const csp = [
    'default-src \'self\'',
    'script-src \'self\'',
    'style-src \'self\' \'unsafe-inline\'',
    `img-src ${img}`,
    `connect-src ${connect}`,
    'base-uri \'self\'',
    'form-action \'self\'',
    'object-src \'none\'',
    'frame-ancestors \'none\'',
  ].join('; ')
  // Set before the handler runs, so they are part of the response it creates: a header set on a finished response
  // makes Hono copy the whole response, per header.
  return async (c, next) => {
    if (opts.hsts)
      c.header('Strict-Transport-Security', 'max-age=31536000')
    const sandbox = c.req.path.startsWith('/sandbox')
    if (!sandbox) {
      c.header('X-Content-Type-Options', 'nosniff')
      c.header('Referrer-Policy', 'strict-origin-when-cross-origin')
      c.header('X-Frame-Options', 'DENY')
    }
    await next()
    // A page that set its own policy (the console's, stricter) keeps it.
    if (!sandbox && (c.res.headers.get('content-type') ?? '').includes('text/html') && !c.res.headers.has('Content-Security-Policy'))
      c.header('Content-Security-Policy', csp)
  }
}
