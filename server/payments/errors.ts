import type { Logger } from '../logger'
import type { ProviderError } from '../providers/errors'
import { HttpError } from '../http/errors'

/**
 * What a provider failure means for the cashier: retry later (502 provider_unavailable, retryable) or a refusal (502
 * provider_error). The provider's own words go to the log, never to the browser: they can name our merchant account,
 * our configuration or the provider's internals.
 */
export function providerFailure(e: ProviderError, log: Pick<Logger, 'warn'>, what: string): HttpError {
  log.warn({ kind: e.kind, providerCode: e.providerCode, httpStatus: e.httpStatus, err: e.message }, `${what}: the provider failed`)
  return e.retryable
    ? new HttpError(502, 'provider_unavailable', 'the payment provider did not answer; try again', { retryable: true })
    : new HttpError(502, 'provider_error', 'the payment provider refused this request', { retryable: false })
}
