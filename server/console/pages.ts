/**
 * The console's pages: server-rendered HTML with one inline style sheet, no script, no external asset. Every value
 * from an order (subject, metadata, reasons, URLs, provider messages) goes through `h`, which escapes it. Below 720 px
 * the tables become one card per row; their explicit ARIA roles keep them tables for screen readers, which some
 * browsers stop doing once a table's parts are display:block.
 */
import type { OrderStatus } from '../../contract/api'
import type { MerchantOrder, OrderList, WebhookDelivery } from '../../contract/merchant'
import type { Html, HtmlValue } from './html'
import type { ConsoleLang, Translate } from './i18n'
import { createHash } from 'node:crypto'
import { formatFen } from '../../contract/money'
import { CSRF_FIELD } from './csrf'
import { h, raw } from './html'
import { refundStatusKey, statusKey } from './i18n'

const CSS = `:root{--fg:#1b1f24;--muted:#4d5661;--line:#d0d7de;--bg:#f4f6f8;--card:#fff;--accent:#0b57c2;--bad:#a4221a}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;color:var(--fg);padding:8px;z-index:1}
header{background:#12335b;color:#fff}
.bar{max-width:1100px;margin:0 auto;padding:8px 16px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px}
.brand{font-weight:700;font-size:1.05rem;margin-right:auto;word-break:keep-all}
.bar a,.bar .linkish{color:#fff}
.bar form{margin:0}
.langs{display:flex;gap:10px}
.langs [aria-current]{font-weight:700;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.35rem;margin:4px 0 16px;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 10px}
section,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin:0 0 16px}
label{display:block;font-weight:600;font-size:.9rem;margin:0 0 4px}
input,select,button,.button{font:inherit;min-height:44px;padding:8px 12px;border:1px solid #6e7781;border-radius:6px;background:#fff;color:var(--fg);max-width:100%}
input,select{width:100%}
button,.button{display:inline-flex;align-items:center;justify-content:center;background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600;cursor:pointer;text-decoration:none}
.button.secondary,button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
.linkish{background:none;border:0;padding:0;min-height:0;font-weight:400;text-decoration:underline;cursor:pointer}
:focus-visible{outline:3px solid #f0a400;outline-offset:2px}
.filters{display:grid;grid-template-columns:2fr 1fr 1fr 1fr;gap:12px;align-items:end}
.filters>div{min-width:0}
.filters .actions{grid-column:1/-1;display:flex;gap:12px;flex-wrap:wrap}
.row{display:flex;gap:12px;flex-wrap:wrap;align-items:center;margin-top:12px}
.field{margin:0 0 12px}
.hint{color:var(--muted);font-size:.9rem;margin:4px 0 0}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse}
caption{text-align:left;font-weight:600;padding:0 0 8px;color:var(--muted)}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f4;font-size:.85rem;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere}
.wrap{overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.narrow{max-width:560px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;border:1px solid currentColor}
.s-pending{color:#7a4100;background:#fff4e0}.s-paid,.s-succeeded,.s-delivered{color:#0f5a25;background:#e6f4ea}
.s-refunded,.s-processing{color:#55309a;background:#f1ebfb}.s-closed,.s-open{color:#4d5661;background:#eef1f4}.s-failed{color:var(--bad);background:#fdecea}
.notice,.error{padding:12px 14px;border-radius:6px;margin:0 0 16px;border-left:5px solid}
.notice{background:#e6f4ea;border-color:#1a7f37}.error{background:#fdecea;border-color:var(--bad)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.pager{display:flex;justify-content:space-between;gap:12px;margin-top:12px}
.login{max-width:420px;margin:24px auto}
.login .hint{margin:0 0 12px}
.login button{width:100%}
.summary{font-size:1.05rem}
form.card p:first-of-type{margin-top:0}
@media (max-width:720px){
main{padding:12px}
section,.card{padding:12px}
.filters{grid-template-columns:1fr 1fr}
.filters .search{grid-column:1/-1}
dl{grid-template-columns:1fr;gap:0}dd{margin:0 0 8px}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block}
table.stack tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:4px 0}
table.stack caption{display:block}
table.stack td{display:grid;grid-template-columns:7rem minmax(0,1fr);gap:8px;border:0;padding:4px 10px;text-align:left;white-space:normal;justify-items:start}
table.stack td::before{content:attr(data-label);font:600 .85rem/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:var(--muted);overflow-wrap:normal}
}
@media (max-width:360px){.filters{grid-template-columns:1fr}}`

