/** Where the flag is kept for the tab (sessionStorage on H5). */
export type FlagStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

const KEY = 'uc.debug'

/**
 * Whether the checkout shows its debug panel. `debug=1` in the link turns it on for this tab and `debug=0` off; the
 * choice is kept in `storage`, because inside WeChat the silent OAuth round trip brings the page back with the order
 * number only. Storage that refuses (a private mode) just means the flag lasts one page.
 */
export function debugPanelWanted(query: Record<string, unknown> | undefined, storage?: FlagStorage): boolean {
  const asked = query?.debug
  try {
    if (asked === '1')
      storage?.setItem(KEY, '1')
    else if (asked === '0')
      storage?.removeItem(KEY)
    else
      return storage?.getItem(KEY) === '1'
  }
  catch {}
  return asked === '1'
}
