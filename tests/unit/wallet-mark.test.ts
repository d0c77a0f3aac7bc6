import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '../..')
const component = readFileSync(path.join(root, 'components/WalletMark.vue'), 'utf8')

describe('the wallet marks inlined for H5', () => {
  it.each([['wechat', 'wechat-pay.svg'], ['alipay', 'alipay.svg']])('.%s is static/marks/%s', (cls, file) => {
    const inlined = new RegExp(`\\.${cls} \\{ background-image: url\\("data:image/svg\\+xml,([^"]+)"\\); \\}`).exec(component)?.[1]
    expect(inlined, `.${cls} in components/WalletMark.vue`).toBeDefined()
    const svg = readFileSync(path.join(root, 'static/marks', file), 'utf8').trim().replaceAll('"', '\'')
    expect(decodeURIComponent(inlined!)).toBe(svg)
  })
})
