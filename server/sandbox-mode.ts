/**
 * Sandbox mode: the simulator's keys (generated on first start into DATA_DIR) become the server's provider
 * credentials, and the simulator itself is served in this process unless SANDBOX_EMBEDDED=false. Only the entry
 * points (server/main.ts, the test helpers) wire this in; the server itself never imports the simulator.
 */
import type { Sandbox, SandboxKeys } from '../sandbox/types'
import type { WechatSignerMode } from '../sandbox/wechat/signer'
import type { ServerConfig, WechatCredentials } from './config'
import type { Logger } from './logger'
import { X509Certificate } from 'node:crypto'
import { createSandbox } from '../sandbox/index'
import { ensureSandboxKeys } from '../sandbox/keys'

export type SandboxMode = (config: ServerConfig, log: Logger) => { config: ServerConfig, sandbox?: Sandbox }

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
      ...sandboxWechatVerification(keys, input.sandboxWechatSigner),
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
    wechatSigner: config.sandboxWechatSigner,
  })
  return { config, sandbox }
}
