import { existsSync } from 'node:fs'
import path from 'node:path'
import { ConfigError, loadConfig } from './config'
import { startServer } from './index'
import { sandboxMode } from './sandbox-mode'

async function main(): Promise<void> {
  if (existsSync('.env'))
    process.loadEnvFile('.env')
  let config
  try {
    config = loadConfig()
  }
  catch (e) {
    if (e instanceof ConfigError) {
      console.error(`uni-cashier cannot start: ${e.message}`)
      process.exit(78)
    }
    throw e
  }
  if (!existsSync(path.join(config.staticDir, 'index.html')))
    console.warn(`No built cashier in ${config.staticDir}: run "npm run build:h5" (npm start does it for you).`)
  const running = await startServer(config, { sandboxMode })
  console.log(`\n  uni-cashier (${config.mode} mode) is ready: ${running.url}\n  API reference: ${running.url}/api/docs\n`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping)
      return
    stopping = true
    running.services.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    running.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

void main()
