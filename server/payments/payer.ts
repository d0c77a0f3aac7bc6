import type { CreatePaymentRequest, PaymentAction } from '../../contract/api'
import type { PayerIdentity } from '../providers/types'
import type { SessionRow, SessionStore } from '../sessions/store'
import { randomBytes } from 'node:crypto'
import { HttpError } from '../http/errors'
import { ProviderError } from '../providers/errors'
import { InvalidPayerCode } from '../providers/types'
import { providerFailure } from './errors'

export type PayerResult
  = | { payerId: string, session?: SessionRow }
    | { action: PaymentAction, newSession?: SessionRow }

/**
 * Finds who pays, inside WeChat or Alipay: the id kept in the session, or the OAuth code this request brings back
 * (checked against the state the session waits for), or else an authorisation to start (`returnTo` comes back with
 * the code).
 */
export async function identifyPayer(
  sessions: SessionStore,
  identity: PayerIdentity,
  req: CreatePaymentRequest,
  session: SessionRow | undefined,
  returnTo: string,
): Promise<PayerResult> {
  const code = identity.code(req)
  if (code !== undefined) {
    if (!session?.oauth_state || req.oauthState !== session.oauth_state)
      throw new HttpError(400, 'oauth_state_mismatch', 'the OAuth state does not match the one this browser started with')
    const awaitedState = session.oauth_state
    let payerId: string
    try {
      payerId = await identity.exchange(code)
    }
    catch (e) {
      // A fresh authorisation with the state this session already waits for: nothing is written.
      if (e instanceof InvalidPayerCode)
        throw new HttpError(409, 'oauth_code_invalid', e.message, { authorizeUrl: identity.authorizeUrl(returnTo, awaitedState) })
      if (e instanceof ProviderError)
        throw providerFailure(e)
      throw e
    }
    await sessions.update(session.id, { [identity.sessionField]: payerId, oauth_state: null })
    return { session: { ...session, [identity.sessionField]: payerId, oauth_state: null }, payerId }
  }
  const known = session?.[identity.sessionField]
  if (known)
    return { session, payerId: known }
  let newSession: SessionRow | undefined
  if (!session) {
    session = await sessions.create()
    newSession = session
  }
  const state = req.oauthState ?? randomBytes(16).toString('hex')
  await sessions.update(session.id, { oauth_state: state })
  return { action: { kind: 'oauth_required', provider: identity.provider, authorizeUrl: identity.authorizeUrl(returnTo, state) }, newSession }
}