/** The CSP allows exactly this style sheet and nothing else (no script at all). */
export const CONSOLE_CSP = [
  'default-src \'none\'',
  `style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'`,
  'img-src \'self\'',
  'form-action \'self\'',
  'base-uri \'none\'',
  'frame-ancestors \'none\'',
].join('; ')

export interface View {
  t: Translate
  lang: ConsoleLang
  /** The current path and query, for the language links. */
  url: URL
  merchantName: string
  /** Present when logged in: the session's CSRF token for every form. */
  csrf?: string
}

const TIME = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

export function formatTime(iso: string | undefined): string {
  return iso ? TIME.format(new Date(iso)) : ''
}

const money = (v: View, fen: number): string => formatFen(fen, v.lang)

export const orderPath = (orderNo: string): string => `/console/orders/${encodeURIComponent(orderNo)}`

function csrfField(v: View): Html {
  return h`<input type="hidden" name="${CSRF_FIELD}" value="${v.csrf ?? ''}">`
}

function langLink(v: View, lang: ConsoleLang, label: string): Html {
  const u = new URL(v.url)
  u.searchParams.set('lang', lang === 'en' ? 'en' : 'zh')
  const href = `${u.pathname}${u.search}`
  return lang === v.lang
    ? h`<a href="${href}" lang="${lang === 'en' ? 'en' : 'zh-CN'}" aria-current="true">${label}</a>`
    : h`<a href="${href}" lang="${lang === 'en' ? 'en' : 'zh-CN'}" hreflang="${lang === 'en' ? 'en' : 'zh-CN'}">${label}</a>`
}

function layout(v: View, title: string, body: HtmlValue): Html {
  const { t } = v
  return h`<!doctype html>
<html lang="${v.lang === 'en' ? 'en' : 'zh-CN'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title} · ${t('title')}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">${t('skip')}</a>
<header><div class="bar">
<span class="brand">${t('title')}${v.merchantName ? h` · ${v.merchantName}` : ''}</span>
${v.csrf ? h`<a href="/console">${t('nav.orders')}</a>` : ''}
<nav class="langs" aria-label="${t('nav.language')}">${langLink(v, 'zh-Hans', '中文')}${langLink(v, 'en', 'English')}</nav>
${v.csrf ? h`<form method="post" action="/console/logout">${csrfField(v)}<button type="submit" class="linkish">${t('nav.logout')}</button></form>` : ''}
</div></header>
<main id="main">
${body}
</main>
</body>
</html>`
}

function messages(notice: string | undefined, error: string | undefined): Html {
  return h`${notice ? h`<p class="notice" role="status">${notice}</p>` : ''}${error ? h`<p class="error" role="alert">${error}</p>` : ''}`
}

function badge(cls: string, label: string): Html {
  return h`<span class="badge s-${cls}">${label}</span>`
}

function orderBadge(v: View, status: OrderStatus): Html {
  return badge(status, v.t(statusKey(status)))
}

export function loginPage(v: View, opts: { next?: string, notice?: string, error?: string, passwordEnabled: boolean }): Html {
  const { t } = v
  return layout(v, t('login.title'), h`<div class="login">
<h1>${t('login.title')}</h1>
${messages(opts.notice, opts.error)}
<form method="post" action="/console/login" class="card">
<p class="hint">${t('login.intro')}</p>
${opts.passwordEnabled ? '' : h`<p class="hint">${t('login.noPassword')}</p>`}
${opts.next ? h`<input type="hidden" name="next" value="${opts.next}">` : ''}
<div class="field"><label for="secret">${t('login.secret')}</label>
<input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus maxlength="256"></div>
<button type="submit">${t('login.submit')}</button>
</form>
</div>`)
}

