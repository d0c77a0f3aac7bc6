import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ApiErrorBody, ApiErrorCode } from '../../contract/api'

/** An error that becomes `{ code, message }` with `status` at the HTTP boundary. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Omit<ApiErrorBody, 'code' | 'message'> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...this.extra }
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`)
