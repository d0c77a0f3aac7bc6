/** "2026-11-23 08:13" in the customer's time zone, locale-neutral digits. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime()))
    return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Only absolute http(s) URLs may become a "back to the merchant" link (never `javascript:`). */
export function safeLinkUrl(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\/[^\s/\\]/i.test(url))
    return undefined
  try {
    return new URL(url).href
  }
  catch {
    return undefined
  }
}
