import { createApiClient } from '../api/client'
// #ifdef MP-WEIXIN
import { storedSessionToken } from '../auth/mp-session'
// #endif

/**
 * The merchant server's origin. Empty means "the origin that served this page", which is how the
 * reference server runs the H5 build; set VITE_API_BASE at build time to put the cashier on a CDN.
 * The mini program has no origin of its own, so its build always needs an absolute one.
 */
const configured = import.meta.env.VITE_API_BASE ?? ''
// #ifdef MP-WEIXIN
const mpDefault = 'http://127.0.0.1:8080'
// #endif

export const apiBase: string = configured
  // #ifdef MP-WEIXIN
  || mpDefault
  // #endif

export const api = createApiClient({
  baseUrl: apiBase,
  // #ifdef MP-WEIXIN
  // No cookies in the mini program: the opaque session token rides in a header.
  headers: (): Record<string, string> => {
    const token = storedSessionToken(uni)
    return token ? { 'X-Session-Token': token } : {}
  },
  // #endif
})
