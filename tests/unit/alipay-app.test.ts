import { describe, expect, it } from 'vitest'
import { payWithAlipayApp, tradePayOutcome } from '@/src/pay/drivers/alipay-app'

describe('tradePay result codes', () => {
  it.each([
    ['9000', 'submitted'],
    ['8000', 'unknown'],
    ['6004', 'unknown'],
    ['6001', 'cancelled'],
    ['99', 'cancelled'],
    ['4000', 'failed'],
    ['6002', 'failed'],
    [undefined, 'failed'],
  ])('%s → %s (never paid: the server decides)', (code, status) => {
    expect(tradePayOutcome({ resultCode: code }).status).toBe(status)
  })

  it('6002 is a network failure, 4000 a provider one', () => {
    expect(tradePayOutcome({ resultCode: '6002' }).error?.type).toBe('network')
    expect(tradePayOutcome({ resultCode: '4000', memo: '余额不足' }).error).toMatchObject({ type: 'provider', message: '余额不足' })
  })

  it('waits for AlipayJSBridgeReady, then calls tradePay with the tradeNO', async () => {
    const listeners: Array<() => void> = []
    const host: Parameters<typeof payWithAlipayApp>[1] = {
      document: { addEventListener: (_: string, l: () => void) => void listeners.push(l), removeEventListener: () => {} } as unknown as Document,
    }
    const calls: unknown[] = []
    const paying = payWithAlipayApp('2026112322001', host)
    host.AlipayJSBridge = { call: (name, params, cb) => {
      calls.push([name, params])
      cb({ resultCode: '9000' })
    } }
    listeners.forEach(l => l())
    expect(await paying).toEqual({ status: 'submitted' })
    expect(calls).toEqual([['tradePay', { tradeNO: '2026112322001' }]])
  })

  it('reports a missing bridge as unsupported after the timeout', async () => {
    const outcome = await payWithAlipayApp('1', { document: { addEventListener: () => {}, removeEventListener: () => {} } }, 20)
    expect(outcome).toMatchObject({ status: 'failed', error: { type: 'unsupported' } })
  })
})
