import type { CreatePaymentResponse } from '../../contract/api'
import type { PayMethod } from '../../contract/methods'
import type { ApiClient } from '../api/client'
import { isApiError } from '../api/errors'
import { newOAuthState } from '../auth/wechat-oauth'

export interface StartPaymentDeps {
  api: Pick<ApiClient, 'createPayment'>
  newKey: () => string
  /** Inside the mini program: its login session, renewed once when the server asks for a new one. */
  ensureSession?: (opts?: { fresh?: boolean }) => Promise<string>
}

/** The Idempotency-Key of the payment intention under way; one per page (or store). */
export interface PendingKey {
  current?: { method: PayMethod, key: string }
}

export interface StartPaymentInput {
  orderNo: string
  method: PayMethod
  wechatCode?: string
  alipayAuthCode?: string
  oauthState?: string
}

/**
 * Asks the server how to pay (`POST /api/payments`); rejects with the ApiError. One Idempotency-Key per payment
 * intention: a retry after a retryable failure is the same request, a new method or a fresh OAuth code is a new one.
 */
export async function startPayment(deps: StartPaymentDeps, pending: PendingKey, input: StartPaymentInput): Promise<CreatePaymentResponse> {
  const { method, ...extra } = input
  if (!pending.current || pending.current.method !== method || extra.wechatCode || extra.alipayAuthCode)
    pending.current = { method, key: deps.newKey() }
  const key = pending.current.key
  try {
    const oauthState = extra.oauthState ?? (method === 'wechat_jsapi' || method === 'alipay_app' ? newOAuthState() : undefined)
    const body = { ...extra, method, ...(oauthState ? { oauthState } : {}) }
    let action: CreatePaymentResponse
    if (method === 'wechat_mp' && deps.ensureSession) {
      await deps.ensureSession()
      try {
        action = await deps.api.createPayment(body, key)
      }
      catch (e) {
        // An expired or unknown session: log in once more, then try the same request again.
        if (!isApiError(e) || e.code !== 'session_required')
          throw e
        await deps.ensureSession({ fresh: true })
        action = await deps.api.createPayment(body, key)
      }
    }
    else {
      action = await deps.api.createPayment(body, key)
    }
    pending.current = undefined
    return action
  }
  catch (e) {
    if (isApiError(e) && !e.retryable)
      pending.current = undefined
    throw e
  }
}
