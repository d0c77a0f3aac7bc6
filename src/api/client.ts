import type {
  ApiErrorBody,
  CreatePaymentRequest,
  CreatePaymentResponse,
  DemoOrderRequest,
  DemoOrderResponse,
  MiniProgramSessionResponse,
  OrderStatusView,
  OrderView,
} from '../../contract/api'
import type { Transport, TransportRequest } from './transport'
import { ApiError } from './errors'
import { TransportError, uniTransport } from './transport'

export interface ApiClientOptions {
  /** '' for same-origin; otherwise an absolute origin such as https://pay.example.com */
  baseUrl: string
  transport?: Transport
  timeoutMs?: number
  /** Extra headers on every request (the mini program's session token rides here). */
  headers?: () => Record<string, string>
}

function isErrorBody(data: unknown): data is ApiErrorBody {
  return typeof data === 'object' && data !== null
    && typeof (data as ApiErrorBody).code === 'string'
    && typeof (data as ApiErrorBody).message === 'string'
}

/** A typed client of the contract. No UI: it resolves with data or rejects with `ApiError`. */
export function createApiClient(options: ApiClientOptions) {
  const transport = options.transport ?? uniTransport
  const timeoutMs = options.timeoutMs ?? 15_000

  async function call<T>(method: TransportRequest['method'], path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res
    try {
      res = await transport({
        method,
        url: `${options.baseUrl}${path}`,
        headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...options.headers?.(), ...headers },
        body,
        timeoutMs,
      })
    }
    catch (e) {
      if (e instanceof TransportError)
        throw new ApiError({ code: e.kind, status: 0, message: e.message, retryable: true })
      throw e
    }
    if (res.status >= 200 && res.status < 300)
      return res.data as T
    if (isErrorBody(res.data)) {
      throw new ApiError({
        code: res.data.code,
        status: res.status,
        message: res.data.message,
        retryable: res.data.retryable,
        authorizeUrl: res.data.authorizeUrl,
      })
    }
    throw new ApiError({ code: 'bad_response', status: res.status, message: `unexpected HTTP ${res.status}` })
  }

  const enc = encodeURIComponent
  return {
    getOrder: (orderNo: string) => call<OrderView>('GET', `/api/orders/${enc(orderNo)}`),
    getStatus: (orderNo: string) => call<OrderStatusView>('GET', `/api/orders/${enc(orderNo)}/status`),
    /** `idempotencyKey` makes a retried or double-tapped request create one attempt. The answer carries the order. */
    createPayment: (req: CreatePaymentRequest, idempotencyKey: string) =>
      call<CreatePaymentResponse>('POST', '/api/payments', req, { 'Idempotency-Key': idempotencyKey }),
    createMiniProgramSession: (code: string) => call<MiniProgramSessionResponse>('POST', '/api/mp/session', { code }),
    createDemoOrder: (req: DemoOrderRequest = {}) => call<DemoOrderResponse>('POST', '/api/demo/orders', req),
    eventsUrl: (orderNo: string) => `${options.baseUrl}/api/orders/${enc(orderNo)}/events`,
  }
}

export type ApiClient = ReturnType<typeof createApiClient>
