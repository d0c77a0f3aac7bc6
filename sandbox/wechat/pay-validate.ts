/**
 * Validation of WeChat Pay v3 order bodies (JSAPI / H5 / Native) the way the real API answers:
 * 400 PARAM_ERROR naming the field, APPID_MCHID_NOT_MATCH, and the payer.openid ↔ appid binding.
 */
import type { SandboxContext } from '../context'
import type { WxApiError } from './pay-http'
import type { ValidOrderBody, WxTradeKind } from './types'

type Obj = Record<string, unknown>

/** `out_trade_no`: 6–32 of [0-9a-zA-Z_-|*]. */
export const OUT_TRADE_NO_RE = /^[\w\-|*]{6,32}$/
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/
const H5_TYPES = ['iOS', 'Android', 'Wap']

function paramError(field: string, message: string, value?: unknown): WxApiError {
  const detail: Record<string, unknown> = { field, location: 'body' }
  if (value !== undefined)
    detail.value = value
  return { status: 400, code: 'PARAM_ERROR', message: `${message} (${field})`, detail }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A string field of `obj` within [min, max] characters; `path` names it in errors (e.g. `payer.openid`). */
function str(obj: Obj, field: string, min: number, max: number, required: boolean, path = field): string | undefined | WxApiError {
  const v = obj[field]
  if (v === undefined || v === null)
    return required ? paramError(path, `缺少参数 ${path}`) : undefined
  if (typeof v !== 'string')
    return paramError(path, `${path} 必须是字符串`, v)
  const len = [...v].length
  if (len < min || len > max)
    return paramError(path, `${path} 长度须在 ${min} 到 ${max} 之间`, v)
  return v
}

function isErr(v: unknown): v is WxApiError {
  return isObj(v) && typeof v.code === 'string' && typeof v.status === 'number'
}

/** A notify_url must be an absolute http(s) URL without query string or fragment. */
function notifyUrlProblem(url: string): string | null {
  if (url.includes('?'))
    return 'notify_url 不能携带参数'
  if (url.includes('#'))
    return 'notify_url 不能包含片段'
  try {
    const u = new URL(url)
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      return 'notify_url 必须以 https:// 或 http:// 开头'
  }
  catch {
    return 'notify_url 必须是绝对地址'
  }
  return null
}

/**
 * Validates an order body for `kind`. Returns the fields, or the error WeChat would answer with.
 * `mchid` is the merchant id from the (verified) Authorization header.
 */
export function validateOrderBody(ctx: SandboxContext, kind: WxTradeKind, body: unknown, mchid: string): ValidOrderBody | WxApiError {
  if (!isObj(body))
    return { status: 400, code: 'PARAM_ERROR', message: '请求体必须是 JSON 对象 (body must be a JSON object)' }

  const appid = str(body, 'appid', 1, 32, true)
  if (isErr(appid))
    return appid
  const bodyMchid = str(body, 'mchid', 1, 32, true)
  if (isErr(bodyMchid))
    return bodyMchid
  const description = str(body, 'description', 1, 127, true)
  if (isErr(description))
    return description
  const outTradeNo = str(body, 'out_trade_no', 6, 32, true)
  if (isErr(outTradeNo))
    return outTradeNo
  if (!OUT_TRADE_NO_RE.test(outTradeNo!))
    return paramError('out_trade_no', 'out_trade_no 只能是数字、大小写字母_-|*', outTradeNo)
  const attach = str(body, 'attach', 1, 128, false)
  if (isErr(attach))
    return attach
  const goodsTag = str(body, 'goods_tag', 1, 32, false)
  if (isErr(goodsTag))
    return goodsTag

  const notifyUrl = str(body, 'notify_url', 1, 255, true)
  if (isErr(notifyUrl))
    return notifyUrl
  const urlProblem = notifyUrlProblem(notifyUrl!)
  if (urlProblem)
    return paramError('notify_url', urlProblem, notifyUrl)

  let timeExpireMs: number | undefined
  const timeExpire = str(body, 'time_expire', 1, 64, false)
  if (isErr(timeExpire))
    return timeExpire
  if (timeExpire !== undefined) {
    timeExpireMs = Date.parse(timeExpire)
    if (!RFC3339_RE.test(timeExpire) || Number.isNaN(timeExpireMs))
      return paramError('time_expire', 'time_expire 必须是 RFC 3339 格式，如 2018-06-08T10:34:56+08:00', timeExpire)
  }

  const amount = body.amount
  if (!isObj(amount))
    return paramError('amount', '缺少参数 amount')
  const total = amount.total
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 1)
    return paramError('amount.total', 'amount.total 必须是大于等于 1 的整数（单位：分）', total)
  const currency = amount.currency ?? 'CNY'
  if (currency !== 'CNY')
    return paramError('amount.currency', 'amount.currency 仅支持 CNY', currency)

  let payerOpenid: string | undefined
  if (kind === 'jsapi') {
    const payer = body.payer
    if (!isObj(payer))
      return paramError('payer', '缺少参数 payer')
    const openid = str(payer, 'openid', 1, 128, true, 'payer.openid')
    if (isErr(openid))
      return openid
    payerOpenid = openid
  }

  let deviceId: string | undefined
  let payerClientIp: string | undefined
  const scene = body.scene_info
  if (scene !== undefined || kind === 'h5') {
    if (!isObj(scene))
      return paramError('scene_info', '缺少参数 scene_info')
    if (typeof scene.payer_client_ip !== 'string' || scene.payer_client_ip === '')
      return paramError('scene_info.payer_client_ip', '缺少参数 scene_info.payer_client_ip')
    payerClientIp = scene.payer_client_ip
    if (typeof scene.device_id === 'string')
      deviceId = scene.device_id
    if (kind === 'h5') {
      const h5 = scene.h5_info
      if (!isObj(h5) || typeof h5.type !== 'string')
        return paramError('scene_info.h5_info.type', '缺少参数 scene_info.h5_info.type')
      if (!H5_TYPES.includes(h5.type))
        return paramError('scene_info.h5_info.type', 'scene_info.h5_info.type 只能是 iOS、Android 或 Wap', h5.type)
    }
  }

  const wx = ctx.keys.wechat
  const appidKnown = appid === wx.appId || appid === wx.miniProgramAppId
  if (bodyMchid !== wx.mchId || bodyMchid !== mchid || !appidKnown)
    return { status: 400, code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配，请检查后再试' }

  if (payerOpenid !== undefined && !ctx.store.isOpenidOf(payerOpenid, appid!))
    return paramError('payer.openid', '用户openid与appid不匹配 (openid was not issued for this appid)', payerOpenid)

  return {
    appid: appid!,
    mchid: bodyMchid!,
    description: description!,
    outTradeNo: outTradeNo!,
    notifyUrl: notifyUrl!,
    attach,
    amountTotal: total,
    currency,
    payerOpenid,
    deviceId,
    payerClientIp,
    timeExpireMs,
  }
}

/** Type guard for a validation failure. */
export function isApiError(v: ValidOrderBody | WxApiError): v is WxApiError {
  return isErr(v)
}
