import { describe, expect, it } from 'vitest'
import { fenToYuanString, formatFen, yuanStringToFen } from '@/contract/money'
import { formatDateTime, safeLinkUrl } from '@/src/format/time'
import { pickLocale } from '@/src/i18n'
import { en, zhHans } from '@/src/i18n/messages'
import { clockOffsetMs, formatCountdown, remainingMs } from '@/src/pay/qr-clock'

describe('money in integer fen', () => {
  it.each([
    [1, '¥0.01'],
    [10, '¥0.10'],
    [12345, '¥123.45'],
    [123456789, '¥1,234,567.89'],
    [-250, '-¥2.50'],
  ])('%i fen → %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text)
  })

  it('refuses fractional fen', () => {
    expect(() => formatFen(1.5)).toThrow(TypeError)
  })

  it('converts to and from Alipay\'s yuan strings without floating point', () => {
    expect(fenToYuanString(1)).toBe('0.01')
    expect(fenToYuanString(1230)).toBe('12.30')
    expect(fenToYuanString(10_000_000_000)).toBe('100000000.00')
    expect(yuanStringToFen('0.1')).toBe(10)
    expect(yuanStringToFen('12.30')).toBe(1230)
    expect(yuanStringToFen('0.29')).toBe(29)
    for (const bad of ['1.001', '01.00', '-1', '1e3', '', ' 1', '1.'])
      expect(yuanStringToFen(bad), bad).toBeNull()
  })
})

describe('qR countdown', () => {
  it('corrects for a phone clock that is off', () => {
    const receivedAt = Date.parse('2026-11-23T08:00:00Z')
    // The server says it is 08:02 while the phone says 08:00: the phone is 2 minutes slow.
    const offset = clockOffsetMs('2026-11-23T08:02:00Z', receivedAt)
    expect(offset).toBe(120_000)
    expect(remainingMs('2026-11-23T08:07:00Z', offset, receivedAt)).toBe(300_000)
    expect(remainingMs('2026-11-23T08:01:00Z', offset, receivedAt)).toBe(0)
  })

  it('formats minutes and hours', () => {
    expect(formatCountdown(299_001)).toBe('5:00')
    expect(formatCountdown(59_000)).toBe('0:59')
    expect(formatCountdown(7_199_000)).toBe('1:59:59')
  })
})

describe('text', () => {
  it('every zh-Hans message has an English one and vice versa', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhHans).sort())
    for (const [k, v] of Object.entries(en))
      expect(v, k).toMatch(/\S/)
  })

  it('picks English only for English tags', () => {
    expect(pickLocale('en-US')).toBe('en')
    expect(pickLocale('zh-CN')).toBe('zh-Hans')
    expect(pickLocale('zh-Hant-TW')).toBe('zh-Hans')
    expect(pickLocale(undefined)).toBe('zh-Hans')
  })

  it('never turns a hostile return URL into a link', () => {
    expect(safeLinkUrl('javascript:alert(1)')).toBeUndefined()
    expect(safeLinkUrl('//evil.example')).toBeUndefined()
    expect(safeLinkUrl('https://shop.example.com/orders/1')).toBe('https://shop.example.com/orders/1')
    expect(formatDateTime('not a date')).toBe('')
  })
})
