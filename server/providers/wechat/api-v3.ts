import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Buffer } from 'node:buffer'
import { createPrivateKey, sign, verify } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { Formatter } from 'wechatpay-axios-plugin'
import { ProviderError } from '../errors'

/** How far a signed answer's Wechatpay-Timestamp may be from our clock (wechatpay-axios-plugin's MAXIMUM_CLOCK_OFFSET). */
const MAX_CLOCK_OFFSET_S = 300

export interface ApiV3Options {
  mchId: string
  /** Serial of the merchant's API certificate, named in the Authorization header. */
  serial: string
  privateKeyPem: string
  /** The keys answers are verified with, by the Wechatpay-Serial they arrive with. */
  verifierKeys: Map<string, KeyObject>
  /** The API's origin (https://api.mch.weixin.qq.com or the sandbox's). */
  baseUrl: string
  timeoutMs: number
  /** Sent with every request (Wechatpay-Serial). */
  headers: Record<string, string>
}

export interface ApiV3 {
  /** A signed call; resolves to the verified answer's JSON (undefined for 204), rejects with a ProviderError. */
  call: <T>(method: 'GET' | 'POST', path: string, body?: object) => Promise<T>
}

const keepAlive = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) }

/** SHA256withRSA in libuv's thread pool: the event loop goes on serving while the key works. */
function signAsync(message: string, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(message), key, (err, signature) => err ? reject(err) : resolve(signature.toString('base64')))
  })
}

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

function send(url: URL, method: string, headers: Record<string, string>, payload: string, timeoutMs: number): Promise<Answer> {
  const transport = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, agent: url.protocol === 'https:' ? keepAlive.https : keepAlive.http, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload || undefined)
  })
}

/** Why a 2xx answer fails verification, with wechatpay-axios-plugin's codes; undefined when it verifies. */
function verificationFailure(answer: Answer, keys: Map<string, KeyObject>): { code: string, message: string } | undefined {
  const h = (name: string) => {
    const v = answer.headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  const timestamp = h('wechatpay-timestamp')
  const nonce = h('wechatpay-nonce')
  const serial = h('wechatpay-serial')
  const signature = h('wechatpay-signature')
  if (!timestamp || !nonce || !serial || !signature)
    return { code: 'EV3_RES_HEADERS_INCOMPLATE', message: 'the answer lacks a Wechatpay-Nonce, -Serial, -Signature or -Timestamp header' }
  if (!(Math.abs(Date.now() / 1000 - Number(timestamp)) <= MAX_CLOCK_OFFSET_S))
    return { code: 'EV3_RES_HEADER_TIMESTAMP_OFFSET', message: `Wechatpay-Timestamp ${timestamp} is more than ${MAX_CLOCK_OFFSET_S} s off` }
  const key = keys.get(serial)
  if (!key)
    return { code: 'EV3_RES_HEADER_PLATFORM_SERIAL', message: `no key for Wechatpay-Serial ${serial} (known: ${[...keys.keys()].join(', ')})` }
  if (!verify('sha256', Buffer.from(Formatter.response(timestamp, nonce, answer.body)), key, Buffer.from(signature, 'base64')))
    return { code: 'EV3_RES_HEADER_SIGNATURE_DIGEST', message: 'Wechatpay-Signature does not verify' }
  return undefined
}

function parseJson(body: string): unknown {
  try {
    return body ? JSON.parse(body) : undefined
  }
  catch {
    return undefined
  }
}

/** A non-2xx answer as a ProviderError: 404 not_found, 429 and 5xx unavailable, any other refusal rejected. */
function refusal(answer: Answer): ProviderError {
  const data = parseJson(answer.body) as { code?: string, message?: string } | undefined
  const code = data?.code ?? `HTTP_${answer.status}`
  const message = data?.message ?? `HTTP ${answer.status}`
  if (answer.status === 404)
    return new ProviderError('not_found', code, message, answer.status)
  if (answer.status >= 500 || answer.status === 429)
    return new ProviderError('unavailable', code, `WeChat Pay unavailable: ${message}`, answer.status)
  return new ProviderError('rejected', code, `WeChat Pay refused the request: ${code} ${message}`, answer.status)
}

/**
 * WeChat Pay API v3 calls (https://pay.weixin.qq.com/doc/v3/merchant/4012365342): every request signed with the
 * merchant key (Authorization: WECHATPAY2-SHA256-RSA2048 …, formatted by wechatpay-axios-plugin's Formatter), every
 * 2xx answer verified by its Wechatpay-Serial before it is read, as wechatpay-axios-plugin's verifier does and with
 * its EV3_RES_* codes; refusals are not signed-checked (the plugin does not either) and carry WeChat's code.
 */
export function createApiV3(opts: ApiV3Options): ApiV3 {
  const privateKey = createPrivateKey(opts.privateKeyPem)
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`
  return {
    async call<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
      const url = new URL(path, base)
      const payload = body === undefined ? '' : JSON.stringify(body)
      const nonce = Formatter.nonce()
      const timestamp = Formatter.timestamp()
      let answer: Answer
      try {
        const signature = await signAsync(Formatter.request(method, `${url.pathname}${url.search}`, timestamp, nonce, payload), privateKey)
        const headers: Record<string, string> = {
          'Accept': 'application/json, text/plain, application/x-gzip',
          'User-Agent': 'uni-cashier',
          ...opts.headers,
          'Authorization': Formatter.authorization(opts.mchId, nonce, signature, timestamp, opts.serial),
        }
        if (payload) {
          headers['Content-Type'] = 'application/json; charset=utf-8'
          headers['Content-Length'] = String(Buffer.byteLength(payload))
        }
        answer = await send(url, method, headers, payload, opts.timeoutMs)
      }
      catch (e) {
        const err = e as Error & { code?: string }
        const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError'
        throw new ProviderError('unavailable', timedOut ? 'ETIMEDOUT' : (err.code ?? 'NETWORK'), `WeChat Pay unavailable: ${timedOut ? `no answer within ${opts.timeoutMs} ms` : err.message}`)
      }
      if (answer.status < 200 || answer.status >= 300)
        throw refusal(answer)
      const failure = verificationFailure(answer, opts.verifierKeys)
      if (failure)
        throw new ProviderError('bad_signature', failure.code, `WeChat Pay response failed verification: ${failure.message}`, answer.status)
      const data = parseJson(answer.body)
      if (data === undefined && answer.body !== '')
        throw new ProviderError('unavailable', 'MALFORMED_RESPONSE', `WeChat Pay answered HTTP ${answer.status} with a body that is not JSON`, answer.status)
      return data as T
    },
  }
}
