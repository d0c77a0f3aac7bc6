import { createApiClient } from '../api/client'

/**
 * The merchant server's origin. Empty means "the origin that served this page", which is how the
 * reference server runs; set VITE_API_BASE at build time to put the cashier on a CDN.
 */
export const apiBase: string = (import.meta.env.VITE_API_BASE as string | undefined) ?? ''

export const api = createApiClient({ baseUrl: apiBase })
