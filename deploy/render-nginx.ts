/**
 * Fills the nginx template deploy/nginx.conf: `{{NAME}}` placeholders and `{{#SECTION}}` … `{{/SECTION}}` blocks
 * (kept when the option is given, dropped otherwise). Used by the scale tests and, as a command, by merchants:
 *
 *   npx tsx deploy/render-nginx.ts --server-name pay.example.com --root /srv/uni-cashier/h5 \
 *     --upstream 127.0.0.1:3001 --upstream 127.0.0.1:3002 --tls-cert CERT.pem --tls-key KEY.pem > uni-cashier.conf
 *
 * Options: --server-name, --root, --upstream (repeat per process), --listen (default "443 ssl http2" with TLS,
 * "80" without), --tls-cert/--tls-key, --access-log (default /var/log/nginx/uni-cashier.access.log),
 * --payments-per-minute (default 60 per client IP; 0 = no nginx limit), --streams-per-ip and --streams-per-order (event
 * streams open at once; default 50 and 20, 0 = no nginx limit), --logo-url (MERCHANT_LOGO_URL when it is an https URL:
 * its origin joins the cashier's CSP img-src, as the server's own CSP does), --sandbox host:port (sandbox mode only).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export interface NginxSiteOptions {
  serverName: string
  /** The `listen` parameters: "443 ssl http2", "127.0.0.1:8080" … */
  listen: string
  /** Directory holding the built cashier (the contents of dist/build/h5). */
  cashierRoot: string
  /** host:port of every server process. */
  upstreams: string[]
  accessLog: string
  tls?: { cert: string, key: string }
  /** Payment creations per minute per client IP, counted by nginx across all processes; 0/undefined = none. */
  paymentsPerMinute?: number
  /** Order status event streams open at once across all processes, per client IP and per order; 0/undefined = none. */
  streamsPerIp?: number
  streamsPerOrder?: number
  /** host:port of a standalone sandbox (`tsx sandbox/main.ts`) to expose under /sandbox/. */
  sandbox?: string
  /** MERCHANT_LOGO_URL when it is an https URL: its origin is allowed in the cashier's CSP img-src. */
  logoUrl?: string
  /** Raw nginx text inserted among the server's locations. */
  extraLocations?: string
}

export const TEMPLATE_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nginx.conf')

