/**
 * A fresh Idempotency-Key: one per payment intention, reused when that same request is retried.
 * Uniqueness is what matters (not secrecy), so where Web Crypto is missing (the mini program)
 * time plus Math.random is enough.
 */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto
  if (c?.getRandomValues)
    return Array.from(c.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('')
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`
}
