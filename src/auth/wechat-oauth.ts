/** What the OAuth helpers touch, so they can run against fakes in tests. */
export interface OAuthHost {
  location: { href: string, search: string, hash: string, pathname: string, replace: (url: string) => void }
  history: { replaceState: (data: unknown, unused: string, url?: string) => void, state: unknown }
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
}

const STATE_KEY = 'uc.oauthState'
const RETRIED_KEY = 'uc.oauthRetried'

export interface OAuthReturn {
  /** WeChat's `code` or Alipay's `auth_code`. */
  code: string
  state: string
  provider: 'wechat' | 'alipay'
}

/** Parameters the providers add on the way back, all removed together. */
const RETURN_PARAMS = ['code', 'auth_code', 'state', 'app_id', 'source', 'scope']

/** The query string inside a hash route (`#/pages/checkout/checkout?orderNo=O1` → `orderNo=O1`), and what precedes it. */
function splitHash(hash: string): { route: string, params: URLSearchParams } {
  const at = hash.indexOf('?')
  return at < 0 ? { route: hash, params: new URLSearchParams() } : { route: hash.slice(0, at), params: new URLSearchParams(hash.slice(at + 1)) }
}

/**
 * Reads `code` (WeChat) or `auth_code` (Alipay) and `state` and removes them from the address bar with
 * `history.replaceState` at once, so a refresh can never replay a used code. Call it before any request.
 *
 * WeChat puts them in `location.search`, before the `#`, even for hash-routed pages. Where Alipay puts them when
 * `redirect_uri` carries a `#` is not documented: if it appends them to the whole URL they land in the hash route's
 * query, so that is read too (the query before the `#` wins) and cleaned the same way.
 */
export function takeOAuthReturn(host: OAuthHost): OAuthReturn | undefined {
  const params = new URLSearchParams(host.location.search)
  const hash = splitHash(host.location.hash)
  const inSearch = params.has('code') || params.has('auth_code') || params.has('state')
  const inHash = !inSearch && (hash.params.has('auth_code') || hash.params.has('code'))
  if (!inSearch && !inHash)
    return undefined
  const found = inSearch ? params : hash.params
  const wechatCode = found.get('code')
  const alipayCode = found.get('auth_code')
  const state = found.get('state')
  for (const name of RETURN_PARAMS)
    found.delete(name)
  const rest = params.toString()
  const hashRest = hash.params.toString()
  const cleanHash = inHash ? `${hash.route}${hashRest ? `?${hashRest}` : ''}` : host.location.hash
  host.history.replaceState(host.history.state, '', `${host.location.pathname}${rest ? `?${rest}` : ''}${cleanHash}`)
  if (alipayCode)
    return { code: alipayCode, state: state ?? '', provider: 'alipay' }
  return wechatCode ? { code: wechatCode, state: state ?? '', provider: 'wechat' } : undefined
}

/** A fresh random state: 32 hex characters (WeChat allows [A-Za-z0-9], at most 128 bytes). */
export function newOAuthState(random: (n: number) => Uint8Array = n => crypto.getRandomValues(new Uint8Array(n))): string {
  return Array.from(random(16), b => b.toString(16).padStart(2, '0')).join('')
}

/** True when `state` is the one this tab stored before leaving for WeChat. The stored state is used up. */
export function consumeOAuthState(host: OAuthHost, state: string): boolean {
  const expected = host.storage.getItem(STATE_KEY)
  host.storage.removeItem(STATE_KEY)
  return expected !== null && expected.length > 0 && expected === state
}

/** Leaves for the authorize URL, remembering its `state` for the check on return. */
export function beginAuthorization(host: OAuthHost, authorizeUrl: string): void {
  const state = new URL(authorizeUrl).searchParams.get('state') ?? ''
  host.storage.setItem(STATE_KEY, state)
  host.location.replace(authorizeUrl)
}

/**
 * After the server said the code is unusable, one fresh authorisation is allowed per order and tab;
 * a second failure must surface as an error with a retry button, never as a redirect loop.
 */
export function mayReauthorize(host: OAuthHost, orderNo: string): boolean {
  if (host.storage.getItem(RETRIED_KEY) === orderNo)
    return false
  host.storage.setItem(RETRIED_KEY, orderNo)
  return true
}

/** Once a payment got going, a later bad code may be retried once more. */
export function resetReauthorizeGuard(host: OAuthHost): void {
  host.storage.removeItem(RETRIED_KEY)
}
