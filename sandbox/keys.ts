/**
 * Sandbox key material: generated once into `${dataDir}/sandbox-keys.json` (mode 0600) and reloaded on later starts,
 * so the merchant server and a standalone sandbox process agree on every key and id.
 */
import type { SandboxKeys } from './types'
import { Buffer } from 'node:buffer'
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto'
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generatePlatformCertificate } from './wechat/signer'

export const SANDBOX_KEYS_FILE = 'sandbox-keys.json'

interface PemPair { privateKeyPem: string, publicKeyPem: string }

/** A fresh RSA-2048 pair, PKCS#8 private / SPKI public, both PEM. */
function rsaPair(): PemPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}

function digits(n: number): string {
  let s = ''
  for (let i = 0; i < n; i++)
    s += String(randomInt(10))
  return s
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function alnum(n: number): string {
  let s = ''
  for (let i = 0; i < n; i++)
    s += ALNUM[randomInt(ALNUM.length)]
  return s
}

/** Generates a complete, random set of sandbox keys and ids. */
export function generateSandboxKeys(): SandboxKeys {
  const merchant = rsaPair()
  const platform = rsaPair()
  const app = rsaPair()
  const alipay = rsaPair()
  return {
    wechat: {
      appId: `wx${hex(8)}`,
      appSecret: hex(16),
      miniProgramAppId: `wx${hex(8)}`,
      miniProgramSecret: hex(16),
      mchId: `19${digits(8)}`,
      merchantPrivateKeyPem: merchant.privateKeyPem,
      merchantPublicKeyPem: merchant.publicKeyPem,
      merchantSerial: hex(20).toUpperCase(),
      platformPrivateKeyPem: platform.privateKeyPem,
      platformPublicKeyPem: platform.publicKeyPem,
      platformPublicKeyId: `PUB_KEY_ID_${digits(32)}`,
      platformCertificate: generatePlatformCertificate(),
      apiV3Key: alnum(32),
    },
    alipay: {
      appId: `2021${digits(12)}`,
      appPrivateKeyPem: app.privateKeyPem,
      appPublicKeyPem: app.publicKeyPem,
      alipayPrivateKeyPem: alipay.privateKeyPem,
      alipayPublicKeyPem: alipay.publicKeyPem,
      sellerId: `2088${digits(12)}`,
    },
  }
}

const REQUIRED: { [S in keyof SandboxKeys]: Array<keyof SandboxKeys[S]> } = {
  wechat: ['appId', 'appSecret', 'miniProgramAppId', 'miniProgramSecret', 'mchId', 'merchantPrivateKeyPem', 'merchantPublicKeyPem', 'merchantSerial', 'platformPrivateKeyPem', 'platformPublicKeyPem', 'platformPublicKeyId', 'apiV3Key'],
  alipay: ['appId', 'appPrivateKeyPem', 'appPublicKeyPem', 'alipayPrivateKeyPem', 'alipayPublicKeyPem', 'sellerId'],
}

/** Throws with the first missing or non-string field. */
function assertSandboxKeys(value: unknown, file: string): asserts value is SandboxKeys {
  const root = value as Record<string, Record<string, unknown> | undefined> | null
  for (const section of Object.keys(REQUIRED) as Array<keyof SandboxKeys>) {
    for (const field of REQUIRED[section]) {
      const v = root?.[section]?.[field as string]
      if (typeof v !== 'string' || v === '')
        throw new Error(`${file}: ${section}.${String(field)} is missing; delete the file to regenerate the sandbox keys`)
    }
  }
  if (Buffer.byteLength((root as unknown as SandboxKeys).wechat.apiV3Key) !== 32)
    throw new Error(`${file}: wechat.apiV3Key must be 32 bytes`)
}

/**
 * Loads `${dataDir}/sandbox-keys.json`, or generates it on first run (directory created, file written atomically
 * with mode 0600). Returns the keys.
 */
export function ensureSandboxKeys(dataDir: string): SandboxKeys {
  const file = join(dataDir, SANDBOX_KEYS_FILE)
  if (existsSync(file))
    return loadKeys(file)
  mkdirSync(dataDir, { recursive: true })
  const keys = generateSandboxKeys()
  const tmp = `${file}.${process.pid}.${hex(4)}.tmp`
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  try {
    // link() fails when another process created the file first: both then use the same keys.
    linkSync(tmp, file)
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw err
    return loadKeys(file)
  }
  finally {
    unlinkSync(tmp)
  }
  return keys
}

function loadKeys(file: string): SandboxKeys {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
  assertSandboxKeys(parsed, file)
  return parsed
}
