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

/** Fixed-window request counts per key, kept in this process (shared by a middleware and the status fast path). */
export class RateWindows {
  private readonly windows = new Map<string, Window>()
  private lastSweep: number

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweep = now()
  }

  /** Counts one request against `id`; the seconds until its window resets when that is over `limit`, else 0. */
  hit(id: string, limit: number, windowMs: number): number {
    const w = this.window(id, windowMs)
    w.count++
    return w.count > limit ? Math.max(1, Math.ceil((w.resetAt - this.now()) / 1000)) : 0
  }

  /** Counts one request against `id` only if that keeps it within `limit`; false (nothing counted) otherwise. */
  tryHit(id: string, limit: number, windowMs: number): boolean {
    const w = this.window(id, windowMs)
    if (w.count >= limit)
      return false
    w.count++
    return true
  }

  private window(id: string, windowMs: number): Window {
    const t = this.now()
    if (t - this.lastSweep > 60_000) {
      for (const [k, w] of this.windows) {
        if (w.resetAt <= t)
          this.windows.delete(k)
      }
      this.lastSweep = t
    }
    let w = this.windows.get(id)
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + windowMs }
      this.windows.set(id, w)
    }
    return w
  }
}

/** The key a rule counts a request under in RateWindows. */
export function rateKey(rule: Pick<RateLimitRule, 'name'>, key: string): string {
  return `${rule.name}:${key}`
}

/**
 * Fixed-window limits per key, kept in this process. Over the limit: 429 `rate_limited` with
 * Retry-After. (Behind several processes each counts alone; put the limit in the proxy as well.)
 */
export function rateLimit(all: RateLimitRule[], now: () => number = Date.now, what = 'payment requests', windows = new RateWindows(now)): MiddlewareHandler {
  const rules = all.filter(r => r.limit > 0)
  // Every rule off (RATE_LIMIT_PER_IP=0 …): nothing to count.
  if (rules.length === 0)
    return async (_c, next) => next()
  return async (c, next) => {
    for (const rule of rules) {
      const found = rule.key(c)
      const key = typeof found === 'string' || found === undefined ? found : await found
      if (key === undefined)
        continue
      const retryAfter = windows.hit(rateKey(rule, key), rule.limit, rule.windowMs)
      if (retryAfter > 0) {
        c.header('Retry-After', String(retryAfter))
        return c.json({ code: 'rate_limited', message: `too many ${what} (${rule.name}); retry in ${retryAfter} s`, retryable: true }, 429)
      }
    }
    await next()
  }
}
