/**
 * `GET /bridge.js`: stand-ins for the JS bridges that in-app browsers inject. The script is assembled from parts:
 * a shared prelude (finds the sandbox control API from the script's own URL) plus one part per provider.
 * Each part is a function body run with `sandboxPost(path, body) → Promise<json>` in scope.
 */
import { Hono } from 'hono'

/** One provider's bridge: plain browser JavaScript using `sandboxPost`. */
export interface BridgePart {
  name: string
  js: string
}

const PRELUDE = `var sandboxScript = document.currentScript;
var sandboxSrc = sandboxScript && sandboxScript.src;
// Loaded by a <script src> tag: the API sits next to this file. Injected inline: same origin, /sandbox/api/.
function sandboxApi() {
  return new URL('api/', sandboxSrc || (location.origin + '/sandbox/bridge.js')).href;
}
function sandboxPost(path, body) {
  return Promise.resolve().then(function () {
    return fetch(sandboxApi() + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'include', body: JSON.stringify(body) });
  }).then(function (r) { return r.json() });
}
function sandboxOutcome(provider, fallback) {
  var choice = window.__sandboxBridge && window.__sandboxBridge[provider];
  return typeof choice === 'string' ? choice : fallback;
}`

/**
 * WeixinJSBridge: `invoke('getBrandWCPayRequest', params, cb)` POSTs to `api/wechat/jsapi` with the outcome chosen by
 * `window.__sandboxBridge.wechat` ('ok' | 'cancel' | 'fail'); the callback gets `{err_msg[, err_desc]}`.
 * `WeixinJSBridgeReady` is dispatched on document asynchronously after definition.
 */
export const wechatBridgePart: BridgePart = {
  name: 'WeixinJSBridge',
  js: `if (!window.WeixinJSBridge) {
  var handlers = {};
  window.WeixinJSBridge = {
    invoke: function (name, params, cb) {
      var done = typeof cb === 'function' ? cb : function () {};
      if (name !== 'getBrandWCPayRequest') {
        setTimeout(function () { done({ err_msg: name + ':fail not supported by the sandbox' }) }, 0);
        return;
      }
      var body = Object.assign({}, params, { outcome: sandboxOutcome('wechat', 'ok') });
      sandboxPost('wechat/jsapi', body)
        .then(function (res) { done(res) })
        .catch(function (e) { done({ err_msg: 'get_brand_wcpay_request:fail', err_desc: String(e && e.message || e) }) });
    },
    on: function (name, fn) { handlers[name] = fn },
    call: function (name) { if (name === 'closeWindow') { try { window.close() } catch (e) {} } }
  };
  setTimeout(function () { document.dispatchEvent(new Event('WeixinJSBridgeReady')) }, 0);
}`,
}

/**
 * AlipayJSBridge: `call('tradePay', {tradeNO}, cb)` POSTs to `api/alipay/trade-pay` with the resultCode chosen by
 * `window.__sandboxBridge.alipay` ('9000' default | '8000' | '4000' | '6001' | '6002' | '6004'); the callback gets
 * `{resultCode, memo, result, callbackUrl}`. 9000 pays the trade; 8000 and 6004 pay it too (the payment went through
 * but the app cannot tell: the page must query); 4000, 6001 and 6002 leave it unpaid.
 * `AlipayJSBridgeReady` is dispatched on document on the next tick.
 */
export const alipayBridgePart: BridgePart = {
  name: 'AlipayJSBridge',
  js: `if (!window.AlipayJSBridge) {
  window.AlipayJSBridge = {
    call: function (name, params, cb) {
      var done = typeof cb === 'function' ? cb : typeof params === 'function' ? params : function () {};
      if (name !== 'tradePay') {
        setTimeout(function () { done({ error: 1, errorMessage: name + ' is not supported by the sandbox' }) }, 0);
        return;
      }
      var p = params && typeof params === 'object' ? params : {};
      sandboxPost('alipay/trade-pay', { tradeNO: p.tradeNO, resultCode: sandboxOutcome('alipay', '9000') })
        .then(function (res) { done(res) })
        .catch(function (e) { done({ resultCode: '6002', memo: String(e && e.message || e), result: '', callbackUrl: '' }) });
    }
  };
  setTimeout(function () { document.dispatchEvent(new Event('AlipayJSBridgeReady')) }, 0);
}`,
}

/** Concatenates the prelude and the parts into one self-contained script. */
export function buildBridgeScript(parts: readonly BridgePart[]): string {
  const body = parts.map(p => `// --- ${p.name} ---\n(function () {\n${p.js}\n})();`).join('\n')
  return `/* uni-cashier payment sandbox: simulated in-app JS bridges */\n(function () {\n'use strict';\n${PRELUDE}\n${body}\n})();\n`
}

/**
 * Route serving the bridge script. The parts served, in order:
 * - wechatBridgePart (WeixinJSBridge)
 * - `extraParts`, in order (the sandbox passes alipayBridgePart). Both bridges are always defined: the page's
 *   user agent decides which one the cashier uses.
 */
export function bridgeRoute(extraParts: readonly BridgePart[] = []): Hono {
  const app = new Hono()
  const script = buildBridgeScript([wechatBridgePart, ...extraParts])
  app.get('/bridge.js', c => c.body(script, 200, { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' }))
  return app
}
