/**
 * Standalone sandbox: serves only `/sandbox/*` on its own port, so it keeps running (and retrying notifications)
 * while the merchant server is stopped.
 *
 * Environment: SANDBOX_PORT (8090), SANDBOX_HOST (127.0.0.1), DATA_DIR (data; keys in sandbox-keys.json),
 * SANDBOX_PUBLIC_URL (http://host:port), SANDBOX_H5_DOMAIN (host:port of the merchant pages, default 127.0.0.1:8080),
 * SANDBOX_TIME_SCALE (1), SANDBOX_WECHATPAY_SIGNER (public_key | certificate | switch; see wechat/signer.ts).
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pino from 'pino'
import { createSandbox } from './index'
import { ensureSandboxKeys } from './keys'
import { WECHAT_SIGNER_MODES } from './wechat/signer'

const port = Number(process.env.SANDBOX_PORT ?? 8090)
const hostname = process.env.SANDBOX_HOST ?? '127.0.0.1'
const publicUrl = process.env.SANDBOX_PUBLIC_URL ?? `http://${hostname}:${port}`
const timeScale = Number(process.env.SANDBOX_TIME_SCALE ?? 1)
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !(timeScale > 0))
  throw new Error('SANDBOX_PORT must be a port number and SANDBOX_TIME_SCALE a positive number')

const wechatSigner = WECHAT_SIGNER_MODES.find(m => m === (process.env.SANDBOX_WECHATPAY_SIGNER || 'public_key'))
if (!wechatSigner)
  throw new Error(`SANDBOX_WECHATPAY_SIGNER must be one of ${WECHAT_SIGNER_MODES.join(', ')}`)

const logger = pino({ name: 'sandbox' })
const sandbox = createSandbox({
  keys: ensureSandboxKeys(process.env.DATA_DIR ?? 'data'),
  publicUrl,
  timeScale,
  h5Domain: process.env.SANDBOX_H5_DOMAIN ?? '127.0.0.1:8080',
  wechatSigner,
  log: (obj, msg) => logger.info(obj, msg),
})

const root = new Hono()
root.route('/sandbox', sandbox.app)
const server = serve({ fetch: root.fetch, port, hostname }, (info) => {
  logger.info({ url: `http://${info.address}:${info.port}/sandbox`, publicUrl }, 'sandbox listening')
})

function shutdown(signal: string): void {
  logger.info({ signal }, 'sandbox stopping')
  void sandbox.close().finally(() => server.close(() => process.exit(0)))
}
process.once('SIGINT', () => shutdown('SIGINT'))
process.once('SIGTERM', () => shutdown('SIGTERM'))
