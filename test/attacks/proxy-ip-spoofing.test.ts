/**
 * ASVS 4.1.3 gap found by the mapping: with TRUST_PROXY=true Fastify trusted every hop, so a client
 * could write its own address into X-Forwarded-For and pass per-IP limits and API-key IP
 * allowlists. `true` now means the one nearest proxy: the address it saw is the client's IP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/platform/config.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ TRUST_PROXY: 'true' })
})
afterAll(async () => {
  await t.close()
})

describe('the client address behind a reverse proxy', () => {
  it('is the address the nearest proxy saw, not one the client wrote into X-Forwarded-For', async () => {
    const { email } = await t.createCustomer('behind-proxy')
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' },
      payload: { email, password: TEST_PASSWORD },
    })
    expect(signedIn.statusCode).toBe(200)
    const cookie = (signedIn.cookies as Array<{ name: string; value: string }>)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
    const devices = await t.app.inject({ method: 'GET', url: '/api/accounts/devices', headers: { cookie } })
    const ips = (devices.json() as { devices: Array<{ ip: string; current: boolean }> }).devices
      .filter((d) => d.current)
      .map((d) => d.ip)
    expect(ips).toEqual(['203.0.113.7'])
  })

  it('reads TRUST_PROXY as off, a hop count, or proxy addresses, and refuses anything else', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1)
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ])
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/)
  })
})
