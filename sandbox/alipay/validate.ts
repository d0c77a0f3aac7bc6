/**
 * biz_content validation of the trade methods, with Alipay-style errors:
 * a missing required field → 40001 isv.missing-parameter; a malformed value → 40004 ACQ.INVALID_PARAMETER;
 * an amount over the limit → 40004 ACQ.TOTAL_FEE_EXCEED; biz_content not a JSON object → 40002 isv.invalid-parameter.
 */
import type { AliError } from './gateway-http'
import type { AliTradeKind } from './store'
import { yuanStringToFen } from '../../contract/money'
import { aliError } from './gateway-http'
import { parseBeijingDateTime } from './ids'

/** Upper bound of total_amount: 100000000 yuan in fen. */
const MAX_FEN = 100_000_000 * 100
/** The longest timeout_express Alipay accepts (15d). */
const MAX_TIMEOUT_MS = 15 * 24 * 3600_000

const PRODUCT_CODES: Record<AliTradeKind, { required: boolean, allowed: readonly string[], fallback: string }> = {
  wap: { required: true, allowed: ['QUICK_WAP_WAY'], fallback: 'QUICK_WAP_WAY' },
  precreate: { required: false, allowed: ['FACE_TO_FACE_PAYMENT'], fallback: 'FACE_TO_FACE_PAYMENT' },
  create: { required: false, allowed: ['FACE_TO_FACE_PAYMENT', 'JSAPI_PAY'], fallback: 'FACE_TO_FACE_PAYMENT' },
}

/** A validated trade request. */
export interface ValidTradeBiz {
  outTradeNo: string
  totalAmount: string
  amountFen: number
  subject: string
  body?: string
  productCode: string
  /** From time_expire or timeout_express; undefined means the sandbox default. */
  timeExpireMs?: number
  quitUrl?: string
  passbackParams?: string
  buyerId?: string
  buyerOpenId?: string
}

const invalid = (field: string, why: string): AliError => aliError('40004', 'ACQ.INVALID_PARAMETER', `参数无效: ${field} ${why}`)
const missing = (field: string): AliError => aliError('40001', 'isv.missing-parameter', `缺少必选参数 ${field}`)

/** Parses biz_content into an object, or the 40002 error. */
export function parseBizContent(params: Record<string, string>): Record<string, unknown> | AliError {
  const raw = params.biz_content
  if (raw === undefined || raw === '')
    return aliError('40001', 'isv.missing-parameter', '缺少必选参数 biz_content')
  try {
    const v: unknown = JSON.parse(raw)
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>
  }
  catch {}
  return aliError('40002', 'isv.invalid-parameter', 'biz_content 不是合法的 JSON 对象')
}

/** An optional string field (numbers are accepted and stringified, as Alipay's JSON parser does). */
function optStr(biz: Record<string, unknown>, field: string, max: number): string | undefined | AliError {
  const v = biz[field]
  if (v === undefined || v === null || v === '')
    return undefined
  if (typeof v !== 'string' && typeof v !== 'number')
    return invalid(field, '必须是字符串')
  const s = String(v)
  return s.length > max ? invalid(field, `长度不能超过 ${max}`) : s
}

function isErr(v: unknown): v is AliError {
  return typeof v === 'object' && v !== null && 'sub_code' in v
}

