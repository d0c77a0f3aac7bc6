import type { CreatePaymentRequest, PaymentAction } from '../../contract/api'
import type { Logger } from '../logger'
import type { PayerIdentity } from '../providers/types'
import type { SessionRow, SessionStore } from '../sessions/store'
import { randomBytes } from 'node:crypto'
import { HttpError } from '../http/errors'
import { ProviderError } from '../providers/errors'
import { InvalidPayerCode } from '../providers/types'
import { providerFailure } from './errors'

export type PayerResult
  = | { payerId: string, session?: SessionRow, newSession?: SessionRow }
    | { action: PaymentAction, pendingState?: string }

/**
 * Finds who pays, inside WeChat or Alipay: the id kept in the session, or the OAuth code this request brings back
 * (checked against the state this browser waits for: its session's, or `pendingState` from its cookie), or else an
 * authorisation to start (`returnTo` comes back with the code).
 *
 * Starting an authorisation writes no session row for a browser without one (the route keeps the state in its
 * cookie instead); binding a payer id creates the session, or moves an existing one to a new id.
 */
export async function identifyPayer(
  deps: { sessions: SessionStore, log: Logger },
  identity: PayerIdentity,
  req: CreatePaymentRequest,
  current: { session?: SessionRow, pendingState?: string },
  returnTo: string,
): Promise<PayerResult> {
  const { session } = current
  const code = identity.code(req)
  if (code !== undefined) {
    const awaitedState = session ? session.oauth_state : current.pendingState
    if (!awaitedState || req.oauthState !== awaitedState)
      throw new HttpError(400, 'oauth_state_mismatch', 'the OAuth state does not match the one this browser started with')
    let payerId: string
    try {
      payerId = await identity.exchange(code)
    }
    catch (e) {
      // A fresh authorisation with the state this browser already waits for: nothing is written.
      if (e instanceof InvalidPayerCode)
        throw new HttpError(409, 'oauth_code_invalid', e.message, { authorizeUrl: identity.authorizeUrl(returnTo, awaitedState) })
      if (e instanceof ProviderError)
        throw providerFailure(e, deps.log, `${identity.provider} OAuth code exchange`)
      throw e
    }
    const patch = { [identity.sessionField]: payerId, oauth_state: null }
    const bound = session ? await deps.sessions.rotate(session.id, patch) : await deps.sessions.create(patch)
    return { session: bound, newSession: bound, payerId }
  }
  const known = session?.[identity.sessionField]
  if (known)
    return { session, payerId: known }
  const state = req.oauthState ?? randomBytes(16).toString('hex')
  const action: PaymentAction = { kind: 'oauth_required', provider: identity.provider, authorizeUrl: identity.authorizeUrl(returnTo, state) }
  if (session) {
    await deps.sessions.update(session.id, { oauth_state: state })
    return { action }
  }
  return { action, pendingState: state }
}