/** A value substituted into a directive must not be able to end it or open a block. */
function safe(name: string, value: string): string {
  if (!value || /[;{}"'\n\r\\]/.test(value))
    throw new Error(`nginx template: ${name} must be non-empty, without ; { } quotes, backslashes or newlines: ${JSON.stringify(value)}`)
  return value
}

function hostPort(name: string, value: string): string {
  if (!/^(?:[\w.-]+|\[[\da-f:]+\]):\d{1,5}$/i.test(value))
    throw new Error(`nginx template: ${name} must be host:port, got ${JSON.stringify(value)}`)
  return value
}

/** The origin of an https logo URL, for the CSP; a path on the server needs none. */
function logoOrigin(url: string | undefined): string {
  if (!url || url.startsWith('/'))
    return ''
  let u: URL
  try {
    u = new URL(url)
  }
  catch {
    throw new Error(`nginx template: --logo-url must be an https URL or a path, got ${JSON.stringify(url)}`)
  }
  if (u.protocol !== 'https:')
    throw new Error(`nginx template: --logo-url must be an https URL or a path, got ${JSON.stringify(url)}`)
  return ` ${safe('logo origin', u.origin)}`
}

export function renderNginxSite(template: string, o: NginxSiteOptions): string {
  if (o.upstreams.length === 0)
    throw new Error('nginx template: at least one upstream server process is needed')
  const sections: Record<string, boolean> = {
    TLS: !!o.tls,
    RATE_LIMIT: (o.paymentsPerMinute ?? 0) > 0,
    STREAM_LIMIT: (o.streamsPerIp ?? 0) > 0 && (o.streamsPerOrder ?? 0) > 0,
    SANDBOX: !!o.sandbox,
  }
  const values: Record<string, string> = {
    SERVER_NAME: safe('SERVER_NAME', o.serverName),
    LISTEN: safe('LISTEN', o.listen),
    CASHIER_ROOT: safe('CASHIER_ROOT', o.cashierRoot),
    ACCESS_LOG: safe('ACCESS_LOG', o.accessLog),
    UPSTREAM_SERVERS: o.upstreams.map(u => `    server ${hostPort('upstream', u)} max_fails=1 fail_timeout=5s;`).join('\n'),
    EXTRA_LOCATIONS: o.extraLocations ?? '',
    TLS_CERT: o.tls ? safe('TLS_CERT', o.tls.cert) : '',
    TLS_KEY: o.tls ? safe('TLS_KEY', o.tls.key) : '',
    PAYMENTS_PER_MINUTE: String(Math.max(0, Math.floor(o.paymentsPerMinute ?? 0))),
    STREAMS_PER_IP: String(Math.max(0, Math.floor(o.streamsPerIp ?? 0))),
    STREAMS_PER_ORDER: String(Math.max(0, Math.floor(o.streamsPerOrder ?? 0))),
    SANDBOX_SERVER: o.sandbox ? hostPort('sandbox', o.sandbox) : '',
    LOGO_ORIGIN: logoOrigin(o.logoUrl),
  }
  // The template's header explains how to fill it; the rendered file gets a one-line note instead.
  const body = template.slice(template.indexOf('\n\n') + 2)
  let text = body.replace(/^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n/gm, (_, name: string, body: string) => {
    if (!(name in sections))
      throw new Error(`nginx template: unknown section ${name}`)
    return sections[name] ? body : ''
  })
  text = text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values))
      throw new Error(`nginx template: unknown placeholder ${name}`)
    return values[name]!
  })
  if (text.includes('{{'))
    throw new Error('nginx template: a {{…}} marker was left unfilled')
  return `# uni-cashier behind nginx, rendered from deploy/nginx.conf (see docs/deploy.md): edit the template, not this file.\n\n${text.replace(/\n{3,}/g, '\n\n')}`
}

export function readNginxTemplate(): string {
  return readFileSync(TEMPLATE_PATH, 'utf8')
}

function cli(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      'server-name': { type: 'string' },
      'root': { type: 'string' },
      'upstream': { type: 'string', multiple: true },
      'listen': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'access-log': { type: 'string', default: '/var/log/nginx/uni-cashier.access.log' },
      'payments-per-minute': { type: 'string', default: '60' },
      'streams-per-ip': { type: 'string', default: '50' },
      'streams-per-order': { type: 'string', default: '20' },
      'sandbox': { type: 'string' },
      'logo-url': { type: 'string', default: process.env.MERCHANT_LOGO_URL },
    },
  })
  const need = (name: 'server-name' | 'root'): string => {
    const v = values[name]
    if (!v)
      throw new Error(`--${name} is required`)
    return v
  }
  if (!!values['tls-cert'] !== !!values['tls-key'])
    throw new Error('give both --tls-cert and --tls-key, or neither')
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: values['tls-cert'], key: values['tls-key'] } : undefined
  const perMinute = Number(values['payments-per-minute'])
  if (!Number.isInteger(perMinute) || perMinute < 0)
    throw new Error('--payments-per-minute must be a whole number ≥ 0')
  const [streamsPerIp, streamsPerOrder] = (['streams-per-ip', 'streams-per-order'] as const).map((name) => {
    const n = Number(values[name])
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a whole number ≥ 0`)
    return n
  })
  process.stdout.write(renderNginxSite(readNginxTemplate(), {
    serverName: need('server-name'),
    cashierRoot: path.resolve(need('root')),
    upstreams: values.upstream ?? [],
    listen: values.listen ?? (tls ? '443 ssl http2' : '80'),
    accessLog: values['access-log'],
    tls,
    paymentsPerMinute: perMinute,
    streamsPerIp,
    streamsPerOrder,
    sandbox: values.sandbox,
    logoUrl: values['logo-url'] || undefined,
  }))
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    cli(process.argv.slice(2))
  }
  catch (e) {
    console.error(`render-nginx: ${(e as Error).message}`)
    process.exit(64)
  }
}
