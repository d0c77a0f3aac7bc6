import type { OrderStatus, OrderStatusView } from '../../contract/api'
import { isFinalStatus } from '../../contract/api'
import { pollDelayMs } from './backoff'

export interface EventSourceLike {
  addEventListener: (type: string, listener: (e: { data?: string }) => void) => void
  close: () => void
  onerror: ((e: Event) => void) | null
}

/** Whether the device is online, and a way to hear when that changes (`navigator.onLine` and its events on H5). */
export interface Connectivity {
  isOnline: () => boolean
  onChange: (listener: () => void) => () => void
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
  /**
   * H5: the browser's online state. Offline, the watcher stops asking (every request would fail); back online it
   * asks at once and opens a new stream. Omitted in the mini program.
   */
  connectivity?: Connectivity
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export interface WatcherCallbacks {
  onStatus: (view: OrderStatusView) => void
  /** 'sse' while the stream is up, 'polling' after it failed, 'paused' while hidden, 'offline' while offline. */
  onMode?: (mode: 'sse' | 'polling' | 'paused' | 'offline') => void
  onError?: (e: unknown) => void
}

export interface StatusWatcher {
  stop: () => void
  /** Ask the server now (the "I have paid" button), whatever the schedule says. */
  checkNow: () => Promise<OrderStatusView | undefined>
  /** Resume after a pause (onShow); while offline, the watcher waits for the connection instead. */
  resume: () => void
  pause: () => void
}

/**
 * Watches an order on the server until it reaches a final state: server-sent events first; polling
 * with backoff (1 s → 2 s → … capped at 10 s) when the stream fails or does not exist. Polling never
 * stops while the order is pending and the page visible; it pauses while hidden or offline and resumes (asking
 * at once) when the page is shown again and the device is back online.
 */
export function watchOrderStatus(host: WatcherHost, cb: WatcherCallbacks): StatusWatcher {
  let stopped = false
  /** Hidden (visibility, or pause() from onHide). */
  let hidden = false
  /** The browser says it is offline. */
  let offline = false
  const paused = () => hidden || offline
  let source: EventSourceLike | undefined
  let timer: unknown
  let attempt = 0
  let last: OrderStatus | undefined
  let sseFailed = !host.createEventSource
  let unlisten: Array<() => void> = []

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
    if (stopped || paused() || !sseFailed)
      return
    timer = host.setTimeout(() => void poll(), pollDelayMs(attempt++))
  }

  function openStream() {
    if (stopped || paused() || sseFailed || !host.createEventSource)
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
    for (const off of unlisten)
      off()
    unlisten = []
  }

  function halt() {
    clearTimer()
    source?.close()
    source = undefined
  }

  function wake() {
    attempt = 0
    // Ask at once (the customer may have paid in another app, or while the connection was down), then carry on.
    void poll()
    if (!sseFailed)
      openStream()
  }

  function pause() {
    if (stopped || hidden)
      return
    hidden = true
    if (offline)
      return
    halt()
    cb.onMode?.('paused')
  }

  function resume() {
    if (stopped || !hidden)
      return
    hidden = false
    if (!offline)
      wake()
  }

  function goOffline() {
    if (stopped || offline)
      return
    offline = true
    if (hidden)
      return
    halt()
    cb.onMode?.('offline')
  }

  function goOnline() {
    if (stopped || !offline)
      return
    offline = false
    // The stream most likely failed with the connection, not for good: try it again.
    sseFailed = !host.createEventSource
    if (hidden)
      return
    if (sseFailed)
      cb.onMode?.('polling')
    wake()
  }

  const visibility = host.visibility
  if (visibility) {
    unlisten.push(visibility.onChange(() => {
      if (visibility.isHidden())
        pause()
      else
        resume()
    }))
  }
  const connectivity = host.connectivity
  if (connectivity) {
    unlisten.push(connectivity.onChange(() => {
      if (connectivity.isOnline())
        goOnline()
      else
        goOffline()
    }))
  }

  offline = connectivity ? !connectivity.isOnline() : false
  hidden = visibility?.isHidden() ?? false
  if (hidden) {
    cb.onMode?.('paused')
  }
  else if (offline) {
    cb.onMode?.('offline')
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
