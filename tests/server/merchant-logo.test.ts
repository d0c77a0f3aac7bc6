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

  it('the cashier\'s pages may load images from the logo\'s https origin, and from nowhere else new', async () => {
    // The cashier's page (dist/build/h5) carries the policy.
    for (const [server, img] of [[withLogo, 'img-src \'self\' data: blob: https://cdn.example.com;'], [without, 'img-src \'self\' data: blob:;']] as const) {
      const res = await server.call('GET', '/')
      expect(res.headers.get('content-security-policy') ?? '').toContain(img)
    }
  })
})
