/**
 * Sandbox mode: the simulator's keys (generated on first start into DATA_DIR) become the server's provider
 * credentials, and the simulator itself is served in this process unless SANDBOX_EMBEDDED=false. Only the entry
 * points (server/main.ts, the test helpers) wire this in; the server itself never imports the simulator.
 */
import type { Sandbox } from '../sandbox/types'
import type { ServerConfig } from './config'
import type { Logger } from './logger'
import { createSandbox } from '../sandbox/index'
import { ensureSandboxKeys } from '../sandbox/keys'

export type SandboxMode = (config: ServerConfig, log: Logger) => { config: ServerConfig, sandbox?: Sandbox }

export const sandboxMode: SandboxMode = (input, log) => {
  const keys = ensureSandboxKeys(input.dataDir)
  const config: ServerConfig = {
    ...input,
    wechat: {
      appId: keys.wechat.appId,
      appSecret: keys.wechat.appSecret,
      miniProgramAppId: keys.wechat.miniProgramAppId,
      miniProgramSecret: keys.wechat.miniProgramSecret,
      mchId: keys.wechat.mchId,
      serial: keys.wechat.merchantSerial,
      privateKeyPem: keys.wechat.merchantPrivateKeyPem,
      platformPublicKeyPem: keys.wechat.platformPublicKeyPem,
      platformPublicKeyId: keys.wechat.platformPublicKeyId,
      apiV3Key: keys.wechat.apiV3Key,
    },
    alipay: {
      appId: keys.alipay.appId,
      privateKeyPem: keys.alipay.appPrivateKeyPem,
      alipayPublicKeyPem: keys.alipay.alipayPublicKeyPem,
      sellerId: keys.alipay.sellerId,
    },
  }
  if (!config.sandboxEmbedded)
    return { config }
  const sandbox = createSandbox({
    keys,
    publicUrl: config.publicUrl,
    timeScale: config.sandboxTimeScale,
    h5Domain: new URL(config.publicUrl).host,
    log: (obj, msg) => log.debug({ sandbox: true, ...obj }, msg),
  })
  return { config, sandbox }
}
