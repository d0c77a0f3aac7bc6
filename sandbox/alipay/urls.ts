/** Adding parameters to a merchant URL the way Alipay does for return_url and the OAuth redirect_uri. */

/** Appends url-encoded `params` to the query part of `url`, before any `#fragment` (hash-routed pages keep their route). */
export function withQuery(url: string, params: Record<string, string>): string {
  const hashAt = url.indexOf('#')
  const base = hashAt < 0 ? url : url.slice(0, hashAt)
  const fragment = hashAt < 0 ? '' : url.slice(hashAt)
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'
  const query = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  return `${base}${sep}${query}${fragment}`
}
