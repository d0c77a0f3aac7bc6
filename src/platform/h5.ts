import type { ApiClient } from '../api/client'
import type { OAuthHost } from '../auth/wechat-oauth'
import type { AlipayBridgeHost } from '../pay/drivers/alipay-app'
import type { RedirectHost } from '../pay/drivers/redirect'
import type { WeixinBridgeHost } from '../pay/drivers/wechat-jsapi'
import type { Connectivity, WatcherHost } from '../result/watcher'

/** Browser globals for the H5 build, gathered in one place. Never imported by the mini program. */
export function h5OAuthHost(): OAuthHost {
  return { location: window.location, history: window.history, storage: window.sessionStorage }
}

export function h5BridgeHost(): WeixinBridgeHost {
  return window
}

export function h5AlipayBridgeHost(): AlipayBridgeHost {
  return window
}

export function h5RedirectHost(): RedirectHost {
  return {
    storage: window.sessionStorage,
    // A plain navigation sends the Referer (strict-origin-when-cross-origin) that WeChat H5 pay checks.
    navigate: (url) => {
      window.location.href = url
    },
  }
}

export function h5WatcherHost(api: ApiClient, orderNo: string): WatcherHost {
  return {
    createEventSource: typeof EventSource === 'undefined' ? undefined : url => new EventSource(url),
    fetchStatus: () => api.getStatus(orderNo),
    eventsUrl: api.eventsUrl(orderNo),
    visibility: {
      isHidden: () => document.visibilityState === 'hidden',
      onChange: (listener) => {
        const onPageShow = (e: PageTransitionEvent) => {
          if (e.persisted)
            listener()
        }
        document.addEventListener('visibilitychange', listener)
        window.addEventListener('pageshow', onPageShow)
        return () => {
          document.removeEventListener('visibilitychange', listener)
          window.removeEventListener('pageshow', onPageShow)
        }
      },
    },
    connectivity: h5Connectivity(),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: handle => window.clearTimeout(handle as number),
  }
}

/** `navigator.onLine` and the window's online/offline events. */
export function h5Connectivity(): Connectivity {
  return {
    isOnline: () => navigator.onLine !== false,
    onChange: (listener) => {
      window.addEventListener('online', listener)
      window.addEventListener('offline', listener)
      return () => {
        window.removeEventListener('online', listener)
        window.removeEventListener('offline', listener)
      }
    },
  }
}

/** Copies the current page's URL for "open in your browser"; false when the browser refuses. */
export async function copyPageLink(): Promise<boolean> {
  const url = window.location.href
  try {
    await navigator.clipboard.writeText(url)
    return true
  }
  catch {
    const area = document.createElement('textarea')
    area.value = url
    area.setAttribute('readonly', '')
    area.style.position = 'fixed'
    area.style.opacity = '0'
    document.body.appendChild(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}
