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

/** Concatenates the prelude and the parts into one self-contained script. */
export function buildBridgeScript(parts: readonly BridgePart[]): string {
  const body = parts.map(p => `// --- ${p.name} ---\n(function () {\n${p.js}\n})();`).join('\n')
  return `/* uni-cashier payment sandbox: simulated in-app JS bridges */\n(function () {\n'use strict';\n${PRELUDE}\n${body}\n})();\n`
}

/**
 * Route serving the bridge script. The parts served, in order:
 * - wechatBridgePart (WeixinJSBridge)
 * - AlipayJSBridge: pass its BridgePart in `extraParts` (it plugs in next to the WeChat one).
 */
export function bridgeRoute(extraParts: readonly BridgePart[] = []): Hono {
  const app = new Hono()
  const script = buildBridgeScript([wechatBridgePart, ...extraParts])
  app.get('/bridge.js', c => c.body(script, 200, { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' }))
  return app
}
