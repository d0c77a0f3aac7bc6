import type { SandboxKeys } from '../../sandbox/types'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { aes256GcmEncrypt, randomNonce, signResponse } from '../../sandbox/wechat/crypto'

export interface TransactionFields {
  out_trade_no: string
  total: number
  currency?: string
  trade_state?: string
  mchid?: string
  appid?: string
}

/** A WeChat Pay v3 notification as WeChat sends it: encrypted resource, signed headers. */
export function craftNotification(keys: SandboxKeys, txn: TransactionFields, opts: { signWith?: string, timestamp?: number, signature?: string, eventId?: string } = {}): { headers: Record<string, string>, body: string } {
  const plaintext = JSON.stringify({
    appid: txn.appid ?? keys.wechat.appId,
    mchid: txn.mchid ?? keys.wechat.mchId,
    out_trade_no: txn.out_trade_no,
    transaction_id: `4200${randomBytes(12).toString('hex').replace(/\D/g, '').padEnd(24, '1').slice(0, 24)}`,
    trade_type: 'NATIVE',
    trade_state: txn.trade_state ?? 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-11-23T08:00:00+08:00',
    payer: { openid: 'oTEST' },
    amount: { total: txn.total, payer_total: txn.total, currency: txn.currency ?? 'CNY', payer_currency: txn.currency ?? 'CNY' },
  })
  const nonce = randomNonce(6).slice(0, 12)
  const body = JSON.stringify({
    id: opts.eventId ?? `EV-${randomBytes(8).toString('hex')}`,
    create_time: '2026-11-23T08:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: aes256GcmEncrypt(plaintext, keys.wechat.apiV3Key, nonce, 'transaction'), associated_data: 'transaction', nonce },
  })
  const headers: Record<string, string> = { ...signResponse(body, opts.signWith ?? keys.wechat.platformPrivateKeyPem, keys.wechat.platformPublicKeyId, { timestamp: opts.timestamp }) }
  if (opts.signature)
    headers['Wechatpay-Signature'] = opts.signature
  return { headers: { ...headers, 'content-type': 'application/json' }, body }
}

/** A private key WeChat never had. */
export function strangerKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}
