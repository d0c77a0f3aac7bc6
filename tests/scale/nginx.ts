/**
 * nginx for the tests: the merchant template deploy/nginx.conf rendered with loopback ports and temp paths, wrapped in
 * a main configuration that keeps nginx in the foreground with its pid, logs and temp files in the test's directory.
 */
import type { NginxSiteOptions } from '../../deploy/render-nginx'
import type { Child } from './procs'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { readNginxTemplate, renderNginxSite } from '../../deploy/render-nginx'
import { findNginx } from './prereqs'
import { httpStatus, spawnChild, waitUntil } from './procs'

const run = promisify(execFile)

export interface AccessLogLine {
  method: string
  path: string
  status: number
  /** Every upstream nginx tried, in order ("127.0.0.1:1234"); empty for files nginx served itself. */
  upstreams: string[]
  upstreamStatuses: string[]
}

export interface NginxInstance {
  url: string
  port: number
  child: Child
  accessLog: () => AccessLogLine[]
  stop: () => Promise<void>
}

/** Renders deploy/nginx.conf for a local plain-HTTP run on 127.0.0.1:port, logging into `dir`. */
export function renderTestSite(dir: string, port: number, opts: Partial<NginxSiteOptions> & Pick<NginxSiteOptions, 'upstreams' | 'cashierRoot'>): string {
  return renderNginxSite(readNginxTemplate(), {
    serverName: '127.0.0.1',
    listen: `127.0.0.1:${port}`,
    accessLog: path.join(dir, 'access.log'),
    ...opts,
  })
}

function mainConfig(dir: string, siteFile: string): string {
  const temp = (name: string) => {
    const p = path.join(dir, 'tmp', name)
    mkdirSync(p, { recursive: true })
    return p
  }
  const mime = existsSync('/etc/nginx/mime.types')
    ? 'include /etc/nginx/mime.types;'
    : 'types { text/html html; text/css css; application/javascript js mjs; application/json json; image/svg+xml svg; image/png png; text/plain txt; }'
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    // As root, workers would become `nobody` and could not use the private temp directory.
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'error.log')} warn;`,
    'events { worker_connections 2048; }',
    'http {',
    `  ${mime}`,
    '  default_type application/octet-stream;',
    '  sendfile on;',
    `  client_body_temp_path ${temp('client_body')};`,
    `  proxy_temp_path ${temp('proxy')};`,
    `  fastcgi_temp_path ${temp('fastcgi')};`,
    `  uwsgi_temp_path ${temp('uwsgi')};`,
    `  scgi_temp_path ${temp('scgi')};`,
    '  access_log off;',
    `  include ${siteFile};`,
    '}',
    '',
  ].join('\n')
}

const LOG_LINE = /"(\S+) (\S+) [^"]*" (\d{3}) \d+ upstream="([^"]*)" upstream_status="([^"]*)"/

export function parseAccessLog(text: string): AccessLogLine[] {
  const lines: AccessLogLine[] = []
  for (const line of text.split('\n')) {
    const m = LOG_LINE.exec(line)
    if (!m)
      continue
    const list = (s: string) => s === '-' || s === '' ? [] : s.split(/\s*[,:]\s+/).map(x => x.trim()).filter(Boolean)
    lines.push({ method: m[1]!, path: m[2]!, status: Number(m[3]), upstreams: list(m[4]!), upstreamStatuses: list(m[5]!) })
  }
  return lines
}

/** Starts nginx in the foreground with `site` (a rendered deploy/nginx.conf) on 127.0.0.1:port. */
export async function startNginx(dir: string, port: number, site: string): Promise<NginxInstance> {
  const nginx = findNginx()
  if (!nginx)
    throw new Error('nginx not found (apt-get install -y nginx, or set NGINX_BIN)')
  mkdirSync(dir, { recursive: true })
  const siteFile = path.join(dir, 'site.conf')
  const confFile = path.join(dir, 'nginx.conf')
  writeFileSync(siteFile, site)
  writeFileSync(confFile, mainConfig(dir, siteFile))
  const args = ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log')]
  await run(nginx, ['-t', '-q', ...args], { timeout: 15_000 }).catch((e: Error & { stderr?: string }) => {
    throw new Error(`nginx -t rejected the rendered configuration: ${e.stderr ?? e.message}\n--- ${siteFile}\n${site}`)
  })
  const child = spawnChild('nginx', nginx, args, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logFile: path.join(dir, 'nginx.out') })
  const url = `http://127.0.0.1:${port}`
  await waitUntil('nginx to answer', async () => (await httpStatus(`${url}/`, 1000)) ?? undefined, { timeoutMs: 15_000, intervalMs: 50, child })
  const accessLogFile = path.join(dir, 'access.log')
  return {
    url,
    port,
    child,
    accessLog: () => existsSync(accessLogFile) ? parseAccessLog(readFileSync(accessLogFile, 'utf8')) : [],
    // SIGTERM is nginx's fast shutdown (SIGQUIT would wait for the open event streams).
    stop: async () => {
      await child.stop({ signal: 'SIGTERM', graceMs: 5000 })
    },
  }
}
