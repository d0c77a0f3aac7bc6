import type { Context } from 'hono'
import type { ServerConfig } from '../config'
import { getConnInfo } from '@hono/node-server/conninfo'

/** The payer's IP as WeChat must see it: the socket's address, or X-Forwarded-For behind a trusted proxy. */
export function clientIp(c: Context, config: Pick<ServerConfig, 'trustProxy'>): string {
  const forwardedFor = config.trustProxy ? c.req.header('x-forwarded-for') : undefined
  let addr: string | undefined
  try {
    addr = getConnInfo(c).remote.address
  }
  catch {
    addr = undefined
  }
  return clientIpOf(forwardedFor, addr, config.trustProxy)
}

/** clientIp from its parts (for code that has Node's request rather than a Hono context). */
export function clientIpOf(forwardedFor: string | undefined, remoteAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = forwardedFor?.split(',')[0]?.trim()
    if (forwarded)
      return forwarded
  }
  return (remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
}
