/** One HTTP exchange, independent of how it is carried (uni.request in the app, a stub in tests). */
export interface TransportRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: unknown
  timeoutMs: number
}

export interface TransportResponse {
  status: number
  data: unknown
  headers: Record<string, string>
}

export type TransportFailure = 'network' | 'timeout'

export type Transport = (req: TransportRequest) => Promise<TransportResponse>

export class TransportError extends Error {
  constructor(readonly kind: TransportFailure, message: string) {
    super(message)
    this.name = 'TransportError'
  }
}

/** Carries requests over `uni.request`, which works on H5 (XHR) and in the mini program alike. */
export const uniTransport: Transport = req => new Promise((resolve, reject) => {
  uni.request({
    url: req.url,
    method: req.method,
    header: req.headers,
    data: req.body as UniApp.RequestOptions['data'],
    timeout: req.timeoutMs,
    dataType: 'json',
    withCredentials: true,
    success: (res) => {
      resolve({
        status: res.statusCode,
        data: res.data,
        headers: Object.fromEntries(Object.entries(res.header ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
      })
    },
    fail: (err) => {
      const msg = err?.errMsg ?? 'request failed'
      reject(new TransportError(/timeout/i.test(msg) ? 'timeout' : 'network', msg))
    },
  })
})
