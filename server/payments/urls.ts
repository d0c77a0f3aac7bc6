/** The cashier's own pages, as absolute URLs under the public origin (hash-routed H5 build). */
export function checkoutUrl(publicUrl: string, orderNo: string): string {
  return `${publicUrl}/#/pages/checkout/checkout?orderNo=${encodeURIComponent(orderNo)}`
}

export function resultUrl(publicUrl: string, orderNo: string, from: 'h5' | 'wap' | 'return' = 'return'): string {
  return `${publicUrl}/#/pages/result/result?orderNo=${encodeURIComponent(orderNo)}&from=${from}`
}

/**
 * A "back to the merchant" URL is accepted only as an absolute http(s) URL on an allowed host:
 * no `javascript:`, no protocol-relative `//evil.example`, no credentials, no encoded tricks.
 */
export function isAllowedReturnUrl(candidate: string, publicUrl: string, allowedHosts: readonly string[]): boolean {
  if (candidate.length > 2048 || /[\s\\]/.test(candidate) || !/^https?:\/\//i.test(candidate))
    return false
  let u: URL
  try {
    u = new URL(candidate)
  }
  catch {
    return false
  }
  if (u.username || u.password)
    return false
  const host = u.host.toLowerCase()
  return host === new URL(publicUrl).host.toLowerCase() || allowedHosts.includes(host) || allowedHosts.includes(u.hostname.toLowerCase())
}
