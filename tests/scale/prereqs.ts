/**
 * What the scale tests need from the machine: a PostgreSQL server (Debian's `postgresql` package: initdb and
 * postgres under /usr/lib/postgresql/<version>/bin) and nginx. CI installs both (.ci/run), so their absence is a
 * failure, with a message that says what to install — unless SCALE_TESTS=skip asks to skip these suites.
 */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** SCALE_TESTS=skip: the one way to skip the scale and PostgreSQL suites (for machines without postgresql/nginx). */
export function scaleTestsSkipped(): boolean {
  return process.env.SCALE_TESTS === 'skip'
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  }
  catch {
    return false
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, name)))
      return path.join(dir, name)
  }
  return undefined
}

/** The directory holding initdb and postgres: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function findPgBin(): string | undefined {
  const candidates: string[] = []
  if (process.env.PG_BIN)
    candidates.push(process.env.PG_BIN)
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter(v => /^\d+(?:\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a))
    candidates.push(...versions.map(v => path.join(root, v, 'bin')))
  }
  const initdb = onPath('initdb')
  if (initdb)
    candidates.push(path.dirname(initdb))
  return candidates.find(dir => executable(path.join(dir, 'initdb')) && executable(path.join(dir, 'postgres')))
}

/** NGINX_BIN, else /usr/sbin/nginx, else PATH. */
export function findNginx(): string | undefined {
  return [process.env.NGINX_BIN, '/usr/sbin/nginx', onPath('nginx')].find((f): f is string => !!f && executable(f))
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` user the Debian package creates. */
export function postgresUser(): { uid: number, gid: number } | undefined {
  if (process.getuid?.() !== 0)
    return undefined
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    return Number.isInteger(uid) && Number.isInteger(gid) && uid > 0 ? { uid, gid } : undefined
  }
  catch {
    return undefined
  }
}

export function missingPrereqs(): string[] {
  const missing: string[] = []
  if (!findPgBin())
    missing.push('PostgreSQL server binaries (initdb, postgres) — Debian package `postgresql`, or set PG_BIN')
  else if (process.getuid?.() === 0 && !postgresUser())
    missing.push('a `postgres` system user to run PostgreSQL as (running as root; the Debian package creates it)')
  if (!findNginx())
    missing.push('nginx — Debian package `nginx`, or set NGINX_BIN')
  return missing
}

/** Throws a message that says exactly what to do when the machine cannot run the scale tests. */
export function assertPrereqs(): void {
  const missing = missingPrereqs()
  if (missing.length > 0) {
    throw new Error([
      'The scale tests (tests/scale, vitest projects "scale" and "server-pg") need a real PostgreSQL and nginx, which are missing:',
      ...missing.map(m => `  - ${m}`),
      'Install them (Debian: apt-get install -y postgresql nginx — .ci/run does this), or set SCALE_TESTS=skip to skip these suites.',
    ].join('\n'))
  }
}
