/**
 * Customer-facing WeChat Pay pages, relative to the sandbox mount:
 *   GET /wechatpay/h5/checkmweb?prepay_id&package&redirect_url   the H5 middle page (wx.tenpay.com stand-in)
 *   GET /wechatpay/scan?code_url=…                                 "scan with WeChat" stand-in for Native QR codes
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import type { WxOrder } from './types'
import { Hono } from 'hono'
import { escapeHtml, messagePage, page, scriptJson, yuan } from '../core/html'
import { refreshState } from './orders'

/** The mount prefix (e.g. `/sandbox`) of a request to `suffix`. */
function mountPrefix(c: Context, suffix: string): string {
  const path = c.req.path
  return path.endsWith(suffix) ? path.slice(0, path.length - suffix.length) : ''
}

/** True when `url`'s host (with or without port) is the configured H5 payment domain. */
function onH5Domain(url: string | undefined, h5Domain: string): boolean {
  if (!url)
    return false
  try {
    const u = new URL(url)
    return u.host === h5Domain || u.hostname === h5Domain
  }
  catch {
    return false
  }
}

function orderCard(order: WxOrder): string {
  return `<div class="card">
<p class="desc">${escapeHtml(order.description)}</p>
<p class="amount" aria-label="金额 ${escapeHtml(yuan(order.amountTotal))}">${escapeHtml(yuan(order.amountTotal))}</p>
<p class="en">Order ${escapeHtml(order.outTradeNo)}</p>
</div>`
}

const BUTTONS = `<button type="button" class="primary" id="pay">确认支付 <span class="en">Pay</span></button>
<button type="button" class="secondary" id="cancel">取消 <span class="en">Cancel</span></button>
<p class="status" id="status" role="status" aria-live="polite"></p>`

/** Client script shared by both pages: POST a selector to the control API, then run `after`. */
function actionScript(api: string, selector: Record<string, string>, after: { paid: string, cancelled: string }): string {
  return `(function(){
var api=${scriptJson(api)},sel=${scriptJson(selector)};
var status=document.getElementById('status'),pay=document.getElementById('pay'),cancel=document.getElementById('cancel');
function post(path){return fetch(api+path,{method:'POST',headers:{'Content-Type':'application/json'},credentials:'same-origin',body:JSON.stringify(sel)}).then(function(r){return r.json().then(function(b){if(!r.ok)throw new Error(b.error||('HTTP '+r.status));return b})})}
function busy(on){pay.disabled=on;cancel.disabled=on}
pay.addEventListener('click',function(){busy(true);status.textContent='支付中… Paying…';post('/pay').then(function(){status.textContent='支付成功 Payment complete';${after.paid}}).catch(function(e){status.textContent='支付失败 Payment failed: '+e.message;busy(false)})});
cancel.addEventListener('click',function(){busy(true);post('/cancel').catch(function(){}).then(function(){status.textContent='已取消 Cancelled';${after.cancelled}})});
})()`
}

/** Routes of the customer-facing pages. */
export function wechatPages(ctx: SandboxContext): Hono {
  const app = new Hono()

  app.get('/wechatpay/h5/checkmweb', (c) => {
    const { prepay_id: prepayId = '', package: pkg = '', redirect_url: redirectUrl } = c.req.query()
    const order = ctx.store.wxOrders.by('prepayId', prepayId)
    if (!order || order.kind !== 'h5')
      return c.html(messagePage('订单不存在或链接无效', 'Unknown order or invalid link'))
    if (!onH5Domain(c.req.header('Referer'), ctx.h5Domain) || (redirectUrl !== undefined && !onH5Domain(redirectUrl, ctx.h5Domain)))
      return c.html(messagePage('商家参数格式有误，请联系商家解决', 'Merchant parameters are invalid (Referer / redirect_url is not on the H5 payment domain)'))
    if (/MicroMessenger\//i.test(c.req.header('User-Agent') ?? ''))
      return c.html(messagePage('请在微信外打开订单，进行支付', 'Open this order outside WeChat to pay'))
    if (prepayId !== order.prepayId || pkg !== order.h5Package || (order.h5ExpiresAt !== undefined && Date.now() > order.h5ExpiresAt))
      return c.html(messagePage('支付链接已过期，请返回商家重新发起支付', 'This payment link has expired; go back to the merchant and try again'))
    const state = refreshState(order)
    if (state === 'SUCCESS')
      return c.html(messagePage('该订单已支付', 'This order has already been paid'))
    if (state === 'CLOSED')
      return c.html(messagePage('订单已关闭', 'This order is closed'))
    const api = `${mountPrefix(c, '/wechatpay/h5/checkmweb')}/api/wechat`
    const back = redirectUrl ? `location.replace(${scriptJson(redirectUrl)})` : 'history.back()'
    return c.html(page('微信支付', `${orderCard(order)}${BUTTONS}`, actionScript(api, { h5_prepay_id: prepayId, package: pkg }, { paid: back, cancelled: back })))
  })

  app.get('/wechatpay/scan', (c) => {
    const codeUrl = c.req.query('code_url') ?? ''
    const order = ctx.store.wxOrders.by('codeUrl', codeUrl)
    if (!order)
      return c.html(messagePage('二维码无效', 'Unknown or invalid QR code'), 404)
    const state = refreshState(order)
    if (state === 'SUCCESS')
      return c.html(messagePage('该订单已支付', 'This order has already been paid'))
    if (state === 'CLOSED')
      return c.html(messagePage('订单已关闭', 'This order is closed'))
    if (codeUrl !== order.codeUrl || Date.now() > order.prepayExpiresAt)
      return c.html(messagePage('二维码已过期', 'This QR code has expired'))
    const api = `${mountPrefix(c, '/wechatpay/scan')}/api/wechat`
    const intro = '<p>用微信扫一扫 <span class="en">You scanned the merchant\'s QR code with WeChat</span></p>'
    return c.html(page('微信支付', `${intro}${orderCard(order)}${BUTTONS}`, actionScript(api, { code_url: codeUrl }, { paid: '', cancelled: '' })))
  })

  return app
}
