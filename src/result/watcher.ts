import type { OrderStatus, OrderStatusView } from '../../contract/api'
import { isFinalStatus } from '../../contract/api'
import { pollDelayMs } from './backoff'

export interface EventSourceLike {
  addEventListener: (type: string, listener: (e: { data?: string }) => void) => void
  close: () => void
  onerror: ((e: Event) => void) | null
}

export interface WatcherHost {
  /** Undefined where there is no EventSource (mini program, old browsers): polling only. */
  createEventSource?: (url: string) => EventSourceLike
  fetchStatus: () => Promise<OrderStatusView>
  eventsUrl: string
  /** `document` on H5; omitted in the mini program (pages pause through onHide/onShow instead). */
  visibility?: {
    isHidden: () => boolean
    onChange: (listener: () => void) => () => void
  }
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export interface WatcherCallbacks {
  onStatus: (view: OrderStatusView) => void
  /** 'sse' while the stream is up, 'polling' after it failed, 'paused' while hidden. */
  onMode?: (mode: 'sse' | 'polling' | 'paused') => void
  onError?: (e: unknown) => void
}

export interface StatusWatcher {
  stop: () => void
  /** Ask the server now (the "I have paid" button), whatever the schedule says. */
  checkNow: () => Promise<OrderStatusView | undefined>
  /** Resume after a pause (mini program onShow). */
  resume: () => void
  pause: () => void
}

/**
 * Watches an order on the server until it reaches a final state: server-sent events first; polling
 * with backoff (1 s → 2 s → … capped at 10 s) when the stream fails or does not exist. Polling never
 * stops while the order is pending and the page visible; it pauses while hidden and resumes on return.
 */
export function watchOrderStatus(host: WatcherHost, cb: WatcherCallbacks): StatusWatcher {
  let stopped = false
  let paused = false
  let source: EventSourceLike | undefined
  let timer: unknown
  let attempt = 0
  let last: OrderStatus | undefined
  let sseFailed = !host.createEventSource
  let unlisten: (() => void) | undefined

  const deliver = (view: OrderStatusView) => {
    if (stopped)
      return
    if (view.status !== last) {
      last = view.status
      cb.onStatus(view)
    }
    if (isFinalStatus(view.status))
      stop()
  }

  const clearTimer = () => {
    if (timer !== undefined)
      host.clearTimeout(timer)
    timer = undefined
  }

  const poll = async (): Promise<OrderStatusView | undefined> => {
    clearTimer()
    if (stopped)
      return undefined
    try {
      const view = await host.fetchStatus()
      deliver(view)
      return view
    }
    catch (e) {
      cb.onError?.(e)
      return undefined
    }
    finally {
      schedule()
    }
  }

  function schedule() {
    clearTimer()
    if (stopped || paused || !sseFailed)
      return
    timer = host.setTimeout(() => void poll(), pollDelayMs(attempt++))
  }

  function openStream() {
    if (stopped || paused || sseFailed || !host.createEventSource)
      return
    try {
      source = host.createEventSource(host.eventsUrl)
    }
    catch (e) {
      cb.onError?.(e)
      fallBack()
      return
    }
    cb.onMode?.('sse')
    source.addEventListener('status', (e) => {
      try {
        deliver(JSON.parse(e.data ?? '') as OrderStatusView)
      }
      catch (err) {
        cb.onError?.(err)
      }
    })
    source.onerror = () => {
      // A closed stream after a final status is normal; anything else means: poll instead.
      if (!stopped)
        fallBack()
    }
  }

  function fallBack() {
    source?.close()
    source = undefined
    sseFailed = true
    cb.onMode?.('polling')
    attempt = 0
    void poll()
  }

  function stop() {
    stopped = true
    clearTimer()
    source?.close()
    source = undefined
    unlisten?.()
  }

  function pause() {
    if (stopped || paused)
      return
    paused = true
    clearTimer()
    source?.close()
    source = undefined
    cb.onMode?.('paused')
  }

  function resume() {
    if (stopped || !paused)
      return
    paused = false
    attempt = 0
    // Ask at once on return (the customer may have paid in another app), then carry on.
    void poll()
    if (!sseFailed)
      openStream()
  }

  unlisten = host.visibility?.onChange(() => {
    if (host.visibility?.isHidden())
      pause()
    else
      resume()
  })

  if (host.visibility?.isHidden()) {
    paused = true
    cb.onMode?.('paused')
  }
  else if (sseFailed) {
    cb.onMode?.('polling')
    void poll()
  }
  else {
    openStream()
  }

  return {
    stop,
    pause,
    resume,
    checkNow: async () => {
      attempt = 0
      const wasScheduled = timer !== undefined
      clearTimer()
      const view = await host.fetchStatus().then((v) => {
        deliver(v)
        return v
      }, (e: unknown) => {
        cb.onError?.(e)
        return undefined
      })
      if (wasScheduled || sseFailed)
        schedule()
      return view
    },
  }
}
