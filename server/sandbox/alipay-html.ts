/** Page layout of the customer-facing Alipay sandbox pages (self-contained, no external resources). */
import { escapeHtml } from './html'

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f5;color:#111}
main{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}
.brand{color:#1677ff;font-weight:600;letter-spacing:.05em}
.en{display:block;color:#666;font-size:13px}
.amount{font-size:40px;font-weight:600;margin:16px 0 4px}
.desc{color:#333;word-break:break-all}
.card{background:#fff;border-radius:8px;padding:24px 16px;margin:16px 0}
button{display:block;width:100%;border:0;border-radius:6px;padding:12px;margin:12px 0;font-size:17px;cursor:pointer}
button.primary{background:#1677ff;color:#fff}button.secondary{background:#ebebeb;color:#111}
button:focus-visible{outline:3px solid #0b3d91;outline-offset:2px}button:disabled{opacity:.6;cursor:default}
.error{color:#c62828;font-weight:600}.status{min-height:1.5em}
`

/** A complete zh-CN page branded 支付宝; `body` is trusted HTML built with escapeHtml. */
export function alipayPage(title: string, body: string, script = ''): string {
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
<p class="brand">支付宝 <span class="en">Alipay (sandbox)</span></p>
${body}
</main>
${script ? `<script>${script}</script>` : ''}
</body>
</html>`
}

/** A page that only shows a message (errors, expiry …). */
export function alipayMessagePage(zh: string, en: string): string {
  return alipayPage(zh, `<div class="card" role="alert"><p class="error">${escapeHtml(zh)}</p><p class="en">${escapeHtml(en)}</p></div>`)
}
