import type { PayMethod } from '../../../contract/methods'
import type { PayOutcome } from '../outcome'
import { savePendingAttempt } from '../pending-attempt'

export interface RedirectHost {
  storage: Pick<Storage, 'setItem'>
  /** Navigates so that the Referer is sent (WeChat H5 pay checks it). */
  navigate: (url: string) => void
  now?: () => number
}

/**
 * WeChat H5 pay and Alipay WAP pay: remember the attempt for the result page, then leave for the
 * wallet's page. The order is confirmed on return, by the server.
 */
export function payByRedirect(input: { orderNo: string, method: PayMethod, attemptId: string, url: string }, host: RedirectHost): PayOutcome {
  if (!/^https?:\/\//i.test(input.url))
    return { status: 'failed', error: { type: 'invalid_params', message: 'the pay URL is not http(s)' } }
  savePendingAttempt(host.storage, { orderNo: input.orderNo, method: input.method, attemptId: input.attemptId, startedAt: (host.now ?? Date.now)() })
  host.navigate(input.url)
  return { status: 'redirected' }
}