export interface OrderFilters { search: string, status: OrderStatus | '', from: string, to: string }

const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'refunded', 'closed', 'failed']

function filterQuery(f: OrderFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams()
  if (f.search)
    q.set('q', f.search)
  if (f.status)
    q.set('status', f.status)
  if (f.from)
    q.set('from', f.from)
  if (f.to)
    q.set('to', f.to)
  for (const [k, val] of Object.entries(extra))
    q.set(k, val)
  const s = q.toString()
  return s ? `?${s}` : ''
}

export function ordersPage(v: View, opts: { list: OrderList, filters: OrderFilters, paged: boolean, error?: string }): Html {
  const { t } = v
  const f = opts.filters
  const rows = opts.list.data.map(o => h`<tr role="row">
<td role="cell" data-label="${t('col.orderNo')}" class="mono nowrap"><a href="${orderPath(o.orderNo)}">${o.orderNo}</a></td>
<td role="cell" data-label="${t('col.merchantOrderId')}" class="mono">${o.merchantOrderId ?? ''}</td>
<td role="cell" data-label="${t('col.subject')}" class="wrap">${o.subject}</td>
<td role="cell" data-label="${t('col.amount')}" class="num">${money(v, o.amountFen)}</td>
<td role="cell" data-label="${t('col.refunded')}" class="num">${o.refundedFen > 0 ? money(v, o.refundedFen) : '—'}</td>
<td role="cell" data-label="${t('col.status')}">${orderBadge(v, o.status)}</td>
<td role="cell" data-label="${t('col.created')}" class="nowrap">${formatTime(o.createdAt)}</td>
</tr>`)
  return layout(v, t('orders.title'), h`<h1>${t('orders.title')}</h1>
${messages(undefined, opts.error)}
<form method="get" action="/console" class="card" role="search" aria-label="${t('orders.filter')}">
<div class="filters">
<div class="search"><label for="q">${t('orders.search')}</label><input id="q" name="q" type="search" value="${f.search}" maxlength="128"></div>
<div><label for="status">${t('orders.status')}</label><select id="status" name="status">
<option value="">${t('orders.status.all')}</option>
${STATUSES.map(s => h`<option value="${s}"${s === f.status ? raw(' selected') : ''}>${t(statusKey(s))}</option>`)}
</select></div>
<div><label for="from">${t('orders.from')}</label><input id="from" name="from" type="date" value="${f.from}"></div>
<div><label for="to">${t('orders.to')}</label><input id="to" name="to" type="date" value="${f.to}"></div>
<div class="actions"><button type="submit">${t('orders.apply')}</button><a class="button secondary" href="/console">${t('orders.reset')}</a></div>
</div>
</form>
${opts.list.data.length === 0
  ? h`<p class="card">${t('orders.none')}</p>`
  : h`<div class="scroll"><table class="stack card" role="table">
<caption>${t('orders.caption')}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">${t('col.orderNo')}</th><th role="columnheader" scope="col">${t('col.merchantOrderId')}</th><th role="columnheader" scope="col">${t('col.subject')}</th><th role="columnheader" scope="col" class="num">${t('col.amount')}</th><th role="columnheader" scope="col" class="num">${t('col.refunded')}</th><th role="columnheader" scope="col">${t('col.status')}</th><th role="columnheader" scope="col">${t('col.created')}</th></tr></thead>
<tbody role="rowgroup">${rows}</tbody>
</table></div>`}
<nav class="pager" aria-label="${t('orders.title')}">
<span>${opts.paged ? h`<a href="/console${filterQuery(f)}">${t('orders.first')}</a>` : ''}</span>
<span>${opts.list.nextCursor ? h`<a href="/console${filterQuery(f, { cursor: opts.list.nextCursor })}" rel="next">${t('orders.next')}</a>` : ''}</span>
</nav>`)
}

