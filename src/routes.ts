/** The cashier's pages and the query each one takes (pages.json lists the same pages). */
export interface PageQueries {
  index: Record<string, never>
  checkout: { orderNo: string }
  /** `from`: `pay` after a wallet said it went through; `h5` / `wap` back from a wallet's page, where WeChat requires asking. */
  result: { orderNo: string, from?: 'pay' | 'h5' | 'wap' }
}

export type PageName = keyof PageQueries

/** The route of `page` with its query, for `uni.navigateTo` / `uni.redirectTo` and `wx.miniProgram.navigateTo`. */
export function pageUrl<P extends PageName>(page: P, query: PageQueries[P]): string {
  const params = Object.entries(query as Record<string, string | undefined>)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
  return `/pages/${page}/${page}${params.length ? `?${params.join('&')}` : ''}`
}
