/**
 * The scaled-out deployment on this machine, for trying it by hand: a throw-away PostgreSQL, the standalone sandbox,
 * N server processes and nginx (deploy/nginx.conf) in front, all on 127.0.0.1 — the stack the scale tests use
 * (tests/scale/harness.ts). Needs Debian's postgresql and nginx. Ctrl-C stops everything and removes its files.
 *
 *   npm run build:h5 && npx tsx deploy/local-stack.ts [--port 8080] [--processes 2]
 */
import { parseArgs } from 'node:util'
import { startStack } from '../tests/scale/harness'

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, processes: { type: 'string', default: '2' } } })
  const port = Number(values.port)
  const processes = Number(values.processes)
  if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(processes) || processes < 1 || processes > 8)
    throw new Error('--port must be a port number and --processes 1 to 8')
  const stack = await startStack({ nginxPort: port, processes, reconcileAfterSeconds: 3, sandboxTimeScale: 1, logLevel: 'info' })
  console.log(`\n  uni-cashier behind nginx: ${stack.url}  (API reference: ${stack.url}/api/docs)`)
  for (const s of stack.servers)
    console.log(`  server ${s.name}: ${s.url}  log: ${s.child.logFile}`)
  console.log(`  PostgreSQL: ${stack.databaseUrl}\n  nginx access log (upstream=… names the process): ${stack.dir}/nginx/access.log\n  Ctrl-C stops everything.\n`)
  let stopping = false
  const stop = () => {
    if (stopping)
      return
    stopping = true
    stack.stop().then(() => process.exit(0), (e: Error) => {
      console.error(e.message)
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((e: Error) => {
  console.error(`local-stack: ${e.message}`)
  process.exit(1)
})