/** What can still be refunded: the paid amount less every merchant refund that has not failed. */
export function remainingFen(order: MerchantOrder): number {
  if (order.status !== 'paid')
    return 0
  return order.amountFen - order.refunds.filter(r => r.kind === 'merchant' && r.status !== 'failed').reduce((sum, r) => sum + r.amountFen, 0)
}

function lastResult(d: WebhookDelivery): string {
  const last = d.attempts.at(-1)
  if (!last)
    return ''
  return [last.statusCode !== undefined ? `HTTP ${last.statusCode}` : '', last.error ?? '', formatTime(last.at)].filter(Boolean).join(' · ')
}

function metadataList(order: MerchantOrder): Html {
  const entries = Object.entries(order.metadata ?? {})
  return h`<ul class="mono">${entries.map(([k, val]) => h`<li>${k}: ${JSON.stringify(val)}</li>`)}</ul>`
}

export function orderPage(v: View, opts: { order: MerchantOrder, notice?: string, error?: string, amount?: string, reason?: string }): Html {
  const { t } = v
  const o = opts.order
  const remaining = remainingFen(o)
  const facts: Array<[string, HtmlValue]> = [
    [t('col.status'), h`${orderBadge(v, o.status)}${o.status === 'closed' && o.closedReason ? t(o.closedReason === 'expired' ? 'closedReason.expired' : 'closedReason.merchant') : ''}`],
    [t('col.subject'), o.subject],
    ...(o.description ? [[t('order.description'), o.description] as [string, HtmlValue]] : []),
    ...(o.merchantOrderId ? [[t('col.merchantOrderId'), h`<span class="mono">${o.merchantOrderId}</span>`] as [string, HtmlValue]] : []),
    [t('col.amount'), money(v, o.amountFen)],
    [t('col.refunded'), money(v, o.refundedFen)],
    ...(o.status === 'paid' ? [[t('order.remaining'), money(v, remaining)] as [string, HtmlValue]] : []),
    [t('order.methods'), h`<span class="mono">${o.methods.join(', ')}</span>`],
    [t('col.created'), formatTime(o.createdAt)],
    [t('order.expires'), formatTime(o.expiresAt)],
    ...(o.paidAt ? [[t('order.paid'), formatTime(o.paidAt)] as [string, HtmlValue]] : []),
    ...(o.closedAt ? [[t('order.closed'), formatTime(o.closedAt)] as [string, HtmlValue]] : []),
    [t('order.checkout'), h`<span class="mono">${o.checkoutUrl}</span>`],
    ...(o.metadata && Object.keys(o.metadata).length > 0 ? [[t('order.metadata'), metadataList(o)] as [string, HtmlValue]] : []),
  ]
  const attempts = o.attempts.length === 0
    ? h`<p>${t('order.attempts.none')}</p>`
    : h`<div class="scroll"><table class="stack" role="table">
<caption class="sr">${t('order.attempts')}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">${t('col.method')}</th><th role="columnheader" scope="col">${t('col.status')}</th><th role="columnheader" scope="col">${t('col.outTradeNo')}</th><th role="columnheader" scope="col">${t('col.providerTxn')}</th><th role="columnheader" scope="col">${t('col.created')}</th></tr></thead>
<tbody role="rowgroup">${o.attempts.map(a => h`<tr role="row">
<td role="cell" data-label="${t('col.method')}" class="mono">${a.method}</td>
<td role="cell" data-label="${t('col.status')}">${badge(a.status, t(`attemptStatus.${a.status}`))}${a.duplicate ? h` <span class="hint">${t('order.duplicate')}</span>` : ''}</td>
<td role="cell" data-label="${t('col.outTradeNo')}" class="mono">${a.outTradeNo}</td>
<td role="cell" data-label="${t('col.providerTxn')}" class="mono">${a.providerTxnId ?? ''}</td>
<td role="cell" data-label="${t('col.created')}" class="nowrap">${formatTime(a.createdAt)}</td>
</tr>`)}</tbody></table></div>`
  const refunds = o.refunds.length === 0
    ? h`<p>${t('order.refunds.none')}</p>`
    : h`<div class="scroll"><table class="stack" role="table">
<caption class="sr">${t('order.refunds')}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col" class="num">${t('col.amount')}</th><th role="columnheader" scope="col">${t('col.status')}</th><th role="columnheader" scope="col">${t('col.kind')}</th><th role="columnheader" scope="col">${t('col.reason')}</th><th role="columnheader" scope="col">${t('col.created')}</th></tr></thead>
<tbody role="rowgroup">${o.refunds.map(r => h`<tr role="row">
<td role="cell" data-label="${t('col.amount')}" class="num">${money(v, r.amountFen)}</td>
<td role="cell" data-label="${t('col.status')}">${badge(r.status, t(refundStatusKey(r.status)))}${r.failure ? h` <span class="hint">${r.failure}</span>` : ''}</td>
<td role="cell" data-label="${t('col.kind')}">${t(r.kind === 'merchant' ? 'kind.merchant' : 'kind.duplicate')}</td>
<td role="cell" data-label="${t('col.reason')}" class="wrap">${r.reason}</td>
<td role="cell" data-label="${t('col.created')}" class="nowrap">${formatTime(r.createdAt)}</td>
</tr>`)}</tbody></table></div>`
  const deliveries = o.webhooks.flatMap(e => e.deliveries.length === 0
    ? [h`<tr role="row"><td role="cell" data-label="${t('col.event')}" class="mono">${e.type}</td><td role="cell" data-label="${t('col.created')}" class="nowrap">${formatTime(e.createdAt)}</td><td role="cell" data-label="${t('col.endpoint')}">${t('order.webhooks.noEndpoint')}</td><td role="cell" data-label="${t('col.status')}"></td><td role="cell" data-label="${t('col.attempts')}" class="num">0</td><td role="cell" data-label="${t('col.lastResult')}"></td></tr>`]
    : e.deliveries.map(d => h`<tr role="row">
<td role="cell" data-label="${t('col.event')}" class="mono">${e.type}</td>
<td role="cell" data-label="${t('col.created')}" class="nowrap">${formatTime(e.createdAt)}</td>
<td role="cell" data-label="${t('col.endpoint')}" class="mono">${d.url}</td>
<td role="cell" data-label="${t('col.status')}">${badge(d.status, t(`delivery.${d.status}`))}</td>
<td role="cell" data-label="${t('col.attempts')}" class="num">${d.attempts.length}</td>
<td role="cell" data-label="${t('col.lastResult')}" class="wrap">${lastResult(d)}</td>
</tr>`))
  const webhooks = o.webhooks.length === 0
    ? h`<p>${t('order.webhooks.none')}</p>`
    : h`<div class="scroll"><table class="stack" role="table">
<caption class="sr">${t('order.webhooks')}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">${t('col.event')}</th><th role="columnheader" scope="col">${t('col.created')}</th><th role="columnheader" scope="col">${t('col.endpoint')}</th><th role="columnheader" scope="col">${t('col.status')}</th><th role="columnheader" scope="col" class="num">${t('col.attempts')}</th><th role="columnheader" scope="col">${t('col.lastResult')}</th></tr></thead>
<tbody role="rowgroup">${deliveries}</tbody></table></div>`
  const refundForm = remaining > 0
    ? h`<form method="get" action="${orderPath(o.orderNo)}/refund" class="narrow">
<h3>${t('refund.title')}</h3>
<div class="field"><label for="amount">${t('refund.amount', { remaining: money(v, remaining) })}</label>
<input id="amount" name="amount" inputmode="decimal" autocomplete="off" pattern="[0-9]+([.][0-9]{1,2})?" value="${opts.amount ?? ''}" maxlength="16"></div>
<div class="field"><label for="reason">${t('refund.reason')}</label>
<input id="reason" name="reason" maxlength="80" value="${opts.reason ?? ''}"></div>
<button type="submit">${t('refund.review')}</button>
</form>`
    : ''
  const closeForm = o.status === 'pending'
    ? h`<div><h3>${t('close.title')}</h3><p class="hint">${t('close.intro')}</p>
<p><a class="button secondary" href="${orderPath(o.orderNo)}/close">${t('close.review')}</a></p></div>`
    : ''
  return layout(v, t('order.title', { orderNo: o.orderNo }), h`<p><a href="/console">${t('order.back')}</a></p>
<h1>${t('order.title', { orderNo: o.orderNo })}</h1>
${messages(opts.notice, opts.error)}
<section aria-labelledby="h-details"><h2 id="h-details">${t('order.details')}</h2>
<dl>${facts.map(([k, val]) => h`<dt>${k}</dt><dd>${val}</dd>`)}</dl></section>
<section aria-labelledby="h-actions"><h2 id="h-actions">${t('order.actions')}</h2>
${refundForm || closeForm ? h`${refundForm}${closeForm}` : h`<p>${t('order.noActions')}</p>`}</section>
<section aria-labelledby="h-refunds"><h2 id="h-refunds">${t('order.refunds')}</h2>${refunds}</section>
<section aria-labelledby="h-webhooks"><h2 id="h-webhooks">${t('order.webhooks')}</h2>${webhooks}</section>
<section aria-labelledby="h-attempts"><h2 id="h-attempts">${t('order.attempts')}</h2>${attempts}</section>`)
}

