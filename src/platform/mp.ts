import type { ApiClient } from '../api/client'
import type { UniLogin } from '../auth/mp-session'
import type { UniPayment } from '../pay/drivers/wechat-mp'
import type { WatcherHost } from '../result/watcher'

/** `uni` as the mini-program helpers see it. */
export function mpUni(): UniLogin & UniPayment {
  return uni
}

/** Polling only (no EventSource in mini programs); pages pause and resume through onHide/onShow. */
export function mpWatcherHost(api: ApiClient, orderNo: string): WatcherHost {
  return {
    fetchStatus: () => api.getStatus(orderNo),
    eventsUrl: '',
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
}
