/** Why a payment could not even be attempted or was refused by the wallet. */
export type PayErrorType
  /** The wallet bridge is missing here (e.g. WeixinJSBridge outside WeChat) or never became ready. */
  = | 'unsupported'
  /** The wallet reported a failure other than the customer cancelling. */
    | 'provider'
  /** The parameters from the server were rejected as malformed. */
    | 'invalid_params'
  /** The wallet's network failed (Alipay 6002). */
    | 'network'

export interface PayError {
  type: PayErrorType
  message: string
  /** The raw platform answer, for logs and the debug panel. */
  cause?: unknown
}

/**
 * What a driver reports. Never "paid": only the server says an order is paid.
 * - submitted: the wallet says it went through — confirm with the server;
 * - redirected: the page navigated away (H5 / WAP pay); the result page takes over;
 * - cancelled: the customer backed out; no error to show;
 * - failed: the wallet refused; `error` says why;
 * - unknown: the wallet does not know (Alipay 8000 / 6004) — keep watching the server.
 */
export type PayOutcome
  = | { status: 'submitted', error?: undefined }
    | { status: 'redirected', error?: undefined }
    | { status: 'cancelled', error?: undefined }
    | { status: 'failed', error: PayError }
    | { status: 'unknown', error?: undefined }
