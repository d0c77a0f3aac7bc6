/**
 * Downloads the WeChat Pay platform certificates into a directory, one `wechatpay_<serial>.pem` each, for
 * WECHATPAY_PLATFORM_CERTS. Reads WECHATPAY_MCHID, WECHATPAY_SERIAL, WECHATPAY_PRIVATE_KEY_PATH, WECHATPAY_APIV3_KEY
 * and WECHATPAY_API_BASE (default https://api.mch.weixin.qq.com) from the environment (or .env).
 *
 *   npx tsx server/tools/download-platform-certificates.ts /etc/uni-cashier
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ProviderError } from '../providers/errors'
import { downloadPlatformCertificates } from '../providers/wechat/certificates'

async function main(): Promise<void> {
  if (existsSync('.env'))
    process.loadEnvFile('.env')
  const dir = process.argv[2]
  const need = (name: string): string => {
    const v = process.env[name]
    if (!v) {
      console.error(`${name} is required`)
      process.exit(64)
    }
    return v
  }
  if (!dir) {
    console.error('usage: download-platform-certificates.ts <directory>')
    process.exit(64)
  }
  const keyPath = need('WECHATPAY_PRIVATE_KEY_PATH')
  try {
    const certs = await downloadPlatformCertificates({
      mchId: need('WECHATPAY_MCHID'),
      serial: need('WECHATPAY_SERIAL'),
      privateKeyPem: keyPath.includes('-----BEGIN') ? keyPath : readFileSync(keyPath, 'utf8'),
      apiV3Key: need('WECHATPAY_APIV3_KEY'),
      baseUrl: process.env.WECHATPAY_API_BASE || 'https://api.mch.weixin.qq.com',
    })
    const files = certs.map((c) => {
      const file = path.join(dir, `wechatpay_${c.serial}.pem`)
      writeFileSync(file, c.pem, { mode: 0o644 })
      console.log(`${file}  serial ${c.serial}  valid to ${c.validTo.toISOString()}`)
      return file
    })
    console.log(`\nWECHATPAY_PLATFORM_CERTS=${files.join(',')}`)
  }
  catch (e) {
    console.error(e instanceof ProviderError ? `${e.providerCode}: ${e.message}` : e)
    process.exit(1)
  }
}

void main()
