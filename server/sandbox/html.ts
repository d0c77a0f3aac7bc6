/** Minimal self-contained HTML for the customer-facing sandbox pages (no external resources). */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[ch]!)
}

/** Serialises a value for embedding inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed;color:#111}
main{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}
.brand{color:#07c160;font-weight:600;letter-spacing:.05em}
.en{display:block;color:#666;font-size:13px}
.amount{font-size:40px;font-weight:600;margin:16px 0 4px}
.desc{color:#333;word-break:break-all}
.card{background:#fff;border-radius:8px;padding:24px 16px;margin:16px 0}
button{display:block;width:100%;border:0;border-radius:6px;padding:12px;margin:12px 0;font-size:17px;cursor:pointer}
button.primary{background:#07c160;color:#fff}button.secondary{background:#f2f2f2;color:#111}
button:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}button:disabled{opacity:.6;cursor:default}
.error{color:#c62828;font-weight:600}.status{min-height:1.5em}
`

/** A complete zh-CN page; `body` is trusted HTML built with escapeHtml. */
export function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer-when-downgrade">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">微信支付 <span class="en">WeChat Pay (sandbox)</span></p>
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
