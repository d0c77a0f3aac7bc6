import type { Context } from 'hono'
import type { ServerConfig } from '../config'
import { getConnInfo } from '@hono/node-server/conninfo'

/** The payer's IP as WeChat must see it: the socket's address, or X-Forwarded-For behind a trusted proxy. */
export function clientIp(c: Context, config: Pick<ServerConfig, 'trustProxy'>): string {
  if (config.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded)
      return forwarded
  }
  let addr: string | undefined
  try {
    addr = getConnInfo(c).remote.address
  }
  catch {
    addr = undefined
  }
  return (addr ?? '127.0.0.1').replace(/^::ffff:/, '')
}
