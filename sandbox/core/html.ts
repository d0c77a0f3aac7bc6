/** Minimal self-contained HTML for the customer-facing sandbox pages (no external resources). */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[ch]!)
}

/** Serialises a value for embedding inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** The wallet a sandbox page stands in for: its name and colours. */
export interface Brand {
  zh: string
  en: string
  colour: string
  background: string
  secondary: string
  focus: string
}

export const WECHAT_BRAND: Brand = { zh: '微信支付', en: 'WeChat Pay (sandbox)', colour: '#07c160', background: '#ededed', secondary: '#f2f2f2', focus: '#1a73e8' }
export const ALIPAY_BRAND: Brand = { zh: '支付宝', en: 'Alipay (sandbox)', colour: '#1677ff', background: '#f5f5f5', secondary: '#ebebeb', focus: '#0b3d91' }

function style(b: Brand): string {
  return `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:${b.background};color:#111}
main{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}
.brand{color:${b.colour};font-weight:600;letter-spacing:.05em}
.en{display:block;color:#666;font-size:13px}
.amount{font-size:40px;font-weight:600;margin:16px 0 4px}
.desc{color:#333;word-break:break-all}
.card{background:#fff;border-radius:8px;padding:24px 16px;margin:16px 0}
button{display:block;width:100%;border:0;border-radius:6px;padding:12px;margin:12px 0;font-size:17px;cursor:pointer}
button.primary{background:${b.colour};color:#fff}button.secondary{background:${b.secondary};color:#111}
button:focus-visible{outline:3px solid ${b.focus};outline-offset:2px}button:disabled{opacity:.6;cursor:default}
.error{color:#c62828;font-weight:600}.status{min-height:1.5em}
`
}

/** A complete zh-CN page for `brand`; `body` is trusted HTML built with escapeHtml. */
export function page(title: string, body: string, script = '', brand: Brand = WECHAT_BRAND): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer-when-downgrade">
<title>${escapeHtml(title)}</title>
<style>${style(brand)}</style>
</head>
<body>
<main>
<p class="brand">${escapeHtml(brand.zh)} <span class="en">${escapeHtml(brand.en)}</span></p>
${body}
</main>
${script ? `<script>${script}</script>` : ''}
</body>
</html>`
}

/** A page that only shows a message (errors, expiry …). */
export function messagePage(zh: string, en: string): string {
  return page(zh, `<div class="card" role="alert"><p class="error">${escapeHtml(zh)}</p><p class="en">${escapeHtml(en)}</p></div>`)
}

/** Yuan from fen: 100 → "¥1.00". */
export function yuan(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`
}
