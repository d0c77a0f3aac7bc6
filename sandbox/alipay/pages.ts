/**
 * Customer-facing Alipay pages, relative to the sandbox mount:
 *   GET|POST /alipay/gateway.do?method=alipay.trade.wap.pay…   the WAP cashier (rendered by the gateway, see wapCashierPage)
 *   GET /alipay/scan?qr_code=…                                  "scanned with Alipay" stand-in for precreate QR codes
 * Both pay or cancel through the control API (`/api/alipay/pay`, `/api/alipay/cancel`).
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { AliTrade } from './store'
import { Hono } from 'hono'
import { fenToYuanString } from '../../contract/money'
import { escapeHtml, scriptJson } from '../core/html'
import { alipayMessagePage, alipayPage } from './html'
import { refreshStatus } from './trades'

/** The mount prefix (e.g. `/sandbox`) of a request to `suffix`. */
function mountPrefix(c: Context, suffix: string): string {
  const path = c.req.path
  return path.endsWith(suffix) ? path.slice(0, path.length - suffix.length) : ''
}

function tradeCard(trade: AliTrade): string {
  const amount = `¥${fenToYuanString(trade.amountFen)}`
  return `<div class="card">
<p class="desc">${escapeHtml(trade.subject)}</p>
<p class="amount" aria-label="金额 ${escapeHtml(amount)}">${escapeHtml(amount)}</p>
<p class="en">Order ${escapeHtml(trade.outTradeNo)}</p>
</div>`
}

const BUTTONS = `<button type="button" class="primary" id="pay">确认付款 <span class="en">Pay</span></button>
<button type="button" class="secondary" id="cancel">取消 <span class="en">Cancel</span></button>
<p class="status" id="status" role="status" aria-live="polite"></p>`

/** Client script: POST the selector to the control API; after paying follow `return_url`, after cancelling `quit_url`. */
function actionScript(api: string, selector: Record<string, string>): string {
  return `(function(){
var api=${scriptJson(api)},sel=${scriptJson(selector)};
var status=document.getElementById('status'),pay=document.getElementById('pay'),cancel=document.getElementById('cancel');
function post(path){return fetch(api+path,{method:'POST',headers:{'Content-Type':'application/json'},credentials:'same-origin',body:JSON.stringify(sel)}).then(function(r){return r.json().then(function(b){if(!r.ok)throw new Error(b.error||('HTTP '+r.status));return b})})}
function busy(on){pay.disabled=on;cancel.disabled=on}
pay.addEventListener('click',function(){busy(true);status.textContent='付款中… Paying…';post('/pay').then(function(b){status.textContent='付款成功 Payment complete';if(b.return_url)location.replace(b.return_url)}).catch(function(e){status.textContent='付款失败 Payment failed: '+e.message;busy(false)})});
cancel.addEventListener('click',function(){busy(true);post('/cancel').catch(function(){return {}}).then(function(b){status.textContent='已取消 Cancelled';if(b&&b.quit_url)location.replace(b.quit_url);else busy(false)})});
})()`
}

/** A message page for a trade that can no longer be paid, or null when it can. */
function unpayable(trade: AliTrade): string | null {
  const status = refreshStatus(trade)
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
    return alipayMessagePage('该订单已支付', 'This order has already been paid')
  if (status === 'TRADE_CLOSED')
    return alipayMessagePage('交易已关闭', 'This trade is closed')
  return null
}

/** The WAP cashier for a wap.pay trade, served at the gateway URL itself (`suffix` is the gateway path). */
export function wapCashierPage(c: Context, trade: AliTrade, suffix: string): string {
  const blocked = unpayable(trade)
  if (blocked)
    return blocked
  const api = `${mountPrefix(c, suffix)}/api/alipay`
  return alipayPage('支付宝 - 网上支付 安全快速！', `${tradeCard(trade)}${BUTTONS}`, actionScript(api, { out_trade_no: trade.outTradeNo }))
}

/** Routes of the scan page. */
export function alipayPages(ctx: SandboxContext): Hono {
  const app = new Hono()

  app.get('/alipay/scan', (c) => {
    const qrCode = c.req.query('qr_code') ?? ''
    const trade = ctx.store.alipay.trades.by('qrCode', qrCode)
    if (!trade)
      return c.html(alipayMessagePage('二维码无效', 'Unknown or invalid QR code'), 404)
    const blocked = unpayable(trade)
    if (blocked)
      return c.html(blocked)
    const api = `${mountPrefix(c, '/alipay/scan')}/api/alipay`
    const intro = '<p>用支付宝扫一扫 <span class="en">You scanned the merchant\'s QR code with Alipay</span></p>'
    return c.html(alipayPage('支付宝', `${intro}${tradeCard(trade)}${BUTTONS}`, actionScript(api, { qr_code: qrCode })))
  })

  return app
}
