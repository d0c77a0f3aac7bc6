/**
 * The floor for page weight: a bare uni-app H5 hello page built with the project's own toolchain (same
 * node_modules, same manifest settings), served by a tiny static server with the product's cache headers.
 */
import type { Server } from 'node:http'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT } from '../lib/common'
import { run } from '../lib/processes'
import { FLOOR_FILES } from './template'

export interface FloorApp {
  dir: string
  outDir: string
  origin: string
  close: () => Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
}

/** Writes the hello app into a temp dir (node_modules symlinked) and builds it with `uni build`. */
export async function buildFloorApp(): Promise<{ dir: string, outDir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'uc-floor-'))
  for (const [file, text] of Object.entries(FLOOR_FILES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  // uni reads the app's package.json: the same uni-app, Vue and Vite versions as the cashier, nothing else.
  const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>, devDependencies: Record<string, string> }
  const pick = (deps: Record<string, string>) => Object.fromEntries(Object.entries(deps).filter(([name]) => name.startsWith('@dcloudio/') || name === 'vue' || name === 'vite' || name === 'typescript'))
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'uni-floor', version: '0.0.0', private: true, dependencies: pick(own.dependencies), devDependencies: pick(own.devDependencies) }, null, 2)}\n`)
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  await run(path.join(dir, 'node_modules', '.bin', 'uni'), ['build'], {
    cwd: dir,
    env: { CI: '1', UNI_INPUT_DIR: dir },
    timeoutMs: 180_000,
  })
  return { dir, outDir: path.join(dir, 'dist', 'build', 'h5') }
}

/** Serves a built H5 directory on a free loopback port (no compression, like the reference server). */
export async function serveStatic(outDir: string): Promise<{ origin: string, close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = path.join(outDir, pathname === '/' ? 'index.html' : pathname)
    if (!file.startsWith(outDir) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    const body = readFileSync(file)
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    }).end(body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

export async function startFloorApp(): Promise<FloorApp> {
  const { dir, outDir } = await buildFloorApp()
  const served = await serveStatic(outDir)
  return {
    dir,
    outDir,
    origin: served.origin,
    close: async () => {
      await served.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