export function refundConfirmPage(v: View, opts: { order: MerchantOrder, amountFen: number, amount: string, reason: string, formKey: string }): Html {
  const { t } = v
  const o = opts.order
  const amount = money(v, opts.amountFen)
  return layout(v, t('refund.confirmTitle'), h`<p><a href="${orderPath(o.orderNo)}">← ${o.orderNo}</a></p>
<h1>${t('refund.confirmTitle')}</h1>
<form method="post" action="${orderPath(o.orderNo)}/refund" class="card">
${csrfField(v)}
<input type="hidden" name="amount" value="${opts.amount}">
<input type="hidden" name="reason" value="${opts.reason}">
<input type="hidden" name="formKey" value="${opts.formKey}">
<p class="summary">${t('refund.confirmText', { amount, orderNo: o.orderNo })}</p>
<dl><dt>${t('col.subject')}</dt><dd>${o.subject}</dd><dt>${t('col.amount')}</dt><dd>${money(v, o.amountFen)}</dd><dt>${t('order.remaining')}</dt><dd>${money(v, remainingFen(o))}</dd>${opts.reason ? h`<dt>${t('col.reason')}</dt><dd>${opts.reason}</dd>` : ''}</dl>
<div class="row"><button type="submit" class="danger">${t('refund.confirm', { amount })}</button><a class="button secondary" href="${orderPath(o.orderNo)}">${t('refund.cancel')}</a></div>
</form>`)
}

