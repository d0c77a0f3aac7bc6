import type { MiddlewareHandler } from 'hono'

export interface RateLimitRule {
  /** Requests allowed per window; 0 disables the rule. */
  limit: number
  windowMs: number
  /** What a request counts against (an IP, a payer); undefined skips the rule for that request. */
  key: (c: Parameters<MiddlewareHandler>[0]) => string | undefined | Promise<string | undefined>
  name: string
}

interface Window { count: number, resetAt: number }

/**
 * Fixed-window limits per key, kept in this process. Over the limit: 429 `rate_limited` with
 * Retry-After. (Behind several processes each counts alone; put the limit in the proxy as well.)
 */
export function rateLimit(all: RateLimitRule[], now: () => number = Date.now, what = 'payment requests'): MiddlewareHandler {
  const rules = all.filter(r => r.limit > 0)
  // Every rule off (RATE_LIMIT_PER_IP=0 …): nothing to count.
  if (rules.length === 0)
    return async (_c, next) => next()
  const windows = new Map<string, Window>()
  let lastSweep = now()
  return async (c, next) => {
    const t = now()
    if (t - lastSweep > 60_000) {
      for (const [k, w] of windows) {
        if (w.resetAt <= t)
          windows.delete(k)
      }
      lastSweep = t
    }
    for (const rule of rules) {
      const found = rule.key(c)
      const key = typeof found === 'string' || found === undefined ? found : await found
      if (key === undefined)
        continue
      const id = `${rule.name}:${key}`
      let w = windows.get(id)
      if (!w || w.resetAt <= t) {
        w = { count: 0, resetAt: t + rule.windowMs }
        windows.set(id, w)
      }
      w.count++
      if (w.count > rule.limit) {
        const retryAfter = Math.max(1, Math.ceil((w.resetAt - t) / 1000))
        c.header('Retry-After', String(retryAfter))
        return c.json({ code: 'rate_limited', message: `too many ${what} (${rule.name}); retry in ${retryAfter} s`, retryable: true }, 429)
      }
    }
    await next()
  }
}
