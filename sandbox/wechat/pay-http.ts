/**
 * HTTP plumbing of the simulated WeChat Pay API v3: merchant request authentication and platform-signed
 * responses (every response, errors and 204 included, carries the Wechatpay-* headers and a Request-ID).
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import { randomHex } from '../core/ids'
import { verifyRequestSignature } from './crypto'

/** A WeChat Pay v3 error body. */
export interface WxApiError {
  status: number
  code: string
  message: string
  detail?: Record<string, unknown>
}

/** A response whose exact body text is signed with the platform key. `body` null = empty (204). */
export function wxSigned(ctx: SandboxContext, status: number, body: string | null): Response {
  const text = body ?? ''
  const headers = new Headers({
    ...ctx.wechatSigner.responseHeaders(text),
    'Request-ID': randomHex(16).toUpperCase(),
  })
  if (body !== null)
    headers.set('Content-Type', 'application/json; charset=utf-8')
  return new Response(body === null ? null : text, { status, headers })
}

/** A signed JSON response. */
export function wxJson(ctx: SandboxContext, status: number, value: unknown): Response {
  return wxSigned(ctx, status, JSON.stringify(value))
}

/** A signed `{code, message, detail?}` error response. */
export function wxError(ctx: SandboxContext, err: WxApiError): Response {
  const body: Record<string, unknown> = { code: err.code, message: err.message }
  if (err.detail)
    body.detail = err.detail
  return wxJson(ctx, err.status, body)
}

/** The path plus query exactly as the client sent it (the node request line when available). */
export function rawPathWithQuery(c: Context): string {
  // c.env holds the @hono/node-server bindings when served by node; it is absent in app.request() tests.
  const incoming = (c.env as { incoming?: { url?: unknown } } | undefined)?.incoming
  if (incoming && typeof incoming.url === 'string' && incoming.url.startsWith('/'))
    return incoming.url
  const url = new URL(c.req.url)
  return `${url.pathname}${url.search}`
}

/** An authenticated merchant call: the raw body text and the merchant id from the Authorization header. */
export interface MerchantCall {
  rawBody: string
  mchid: string
}

/**
 * Reads the raw body and verifies the merchant's Authorization header over METHOD, the raw path+query,
 * timestamp (±5 min), nonce and body with the merchant public key of that serial.
 * Returns the call, or a signed 401 SIGN_ERROR response.
 */
export async function authenticateMerchant(c: Context, ctx: SandboxContext): Promise<MerchantCall | Response> {
  const rawBody = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text()
  const wx = ctx.keys.wechat
  const result = verifyRequestSignature({
    authorization: c.req.header('Authorization'),
    method: c.req.method,
    url: rawPathWithQuery(c),
    body: rawBody,
    publicKeyPem: (serial, mchid) => (serial === wx.merchantSerial && mchid === wx.mchId ? wx.merchantPublicKeyPem : undefined),
  })
  if (!result.ok) {
    ctx.log({ path: c.req.path, reason: result.reason }, 'wechatpay: request signature rejected')
    return wxError(ctx, { status: 401, code: 'SIGN_ERROR', message: '签名错误', detail: { issue: result.reason } })
  }
  return { rawBody, mchid: result.auth.mchid }
}
