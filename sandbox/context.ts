/** What every sandbox module shares: options, keys, faults, the store, and a logger that never throws. */
import type { SandboxStore } from './store'
import type { SandboxFaults, SandboxKeys } from './types'
import type { WechatSigner } from './wechat/signer'

export interface SandboxContext {
  keys: SandboxKeys
  /** Absolute origin without a trailing slash, e.g. http://127.0.0.1:8080 */
  publicUrl: string
  timeScale: number
  h5Domain: string
  faults: SandboxFaults
  /** Signs WeChat Pay answers and notifications with the public key or the platform certificate. */
  wechatSigner: WechatSigner
  random: () => number
  store: SandboxStore
  log: (obj: Record<string, unknown>, msg: string) => void
}

/** The path prefix the sandbox is mounted at on the public origin. */
export const SANDBOX_MOUNT = '/sandbox'

/** `${publicUrl}/sandbox` + path. */
export function publicSandboxUrl(ctx: SandboxContext, path: string): string {
  return `${ctx.publicUrl}${SANDBOX_MOUNT}${path}`
}
