/**
 * The payment sandbox: protocol-faithful stand-ins for WeChat Pay API v3, WeChat OAuth and mini program login,
 * the Alipay OpenAPI gateway and web authorization, the customer-facing pages and JS bridges, and a control API.
 * Mount with `app.route('/sandbox', sandbox.app)`.
 * Every route is listed in ./README.md.
 */
import type { SandboxContext } from './context'
import type { Sandbox, SandboxOptions } from './types'
import { Hono } from 'hono'
import { alipayGateway, GATEWAY_PATH } from './alipay/gateway'
import { aliError, aliFailure } from './alipay/gateway-http'
import { AlipayNotifier } from './alipay/notifier'
import { alipayOauth } from './alipay/oauth'
import { alipayPages } from './alipay/pages'
import { alipayBridgePart, bridgeRoute } from './bridge'
import { controlApi } from './control-api'
import { defaultFaults } from './core/faults'
import { SandboxStore } from './store'
import { WechatNotifier } from './wechat/notifier'
import { wechatOauth } from './wechat/oauth'
import { wechatPages } from './wechat/pages'
import { wechatPayApi } from './wechat/pay-api'
import { wxError } from './wechat/pay-http'
import { WechatSigner, wechatSignerControl } from './wechat/signer'

export type { Sandbox, SandboxFaults, SandboxKeys, SandboxOptions } from './types'

/** Creates the sandbox app (routes relative to its mount point), its live fault settings, and close(). */
export function createSandbox(options: SandboxOptions): Sandbox {
  const ctx: SandboxContext = {
    keys: options.keys,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    timeScale: options.timeScale,
    h5Domain: options.h5Domain,
    faults: defaultFaults(),
    wechatSigner: new WechatSigner(options.keys.wechat, options.wechatSigner ?? 'public_key'),
    random: options.random ?? Math.random,
    store: new SandboxStore(),
    log: (obj, msg) => {
      try {
        options.log?.(obj, msg)
      }
      catch {}
    },
  }
  const notifier = new WechatNotifier(ctx)
  const alipayNotifier = new AlipayNotifier(ctx)

  const app = new Hono()
  app.use('/wechatpay/v3/*', ctx.wechatSigner.middleware)
  app.route('/', wechatSignerControl(ctx.wechatSigner, ctx))
  app.route('/', wechatPayApi(ctx, notifier))
  app.route('/', wechatOauth(ctx))
  app.route('/', wechatPages(ctx))
  app.route('/', alipayGateway(ctx, alipayNotifier))
  app.route('/', alipayOauth(ctx))
  app.route('/', alipayPages(ctx))
  app.route('/', controlApi(ctx, notifier, alipayNotifier))
  app.route('/', bridgeRoute([alipayBridgePart]))
  app.onError((err, c) => {
    ctx.log({ err: String(err), path: c.req.path }, 'sandbox: unhandled error')
    if (c.req.path.includes('/wechatpay/v3/'))
      return wxError(ctx, { status: 500, code: 'SYSTEM_ERROR', message: '系统错误' })
    if (c.req.path.endsWith(GATEWAY_PATH))
      return aliFailure(ctx, 'error', aliError('20000', 'isp.unknow-error', '系统繁忙'), true)
    return c.json({ error: 'internal sandbox error' }, 500)
  })

  return {
    app,
    faults: ctx.faults,
    close: async () => {
      await Promise.all([notifier.close(), alipayNotifier.close()])
    },
  }
}
