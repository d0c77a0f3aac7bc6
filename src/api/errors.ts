import type { ApiErrorCode } from '../../contract/api'

/** What went wrong below the contract: no answer at all, or an answer that is not ours. */
export type TransportErrorCode = 'network' | 'timeout' | 'bad_response'

/** Every failed API call rejects with this; pages decide what to show. */
export class ApiError extends Error {
  readonly code: ApiErrorCode | TransportErrorCode
  /** HTTP status; 0 when no response arrived. */
  readonly status: number
  readonly retryable: boolean
  readonly authorizeUrl?: string

  constructor(init: { code: ApiErrorCode | TransportErrorCode, status: number, message: string, retryable?: boolean, authorizeUrl?: string }) {
    super(init.message)
    this.name = 'ApiError'
    this.code = init.code
    this.status = init.status
    this.retryable = init.retryable ?? (init.status === 0 || init.status >= 500 || init.status === 429)
    this.authorizeUrl = init.authorizeUrl
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}
