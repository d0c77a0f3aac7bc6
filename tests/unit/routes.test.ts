import { describe, expect, it } from 'vitest'
import { pageUrl } from '@/src/routes'

describe('page routes', () => {
  it('builds the URLs the pages read', () => {
    expect(pageUrl('checkout', { orderNo: 'O 1&x' })).toBe('/pages/checkout/checkout?orderNo=O%201%26x')
    expect(pageUrl('result', { orderNo: 'O1', from: 'pay' })).toBe('/pages/result/result?orderNo=O1&from=pay')
    expect(pageUrl('result', { orderNo: 'O1', from: undefined })).toBe('/pages/result/result?orderNo=O1')
    expect(pageUrl('index', {})).toBe('/pages/index/index')
  })
})
