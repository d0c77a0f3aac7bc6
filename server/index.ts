import type { ServerType } from '@hono/node-server'
import type { Sandbox, SandboxKeys } from '../sandbox/types'
import type { WechatSignerMode } from '../sandbox/wechat/signer'
import type { ServerConfig, WechatCredentials } from './config'
import type { Services } from './services'
import { X509Certificate } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { serve } from '@hono/node-server'
import { createSandbox } from '../sandbox/index'
import { ensureSandboxKeys } from '../sandbox/keys'
import { createApp } from './app'
import { openDatabase } from './db'
import { createLogger } from './logger'
import { createStatusBus } from './orders/status-bus'
import { OrderTransitions } from './orders/transitions'
import { createAlipayClient } from './providers/alipay/client'
import { createMiniProgramLogin, createWechatOAuthClient } from './providers/wechat/oauth'
import { createWechatPayClient } from './providers/wechat/pay-client'
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

/** The keys a merchant of that kind holds: the public key, the platform certificate, or both (switch-over). */
function sandboxWechatVerification(keys: SandboxKeys, mode: WechatSignerMode): Pick<WechatCredentials, 'platformPublicKeyPem' | 'platformPublicKeyId' | 'platformCertificates'> {
  const cert = keys.wechat.platformCertificate
  const certificates = cert ? [{ serial: cert.serial, pem: cert.certificatePem, validTo: new Date(new X509Certificate(cert.certificatePem).validTo) }] : undefined
  const publicKey = { platformPublicKeyPem: keys.wechat.platformPublicKeyPem, platformPublicKeyId: keys.wechat.platformPublicKeyId }
  if (mode === 'public_key')
    return publicKey
  if (mode === 'certificate')
    return { platformCertificates: certificates }
  return { ...publicKey, platformCertificates: certificates }
}

/** Builds every service from the configuration and starts listening. */
export async function startServer(input: ServerConfig): Promise<RunningServer> {
  const config = { ...input }
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
  const database = await openDatabase({ ...config, onListenError: e => log.warn({ err: e.message }, 'LISTEN connection lost; reconnecting') })
  const { db } = database
  const bus = await createStatusBus(db, database.listen, e => log.warn({ err: (e as Error).message }, 'status fan-out failed'))
  const transitions = new OrderTransitions(db, log)
  const sessions = new SessionStore(db)

  let sandbox: Sandbox | undefined
  if (config.mode === 'sandbox') {
    const keys = ensureSandboxKeys(config.dataDir)
    config.wechat = {
      appId: keys.wechat.appId,
      appSecret: keys.wechat.appSecret,
      miniProgramAppId: keys.wechat.miniProgramAppId,
      miniProgramSecret: keys.wechat.miniProgramSecret,
      mchId: keys.wechat.mchId,
      serial: keys.wechat.merchantSerial,
      privateKeyPem: keys.wechat.merchantPrivateKeyPem,
      ...sandboxWechatVerification(keys, config.sandboxWechatSigner),
      apiV3Key: keys.wechat.apiV3Key,
    }
    config.alipay = {
      appId: keys.alipay.appId,
      privateKeyPem: keys.alipay.appPrivateKeyPem,
      alipayPublicKeyPem: keys.alipay.alipayPublicKeyPem,
      sellerId: keys.alipay.sellerId,
    }
    if (config.sandboxEmbedded) {
      sandbox = createSandbox({
        keys,
        publicUrl: config.publicUrl,
        timeScale: config.sandboxTimeScale,
        h5Domain: new URL(config.publicUrl).host,
        log: (obj, msg) => log.debug({ sandbox: true, ...obj }, msg),
        wechatSigner: config.sandboxWechatSigner,
      })
    }
  }

  const services: Services = { config, db, log, bus, sessions, transitions }
  if (config.wechat) {
    const creds = config.wechat
    services.wechat = {
      appId: creds.appId ?? creds.miniProgramAppId ?? '',
      appIds: [creds.appId, creds.miniProgramAppId].filter((id): id is string => !!id),
      // Without an official account only the mini program pays: createPayment refuses the other methods before OAuth.
      mpOnly: !creds.appId,
      pay: createWechatPayClient(creds, config.bases.wechatPay, config.providerTimeoutMs),
      oauth: createWechatOAuthClient({ appId: creds.appId ?? '', appSecret: creds.appSecret ?? '', oauthBase: config.bases.wechatOAuth, apiBase: config.bases.wechatApi }),
      miniProgram: creds.miniProgramAppId && creds.miniProgramSecret
        ? { appId: creds.miniProgramAppId, login: createMiniProgramLogin({ appId: creds.miniProgramAppId, secret: creds.miniProgramSecret, apiBase: config.bases.wechatApi }) }
        : undefined,
    }
  }
  if (config.alipay) {
    services.alipay = {
      client: createAlipayClient(config.alipay, { gateway: config.bases.alipayGateway, oauthBase: config.bases.alipayOAuth, timeoutMs: config.providerTimeoutMs }),
      appId: config.alipay.appId,
      sellerId: config.alipay.sellerId,
    }
  }
  transitions.events.on('order.paid', (e) => {
    log.info({ orderNo: e.orderNo, amountFen: e.amountFen }, 'fulfil order')
  })
  if (config.fulfilmentLog) {
    // A minimal, durable example hook: one JSON line per paid order, written synchronously.
    const file = config.fulfilmentLog
    transitions.events.on('order.paid', e => appendFileSync(file, `${JSON.stringify(e)}\n`))
  }
  const recovered = await transitions.deliverPending()
  if (recovered > 0)
    log.info({ recovered }, 'delivered fulfilments left undelivered by a previous run')

  const app = createApp(services, { sandbox, version: VERSION })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s))
  })
  log.info({ url: config.publicUrl, mode: config.mode, database: database.kind }, 'uni-cashier listening')

  let closing: Promise<void> | undefined
  return {
    url: config.publicUrl,
    listenUrl: `http://${config.host}:${config.port}`,
    services,
    sandbox,
    close: () => closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // SSE streams keep connections open; end them so close() does not wait for clients.
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
      await sandbox?.close()
      await bus.close()
      await database.close()
    })(),
  }
}
