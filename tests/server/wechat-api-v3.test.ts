/**
 * The WeChat Pay API v3 transport (server/providers/wechat/api-v3.ts) on the answers that are not a plain success:
 * each kind of refusal, an answer that fails verification in each way wechatpay-axios-plugin names, a body that is not
 * JSON, an unreachable or silent server. Requests and their signatures are checked field by field in
 * live-wechat-requests.test.ts.
 */
import type { CannedReply, CaptureServer } from '../helpers/capture-server'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signResponse } from '../../sandbox/wechat/crypto'
import { createApiV3 } from '../../server/providers/wechat/api-v3'
import { startCaptureServer } from '../helpers/capture-server'

const pem = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
const merchant = pem()
const platform = pem()
const other = pem()
const SERIAL = 'PUB_KEY_ID_0114232134912410000000000000000000'

let reply: () => CannedReply = () => ({ status: 200 })
let server: CaptureServer
let silent: net.Server
let silentOrigin: string

function api(baseUrl = server.origin, timeoutMs = 2000) {
  return createApiV3({
    mchId: '1230000109',
    serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    privateKeyPem: merchant.privateKey,
    verifierKeys: new Map([[SERIAL, createPublicKey(platform.publicKey)]]),
    baseUrl,
    timeoutMs,
    headers: { 'Wechatpay-Serial': SERIAL },
  })
}

function signed(status: number, body: string, opts: { key?: string, serial?: string, timestamp?: number } = {}): CannedReply {
  return { status, headers: { 'Content-Type': 'application/json', ...signResponse(body, opts.key ?? platform.privateKey, opts.serial ?? SERIAL, { timestamp: opts.timestamp }) }, body }
}

beforeAll(async () => {
  server = await startCaptureServer(() => reply())
  // Reads what it is sent and never answers (reading, it sees the client hang up, and can close).
  silent = net.createServer(socket => socket.resume())
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  silentOrigin = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
})

afterAll(async () => {
  await server.close()
  await new Promise(resolve => silent.close(resolve))
})

describe('weChat Pay API v3 answers', () => {
  it('a verified answer is read as JSON; a verified 204 is undefined', async () => {
    reply = () => signed(200, '{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}')
    expect(await api().call('POST', 'v3/pay/transactions/native', { a: 1 })).toEqual({ code_url: 'weixin://wxpay/bizpayurl?pr=abc' })
    reply = () => signed(204, '')
    expect(await api().call('POST', 'v3/pay/transactions/out-trade-no/T1/close', { mchid: '1230000109' })).toBeUndefined()
  })

  it('refusals carry WeChat\'s code: 404 not_found, 400 rejected, 429 and 5xx unavailable', async () => {
    const refusal = (status: number, code: string) => () => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, message: `${code} message` }) })
    reply = refusal(404, 'ORDER_NOT_EXIST')
    await expect(api().call('GET', 'v3/pay/transactions/out-trade-no/T1?mchid=1')).rejects.toMatchObject({ kind: 'not_found', providerCode: 'ORDER_NOT_EXIST', httpStatus: 404 })
    reply = refusal(400, 'PARAM_ERROR')
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'rejected', providerCode: 'PARAM_ERROR', httpStatus: 400 })
    reply = refusal(429, 'FREQUENCY_LIMITED')
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'FREQUENCY_LIMITED' })
    reply = refusal(500, 'SYSTEM_ERROR')
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'SYSTEM_ERROR' })
    reply = () => ({ status: 502, body: '<html>bad gateway</html>' })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'HTTP_502' })
  })

  it('a success that fails verification is bad_signature, with the plugin\'s EV3_RES_* code for why', async () => {
    const body = '{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}'
    reply = () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'bad_signature', providerCode: 'EV3_RES_HEADERS_INCOMPLATE' })
    reply = () => signed(200, body, { timestamp: Math.floor(Date.now() / 1000) - 301 })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'bad_signature', providerCode: 'EV3_RES_HEADER_TIMESTAMP_OFFSET' })
    reply = () => signed(200, body, { serial: 'PUB_KEY_ID_UNKNOWN' })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'bad_signature', providerCode: 'EV3_RES_HEADER_PLATFORM_SERIAL' })
    reply = () => signed(200, body, { key: other.privateKey })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'bad_signature', providerCode: 'EV3_RES_HEADER_SIGNATURE_DIGEST' })
    // Signed over another body than the one that arrives.
    reply = () => ({ ...signed(200, body), body: body.replace('abc', 'abd') })
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'bad_signature', providerCode: 'EV3_RES_HEADER_SIGNATURE_DIGEST' })
  })

  it('a verified success whose body is not JSON is unavailable, not a crash further on', async () => {
    reply = () => signed(200, 'not json')
    await expect(api().call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'MALFORMED_RESPONSE' })
  })

  it('no server, or one that never answers within the timeout: unavailable', async () => {
    const closed = await startCaptureServer(() => ({ status: 200 }))
    await closed.close()
    await expect(api(closed.origin).call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'ECONNREFUSED' })
    await expect(api(silentOrigin, 300).call('POST', 'v3/pay/transactions/native', {})).rejects.toMatchObject({ kind: 'unavailable', providerCode: 'ETIMEDOUT' })
  })
})
