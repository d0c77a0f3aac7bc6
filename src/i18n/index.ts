import type { MessageKey } from './messages'
import { initVueI18n } from '@dcloudio/uni-i18n'
import { en, zhHans } from './messages'

export type { MessageKey } from './messages'

export type Locale = 'zh-Hans' | 'en'

/** Picks the cashier's locale from a BCP 47 tag; Chinese variants and unknown tags fall back to zh-Hans. */
export function pickLocale(tag: string | undefined): Locale {
  return tag && /^en\b/i.test(tag) ? 'en' : 'zh-Hans'
}

// uni-app's own i18n (already part of the uni runtime, so it adds nothing to the page weight).
const i18n = initVueI18n('zh-Hans', { 'zh-Hans': zhHans, en }, 'zh-Hans')

export function setLocale(locale: Locale): void {
  i18n.setLocale(locale)
  const doc = (globalThis as { document?: Document }).document
  if (doc)
    doc.documentElement.lang = locale === 'en' ? 'en' : 'zh-CN'
}

export function getLocale(): Locale {
  return pickLocale(i18n.getLocale())
}

/** Translates `key`, filling `{name}` placeholders from `values`. */
export function t(key: MessageKey, values?: Record<string, string | number>): string {
  return i18n.t(key, values as Record<string, string> | undefined)
}
