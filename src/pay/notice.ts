import type { PayMethod } from '../../contract/methods'
import type { ApiError } from '../api/errors'
import type { MessageKey } from '../i18n'
import type { PayOutcome } from './outcome'
import { isApiError } from '../api/errors'

/** A message for the customer, as a message key: pages translate it. */
export interface Notice {
  key: MessageKey
  values?: Record<string, string | number>
  /** Whether a retry button belongs with it. */
  retry: boolean
  tone: 'info' | 'error'
}

/**
 * What a page does after a failed call or a wallet's answer:
 * - notice: show it and stay;
 * - result: the result page asks the server (`from: 'pay'` after a wallet said it went through);
 * - stay: nothing to do (the page already navigated away).
 */
export type Reaction
  = | { kind: 'notice', notice: Notice }
    | { kind: 'result', from?: 'pay' }
    | { kind: 'stay' }

const error = (key: MessageKey, retry = true): Reaction => ({ kind: 'notice', notice: { key, retry, tone: 'error' } })

/** Every API error the customer can do something about; anything else is `error.generic` with its message. */
const API_ERRORS: { readonly [C in ApiError['code']]?: Reaction } = {
  order_not_found: error('error.order_not_found', false),
  order_expired: error('error.order_expired', false),
  order_not_payable: error('error.order_not_payable', false),
  order_already_paid: { kind: 'result' },
  network: error('error.network'),
  timeout: error('error.network'),
  provider_unavailable: error('error.provider'),
  provider_error: error('error.provider'),
  rate_limited: error('error.rate_limited'),
  oauth_state_mismatch: error('error.oauth_state'),
  // Only after the one fresh authorisation was used up (the store tries that first).
  oauth_code_invalid: error('error.oauth_failed'),
}

function generic(message: string): Reaction {
  return { kind: 'notice', notice: { key: 'error.generic', values: { message }, retry: true, tone: 'error' } }
}

/** What to show for anything a payment call rejected with. */
export function reactToError(e: unknown): Reaction {
  if (isApiError(e))
    return API_ERRORS[e.code] ?? generic(e.message)
  if (e instanceof Error && e.name === 'MiniProgramLoginError')
    return error('error.login_failed')
  return generic(e instanceof Error ? e.message : String(e))
}

/** What to do with a wallet's answer. The wallet's word is never proof: the result page asks the server. */
export function reactToOutcome(outcome: PayOutcome, method: PayMethod | undefined): Reaction {
  switch (outcome.status) {
    case 'submitted':
    case 'unknown':
      return { kind: 'result', from: 'pay' }
    case 'redirected':
      return { kind: 'stay' }
    case 'cancelled':
      return { kind: 'notice', notice: { key: 'checkout.cancelled', retry: true, tone: 'info' } }
    case 'failed':
      if (outcome.error.type === 'unsupported')
        return error(method === 'alipay_app' ? 'error.bridge_missing_alipay' : 'error.bridge_missing')
      if (outcome.error.type === 'network')
        return error('error.network')
      return { kind: 'notice', notice: { key: 'error.wallet_failed', values: { message: outcome.error.message }, retry: true, tone: 'error' } }
  }
}
