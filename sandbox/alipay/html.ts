/** Page layout of the customer-facing Alipay sandbox pages: the shared template, Alipay's brand. */
import { ALIPAY_BRAND, escapeHtml, page } from '../core/html'

/** A complete zh-CN page branded 支付宝; `body` is trusted HTML built with escapeHtml. */
export function alipayPage(title: string, body: string, script = ''): string {
  return page(title, body, script, ALIPAY_BRAND)
}

/** A page that only shows a message (errors, expiry …). */
export function alipayMessagePage(zh: string, en: string): string {
  return alipayPage(zh, `<div class="card" role="alert"><p class="error">${escapeHtml(zh)}</p><p class="en">${escapeHtml(en)}</p></div>`)
}
