import type { ServerType } from '@hono/node-server'
import type { Sandbox } from '../sandbox/types'
import type { ServerConfig } from './config'
import type { StatusBus } from './orders/status-bus'
import type { OrderPaidEvent } from './orders/transitions'
import type { SandboxMode } from './sandbox-mode'
import type { Services } from './services'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { memoryStep, writeAdminFile } from './admin/local-admin'
import { createApp } from './app'
import { openDatabase } from './db'
import { WebhookDispatcher } from './events/dispatcher'
import { syncConfiguredEndpoints } from './events/endpoints'
import { RateWindows } from './http/rate-limit'
import { statusFastPath } from './http/status-fast-path'
import { startBackground } from './jobs/background'
import { createLogger } from './logger'
import { ensureSandboxApiKey } from './merchant/api-keys'
import { ProviderQueryQueue } from './orders/provider-queries'
import { reconcileKept } from './orders/reconcile'
import { createStatusBus } from './orders/status-bus'
import { OrderTransitions } from './orders/transitions'
import { createProviders } from './providers/registry'
import { RefundWorker } from './refunds/refunds'
import { SessionStore } from './sessions/store'

export const VERSION = '0.1.0'

export interface RunningServer {
  /** The public origin (PUBLIC_URL). */
  url: string
  /** Where this process actually listens, e.g. http://127.0.0.1:8080. */
  listenUrl: string
  services: Services
  sandbox?: Sandbox
  close: () => Promise<void>
}

/** Finds a free loopback port (for PORT=0 in tests): URLs must be known before the app is built. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Builds every service from the configuration and starts listening. In sandbox mode `opts.sandboxMode` (see
 * ./sandbox-mode.ts) supplies the simulator's credentials and, embedded, the simulator itself.
 */
export async function startServer(input: ServerConfig, opts: { sandboxMode?: SandboxMode } = {}): Promise<RunningServer> {
  let config = { ...input }
  if (config.port === 0) {
    config.port = await freePort(config.host)
    const publicUrl = `http://${config.host}:${config.port}`
    if (input.publicUrl.endsWith(':0')) {
      const old = input.publicUrl
      config.publicUrl = publicUrl
      config.bases = Object.fromEntries(Object.entries(config.bases).map(([k, v]) => [k, v.replace(old, publicUrl)])) as ServerConfig['bases']
    }
  }
  const log = createLogger(config.logLevel)
  // Memory after each start-up step: at debug level in the log, and from the local admin API.
  const startup = [memoryStep('modules loaded')]
  const mark = (step: string) => {
    const m = memoryStep(step)
    startup.push(m)
    log.debug(m, 'start-up memory')
  }
  // Notifications may be lost while the LISTEN connection is down: the bus keeps no order in memory meanwhile.
  let busRef: StatusBus | undefined
  const database = await openDatabase({
    ...config,
    onListenError: (e) => {
      busRef?.listenLost()
      log.warn({ err: e.message }, 'LISTEN connection lost; reconnecting')
    },
    onListenRestored: () => busRef?.listenRestored(),
  })
  const { db } = database
  const bus = await createStatusBus(db, database.listen, { reconcileAfterSeconds: config.reconcileAfterSeconds, onError: e => log.warn({ err: (e as Error).message }, 'status fan-out failed') })
  busRef = bus
  mark(`database open (${database.kind})`)
  const sessions = new SessionStore(db)

  let sandbox: Sandbox | undefined
  if (config.mode === 'sandbox') {
    if (!opts.sandboxMode)
      throw new Error('sandbox mode needs the simulator wired in: start the server with server/main.ts')
    const wired = opts.sandboxMode(config, log)
    config = wired.config
    sandbox = wired.sandbox
    mark(sandbox ? 'sandbox keys loaded, simulator built' : 'sandbox keys loaded')
  }

  const providers = createProviders(config)
  const transitions = new OrderTransitions(db, log, { publicUrl: config.publicUrl, autoRefundDuplicates: config.autoRefundDuplicates, latePayments: config.latePayments })
  const reconcileDeps = { db, config, log, transitions, providers }
  const providerQueries = new ProviderQueryQueue(orderNo => reconcileKept(reconcileDeps, bus.cache, orderNo), {
    perSecond: config.providerQueriesPerSecond,
    concurrency: config.providerQueryConcurrency,
    maxQueued: 10_000,
    onError: (e, orderNo) => log.warn({ orderNo, err: (e as Error).message }, 'querying the provider about an order failed; a later read asks again'),
  })
  const services: Services = {
    config,
    db,
    log,
    bus,
    providerQueries,
    sessions,
    transitions,
    providers,
    refunds: new RefundWorker({ db, log, providers, transitions, publicUrl: config.publicUrl, checkSeconds: config.refundCheckSeconds }),
    webhooks: new WebhookDispatcher({ db, log, timeoutMs: config.webhookTimeoutMs, timeScale: config.webhookTimeScale }),
  }
  transitions.events.on('order.paid', (e: OrderPaidEvent) => {
    log.info({ orderNo: e.orderNo, amountFen: e.amountFen }, 'fulfil order')
  })
  await syncConfiguredEndpoints(db, config)
  if (config.mode === 'sandbox')
    await ensureSandboxApiKey(db, config.dataDir)
  const background = await startBackground(services, database.listen)
  mark('services and background jobs')

  const listenUrl = `http://${config.host}:${config.port}`
  const admin = writeAdminFile(config.dataDir, listenUrl)
  const statusLimits = new RateWindows()
  const app = createApp(services, { sandbox, version: VERSION, adminToken: admin.token, startupMemory: startup, statusLimits })
  mark('routes built')
  // Status reads of orders kept in memory are answered before Hono (./http/status-fast-path.ts); the rest is Hono's.
  const fast = statusFastPath({ services, statusLimits })
  const hono = getRequestListener(app.fetch, { hostname: config.host })
  const server: ServerType = createHttpServer((req, res) => {
    if (!fast(req, res))
      void hono(req, res)
  })
  await new Promise<void>(resolve => server.listen(config.port, config.host, () => resolve()))
  mark('listening')
  log.info({ url: config.publicUrl, mode: config.mode, database: database.kind }, 'uni-cashier listening')

  let closing: Promise<void> | undefined
  return {
    url: config.publicUrl,
    listenUrl,
    services,
    sandbox,
    close: () => closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // SSE streams keep connections open; end them so close() does not wait for clients.
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
      admin.remove()
      providerQueries.close()
      await background.stop()
      await sandbox?.close()
      await bus.close()
      await database.close()
    })(),
  }
}
