/**
 * A status watcher like the cashier's (src/result/watcher.ts) for Node: reads GET /api/orders/{no}/events, and when
 * the stream ends or breaks before a final status it reconnects (bounded), as EventSource does.
 */
import { sleep } from './procs'

const FINAL = new Set(['paid', 'closed', 'failed', 'refunded'])

export interface StatusEvent {
  status: string
  /** performance.now() when the event was read. */
  at: number
  /** Which connection (0 = the first) delivered it. */
  connection: number
}

export interface StatusWatch {
  events: StatusEvent[]
  /** Connections opened after the first. */
  reconnects: () => number
  /** Resolves with the final event; rejects when the watch gives up (reconnect budget or deadline spent). */
  final: Promise<StatusEvent>
  /** Resolves with the first event (the current status the server sends on connect). */
  first: Promise<StatusEvent>
  close: () => void
}

export interface WatchOptions {
  /** Reconnect after an ended or broken stream (default true), at most maxReconnects times. */
  reconnect?: boolean
  maxReconnects?: number
  reconnectDelayMs?: number
  /** Give up after this long (default 60 s). */
  deadlineMs?: number
}

export function watchStatus(url: string, opts: WatchOptions = {}): StatusWatch {
  const { reconnect = true, maxReconnects = 20, reconnectDelayMs = 100, deadlineMs = 60_000 } = opts
  const events: StatusEvent[] = []
  const controller = new AbortController()
  let connections = 0
  let resolveFirst!: (e: StatusEvent) => void
  const first = new Promise<StatusEvent>(resolve => (resolveFirst = resolve))
  const deadline = setTimeout(() => controller.abort(new Error(`no final status from ${url} within ${deadlineMs} ms`)), deadlineMs)

  const final = (async (): Promise<StatusEvent> => {
    let lastError = 'stream ended'
    while (!controller.signal.aborted) {
      const connection = connections++
      try {
        const res = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } })
        if (res.status !== 200 || !res.body)
          throw new Error(`HTTP ${res.status}`)
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done)
            break
          buffer += decoder.decode(value, { stream: true })
          let end = buffer.indexOf('\n\n')
          while (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf('\n\n')
            const data = block.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n')
            if (!/^event: ?status$/m.test(block) || !data)
              continue
            const view = JSON.parse(data) as { status: string }
            const event = { status: view.status, at: performance.now(), connection }
            events.push(event)
            resolveFirst(event)
            if (FINAL.has(view.status)) {
              await reader.cancel().catch(() => {})
              return event
            }
          }
        }
      }
      catch (e) {
        if (controller.signal.aborted)
          break
        lastError = (e as Error).message
      }
      if (!reconnect || connections > maxReconnects)
        throw new Error(`${url}: gave up after ${connections} connection(s): ${lastError}`)
      await sleep(reconnectDelayMs)
    }
    throw controller.signal.reason instanceof Error ? controller.signal.reason : new Error('watch closed')
  })().finally(() => clearTimeout(deadline))
  final.catch(() => {})

  return {
    events,
    reconnects: () => Math.max(0, connections - 1),
    final,
    first,
    close: () => controller.abort(new Error('watch closed')),
  }
}