export function closeConfirmPage(v: View, opts: { order: MerchantOrder }): Html {
  const { t } = v
  const o = opts.order
  return layout(v, t('close.confirmTitle'), h`<p><a href="${orderPath(o.orderNo)}">← ${o.orderNo}</a></p>
<h1>${t('close.confirmTitle')}</h1>
<form method="post" action="${orderPath(o.orderNo)}/close" class="card">
${csrfField(v)}
<p class="summary">${t('close.confirmText', { orderNo: o.orderNo, amount: money(v, o.amountFen) })}</p>
<dl><dt>${t('col.subject')}</dt><dd>${o.subject}</dd><dt>${t('col.status')}</dt><dd>${orderBadge(v, o.status)}</dd></dl>
<div class="row"><button type="submit" class="danger">${t('close.confirm')}</button><a class="button secondary" href="${orderPath(o.orderNo)}">${t('refund.cancel')}</a></div>
</form>`)
}

export function errorPage(v: View, opts: { message: string, back?: string }): Html {
  const { t } = v
  return layout(v, t('error.title'), h`<h1>${t('error.title')}</h1>
<p class="error" role="alert">${opts.message}</p>
<p><a href="${opts.back ?? '/console'}">${opts.back ? t('nav.back') : t('order.back')}</a></p>`)
}
