/**
 * Builds the server that `npm start` runs: server/main.ts with everything it imports from this repository (server/,
 * sandbox/, contract/) as one JavaScript module, `dist/server/main.mjs`, run by plain `node`. Packages are not
 * bundled: they are imported from node_modules as they are, so the output must stay inside the repository.
 * Running the TypeScript through tsx instead keeps esbuild's transforms, the loader hooks and their thread in the
 * server process: ≈ 80 MB more RSS once started (docs/benchmarks.md, idle RSS). `npm run dev:server` and the tests
 * still run the TypeScript through tsx.
 *
 *   npx tsx server/tools/build-server.ts [outDir]     (default dist/server)
 */
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The entry file in a build directory. */
export const SERVER_ENTRY = 'main.mjs'

/** Builds into `outDir` (absolute, or relative to the repository); resolves to the entry file's path. */
export async function buildServer(outDir = 'dist/server'): Promise<string> {
  const out = path.resolve(ROOT, outDir)
  await build({
    absWorkingDir: ROOT,
    // server/db/index.ts runs pglite-initdb.mjs in a child process from beside itself, so it is built beside main.mjs.
    entryPoints: ['server/main.ts', 'server/db/pglite-initdb.mjs'],
    entryNames: '[name]',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Not loaded at run time (no --enable-source-maps): for reading a stack trace against the sources.
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  return path.join(out, SERVER_ENTRY)
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const t = Date.now()
  buildServer(process.argv[2]).then((entry) => {
    console.log(`built ${path.relative(process.cwd(), entry)} in ${Date.now() - t} ms`)
  }, (e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
