import type { ServerConfig } from './config'
import type { Db } from './db'
import type { WebhookDispatcher } from './events/dispatcher'
import type { Logger } from './logger'
import type { ProviderQueryQueue } from './orders/provider-queries'
import type { StatusBus } from './orders/status-bus'
import type { OrderTransitions } from './orders/transitions'
import type { Providers } from './providers/registry'
import type { RefundWorker } from './refunds/refunds'
import type { SessionStore } from './sessions/store'

/** Everything a route needs, built once at start-up. */
export interface Services {
  config: ServerConfig
  db: Db
  log: Logger
  bus: StatusBus
  /** Background provider queries of orders due for one (status reads and event streams ask; nobody waits). */
  providerQueries: ProviderQueryQueue
  sessions: SessionStore
  transitions: OrderTransitions
  providers: Providers
  refunds: RefundWorker
  webhooks: WebhookDispatcher
}
