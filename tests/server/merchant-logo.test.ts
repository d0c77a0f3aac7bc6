import type { TestServer } from '../helpers/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startTestServer } from '../helpers/server'

describe('the merchant logo in the order view', () => {
  let withLogo: TestServer
  let without: TestServer
  beforeAll(async () => {
    ;[withLogo, without] = await Promise.all([
      startTestServer({ env: { MERCHANT_LOGO_URL: 'https://cdn.example.com/logo.svg' } }),
      startTestServer(),
    ])
  })
  afterAll(async () => {
    for (const s of [withLogo, without]) {
      await s.close()
      removeDir(s.dataDir)
    }
  })

  it('the order view (GET /api/orders/{no}) carries MERCHANT_LOGO_URL as merchantLogoUrl, and leaves it out when unset', async () => {
    for (const [server, logo] of [[withLogo, 'https://cdn.example.com/logo.svg'], [without, undefined]] as const) {
      const created = await server.call('POST', '/api/demo/orders', { body: {} })
      expect(created.status).toBe(201)
      const order = await server.call('GET', `/api/orders/${created.json.orderNo as string}`)
      expect(order.status).toBe(200)
      expect(order.json.merchantLogoUrl).toBe(logo)
      expect('merchantLogoUrl' in order.json).toBe(logo !== undefined)
    }
  })
})
