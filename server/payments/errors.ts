import type { ProviderError } from '../providers/errors'
import { HttpError } from '../http/errors'

/** What a provider failure means for the cashier: retry later (502, retryable) or a refusal (502, not retryable). */
export function providerFailure(e: ProviderError): HttpError {
  return e.retryable
    ? new HttpError(502, 'provider_unavailable', `${e.message}; try again`, { retryable: true })
    : new HttpError(502, 'provider_error', e.message, { retryable: false })
}
