/** Polls `fn` until `ok` holds (or `ms` pass) and answers the last value. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > until)
      return v
    await new Promise(r => setTimeout(r, 50))
  }
}
