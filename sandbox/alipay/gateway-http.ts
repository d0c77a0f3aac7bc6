/**
 * HTTP plumbing of the simulated Alipay gateway: reading the parameters (query string plus form body, as alipay-sdk
 * sends them), the common-parameter checks, request signature verification, and the signed `*_response` JSON.
 */
import type { Context } from 'hono'
import type { SandboxContext } from '../context'
import { rsaVerify } from '../core/rsa'
import { beijingDateTime, parseBeijingDateTime } from './ids'
import { buildSignedResponse, requestSignString, verifyRequest } from './sign'

/** A gateway answer other than success: the public code, its message and the detailed sub code. */
export interface AliError {
  code: '20000' | '40001' | '40002' | '40004' | '40006'
  msg: string
  sub_code: string
  sub_msg: string
}

const MSG: Record<AliError['code'], string> = {
  20000: 'Service Currently Unavailable',
  40001: 'Missing Required Arguments',
  40002: 'Invalid Arguments',
  40004: 'Business Failed',
  40006: 'Insufficient Permissions',
}

/** Builds an AliError with the standard `msg` of its public code. */
export function aliError(code: AliError['code'], subCode: string, subMsg: string): AliError {
  return { code, msg: MSG[code], sub_code: subCode, sub_msg: subMsg }
}

/** Type guard for an AliError. */
export function isAliError(v: unknown): v is AliError {
  return typeof v === 'object' && v !== null && 'sub_code' in v && 'code' in v && 'msg' in v
}

/** The methods the sandbox gateway implements. */
export const GATEWAY_METHODS = [
  'alipay.trade.wap.pay',
  'alipay.trade.precreate',
  'alipay.trade.create',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  'alipay.system.oauth.token',
] as const
export type GatewayMethod = typeof GATEWAY_METHODS[number]

/** Every parameter received: the query string, then the urlencoded or multipart form body (the body wins). */
export async function readGatewayParams(c: Context): Promise<Record<string, string>> {
  const params: Record<string, string> = {}
  for (const [k, v] of new URL(c.req.url).searchParams)
    params[k] = v
  if (c.req.method !== 'POST')
    return params
  const type = c.req.header('Content-Type') ?? ''
  if (type.includes('multipart/form-data')) {
    const form = await c.req.parseBody()
    for (const [k, v] of Object.entries(form)) {
      if (typeof v === 'string')
        params[k] = v
    }
    return params
  }
  const text = await c.req.text()
  if (text && !type.includes('json')) {
    for (const [k, v] of new URLSearchParams(text))
      params[k] = v
  }
  return params
}

/** How far the request timestamp may be from Beijing time (the simulator's choice; Alipay does not publish its window). */
export const TIMESTAMP_WINDOW_MS = 15 * 60_000

/** The common-parameter checks Alipay's gateway runs before the signature; null when they pass. */
export function checkCommonParams(ctx: SandboxContext, params: Record<string, string>): AliError | null {
  const missing = (name: string): AliError => aliError('40001', `isv.missing-${name}`, `缺少必选参数 ${name}`)
  if (!params.method)
    return missing('method')
  if (!params.app_id)
    return missing('app-id')
  if (params.app_id !== ctx.keys.alipay.appId)
    return aliError('40002', 'isv.invalid-app-id', `无效的AppID参数 (${params.app_id})`)
  if (!(GATEWAY_METHODS as readonly string[]).includes(params.method))
    return aliError('40002', 'isv.invalid-method', `不存在的方法名 ${params.method} (not implemented by the sandbox)`)
  if (!params.sign)
    return missing('signature')
  if (!params.sign_type)
    return missing('signature-type')
  if (params.sign_type !== 'RSA2')
    return aliError('40002', 'isv.invalid-signature-type', `无效的签名类型 ${params.sign_type} (only RSA2)`)
  if (!params.timestamp)
    return missing('timestamp')
  const sentAt = parseBeijingDateTime(params.timestamp)
  if (sentAt === null)
    return aliError('40002', 'isv.invalid-timestamp', '非法的时间戳参数 (timestamp must be yyyy-MM-dd HH:mm:ss)')
  // The timestamp is Beijing time (the official SDK's DATE_TIMEZONE is GMT+8): a server stamping its UTC clock is 8 h off.
  if (Math.abs(sentAt - Date.now()) > TIMESTAMP_WINDOW_MS)
    return aliError('40002', 'isv.invalid-timestamp', `非法的时间戳参数 (${params.timestamp} is more than ${TIMESTAMP_WINDOW_MS / 60_000} minutes from Beijing time ${beijingDateTime()})`)
  if (!params.version)
    return missing('version')
  if (params.version !== '1.0')
    return aliError('40002', 'isv.invalid-version', `无效的版本号 ${params.version}`)
  if (params.charset !== undefined && params.charset.toLowerCase() !== 'utf-8')
    return aliError('40002', 'isv.invalid-charset', `字符集错误 ${params.charset} (the sandbox only speaks utf-8)`)
  if (params.format !== undefined && params.format.toUpperCase() !== 'JSON')
    return aliError('40002', 'isv.invalid-format', `无效的数据格式 ${params.format}`)
  return null
}

/**
 * Verifies `sign` over every received parameter except `sign` (sign_type included) with the app public key.
 * The official rule drops empty values; alipay-sdk signs them too, so both strings are tried.
 */
export function verifyGatewaySign(params: Record<string, string>, appPublicKeyPem: string): boolean {
  if (verifyRequest(params, appPublicKeyPem))
    return true
  const keys = Object.keys(params).filter(k => k !== 'sign').sort()
  if (!keys.some(k => params[k] === ''))
    return false
  return rsaVerify(keys.map(k => `${k}=${params[k]}`).join('&'), params.sign ?? '', appPublicKeyPem)
}

/** The isv.invalid-signature error, showing the string the gateway verified (as Alipay does). */
export function invalidSignature(params: Record<string, string>): AliError {
  return aliError('40002', 'isv.invalid-signature', `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${requestSignString(params)}`)
}

/** JSON text like Alipay emits it: `/` escaped as `\/`. */
export function alipayJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/')
}

/**
 * The signed gateway response `{"<method>_response":{…},"sign":"…"}` (or `error_response` when `asError`),
 * the sign covering the inner JSON text byte for byte, made with the sandbox's Alipay private key.
 */
export function aliSigned(ctx: SandboxContext, method: string, inner: Record<string, unknown>, asError = false): Response {
  const text = buildSignedResponse(method, alipayJsonText(inner), ctx.keys.alipay.alipayPrivateKeyPem, asError ? 'error_response' : undefined)
  return new Response(text, { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' } })
}

/** A signed business success: code 10000 plus the method's fields. */
export function aliSuccess(ctx: SandboxContext, method: string, fields: Record<string, unknown>): Response {
  return aliSigned(ctx, method, { code: '10000', msg: 'Success', ...fields })
}

/** A signed failure in the method's own response object (business errors) or in `error_response` (gateway errors). */
export function aliFailure(ctx: SandboxContext, method: string, err: AliError, asError = false): Response {
  return aliSigned(ctx, method, { ...err }, asError)
}
