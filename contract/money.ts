/**
 * Formats an integer amount of fen for display, without floating-point arithmetic:
 * 12345 → "¥123.45". The integer part is grouped per locale.
 */
export function formatFen(amountFen: number, locale = 'zh-Hans', currency = 'CNY'): string {
  if (!Number.isSafeInteger(amountFen))
    throw new TypeError(`amount must be an integer number of fen, got ${amountFen}`)
  const negative = amountFen < 0
  const abs = Math.abs(amountFen)
  const yuan = Math.floor(abs / 100)
  const fen = String(abs % 100).padStart(2, '0')
  const grouped = new Intl.NumberFormat(locale === 'zh-Hans' ? 'zh-CN' : locale, { useGrouping: true, maximumFractionDigits: 0 }).format(yuan)
  const symbol = currency === 'CNY' ? '¥' : `${currency} `
  return `${negative ? '-' : ''}${symbol}${grouped}.${fen}`
}

/** "12.30" style yuan string (Alipay's total_amount) from integer fen. */
export function fenToYuanString(amountFen: number): string {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0)
    throw new TypeError(`amount must be a non-negative integer number of fen, got ${amountFen}`)
  return `${Math.floor(amountFen / 100)}.${String(amountFen % 100).padStart(2, '0')}`
}

/** Integer fen from a yuan string with at most two decimals ("0.1" → 10, "12.30" → 1230); null if malformed. */
export function yuanStringToFen(yuan: string): number | null {
  const m = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/.exec(yuan)
  if (!m)
    return null
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}