/** A usable absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value)
    return u.protocol === 'http:' || u.protocol === 'https:'
  }
  catch {
    return false
  }
}

/** `90m`, `2h`, `15d`, `1c` → ms from `now` (1c = until midnight Beijing time); null when malformed or out of range. */
function timeoutExpressMs(value: string, now: number): number | null {
  if (value === '1c') {
    const beijingDay = Math.floor((now + 8 * 3600_000) / 86_400_000)
    return (beijingDay + 1) * 86_400_000 - 8 * 3600_000 - now
  }
  const m = /^([1-9]\d{0,4})([mhd])$/.exec(value)
  if (!m)
    return null
  const ms = Number(m[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']
  return ms <= MAX_TIMEOUT_MS ? ms : null
}

/** Validates the biz_content of wap.pay / precreate / create (buyer existence is checked by the caller). */
export function validateTradeBiz(kind: AliTradeKind, biz: Record<string, unknown>, now = Date.now()): ValidTradeBiz | AliError {
  const outTradeNo = optStr(biz, 'out_trade_no', 64)
  if (isErr(outTradeNo))
    return outTradeNo
  if (outTradeNo === undefined)
    return missing('out_trade_no')
  if (!/^[\w-]+$/.test(outTradeNo))
    return invalid('out_trade_no', '只能包含字母、数字、下划线')

  const totalRaw = biz.total_amount
  if (totalRaw === undefined || totalRaw === null || totalRaw === '')
    return missing('total_amount')
  if (typeof totalRaw !== 'string' && typeof totalRaw !== 'number')
    return invalid('total_amount', '必须是金额字符串')
  const totalAmount = String(totalRaw)
  const amountFen = /^\d+(?:\.\d{1,2})?$/.test(totalAmount) ? yuanStringToFen(totalAmount.replace(/^0+(?=\d)/, '')) : null
  if (amountFen === null)
    return invalid('total_amount', `${totalAmount} 格式错误，单位为元，精确到小数点后两位`)
  if (amountFen < 1)
    return invalid('total_amount', '取值范围 [0.01,100000000]')
  if (amountFen > MAX_FEN)
    return aliError('40004', 'ACQ.TOTAL_FEE_EXCEED', '订单金额超过限额 (total_amount > 100000000)')

  const subject = optStr(biz, 'subject', 256)
  if (isErr(subject))
    return subject
  if (subject === undefined)
    return missing('subject')
  if (/[/=&]/.test(subject))
    return invalid('subject', '不可包含特殊字符 / = &')

  const spec = PRODUCT_CODES[kind]
  const productCode = optStr(biz, 'product_code', 64)
  if (isErr(productCode))
    return productCode
  if (productCode === undefined && spec.required)
    return missing('product_code')
  if (productCode !== undefined && !spec.allowed.includes(productCode))
    return invalid('product_code', `${productCode} 不支持此接口 (expected ${spec.allowed.join(' or ')})`)
  // JSAPI_PAY is the mini program product: it names the mini program the cashier opens in (AlipayTradeCreateModel).
  if (kind === 'create' && productCode === 'JSAPI_PAY') {
    const opAppId = optStr(biz, 'op_app_id', 32)
    if (isErr(opAppId))
      return opAppId
    if (opAppId === undefined)
      return missing('op_app_id')
  }

  const body = optStr(biz, 'body', 128)
  if (isErr(body))
    return body
  const passbackParams = optStr(biz, 'passback_params', 512)
  if (isErr(passbackParams))
    return passbackParams

  let timeExpireMs: number | undefined
  const timeExpire = optStr(biz, 'time_expire', 32)
  if (isErr(timeExpire))
    return timeExpire
  if (timeExpire !== undefined) {
    const ms = parseBeijingDateTime(timeExpire)
    if (ms === null)
      return invalid('time_expire', '格式必须为 yyyy-MM-dd HH:mm:ss')
    if (ms <= now)
      return invalid('time_expire', '已过期 (time_expire is in the past)')
    timeExpireMs = ms
  }
  const timeoutExpress = optStr(biz, 'timeout_express', 8)
  if (isErr(timeoutExpress))
    return timeoutExpress
  if (timeoutExpress !== undefined) {
    const ms = timeoutExpressMs(timeoutExpress, now)
    if (ms === null)
      return invalid('timeout_express', '取值范围 1m～15d 或 1c')
    timeExpireMs = Math.min(timeExpireMs ?? Number.POSITIVE_INFINITY, now + ms)
  }

  let quitUrl: string | undefined
  if (kind === 'wap') {
    const q = optStr(biz, 'quit_url', 400)
    if (isErr(q))
      return q
    if (q !== undefined && !isHttpUrl(q))
      return invalid('quit_url', '必须是 http(s) 地址')
    quitUrl = q
  }

  let buyerId: string | undefined
  let buyerOpenId: string | undefined
  if (kind === 'create') {
    const id = optStr(biz, 'buyer_id', 28)
    if (isErr(id))
      return id
    const openId = optStr(biz, 'buyer_open_id', 128)
    if (isErr(openId))
      return openId
    if (id === undefined && openId === undefined)
      return missing('buyer_id 或 buyer_open_id')
    if (id !== undefined && !/^2088\d{12}$/.test(id))
      return invalid('buyer_id', '必须是 2088 开头的 16 位数字')
    buyerId = id
    buyerOpenId = openId
  }

  return { outTradeNo, totalAmount, amountFen, subject, body, productCode: productCode ?? spec.fallback, timeExpireMs, quitUrl, passbackParams, buyerId, buyerOpenId }
}

/** notify_url / return_url: optional common parameters, absolute http(s) URLs when present. */
export function checkCallbackUrls(params: Record<string, string>): AliError | null {
  for (const name of ['notify_url', 'return_url']) {
    const v = params[name]
    if (v !== undefined && v !== '' && !isHttpUrl(v))
      return aliError('40002', 'isv.invalid-parameter', `${name} 必须是 http(s) 地址`)
  }
  return null
}
