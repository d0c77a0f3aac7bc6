/** Where a wallet's JS bridge appears: a global on `window`, announced by an event on `document`. */
export interface BridgeHost {
  document: Pick<Document, 'addEventListener' | 'removeEventListener'>
}

/** One pending wait per host and bridge (there is one window in practice; tests pass their own hosts). */
const waits = new WeakMap<object, Map<string, Promise<unknown>>>()

/**
 * Resolves with `host[name]` once it exists — at once, or when `readyEvent` fires. Memoised per host,
 * and forgotten after a failure or timeout so that a later call tries again.
 */
export function waitForBridge<K extends string, T>(host: BridgeHost & { readonly [P in K]?: T }, name: K, readyEvent: string, timeoutMs: number): Promise<T> {
  const read = (): T | undefined => host[name]
  const present = read()
  if (present)
    return Promise.resolve(present)
  let byName = waits.get(host)
  if (!byName) {
    byName = new Map()
    waits.set(host, byName)
  }
  const pending = byName.get(name)
  if (pending)
    return pending as Promise<T>
  const ready = new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onReady = () => {
      clearTimeout(timer)
      host.document.removeEventListener(readyEvent, onReady)
      const bridge = read()
      if (bridge)
        resolve(bridge)
      else
        reject(new Error(`${readyEvent} fired without ${name}`))
    }
    timer = setTimeout(() => {
      host.document.removeEventListener(readyEvent, onReady)
      reject(new Error(`${name} not ready after ${timeoutMs} ms`))
    }, timeoutMs)
    host.document.addEventListener(readyEvent, onReady)
  }).catch((e: unknown) => {
    byName.delete(name)
    throw e
  })
  byName.set(name, ready)
  return ready
}
