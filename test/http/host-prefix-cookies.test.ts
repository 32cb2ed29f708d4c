/**
 * ASVS 3.3.1 / 3.3.3: with COOKIE_SECURE=true the session, CSRF and device cookies carry the
 * `__Host-` prefix (Secure, Path=/, no Domain), so a sibling subdomain or an http page cannot plant
 * or overwrite them; only the prefixed names are read. Without it (plain http, where browsers refuse
 * `__Host-`) the names stay as they were.
 */
import type { Response as Reply } from 'light-my-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../src/platform/identity/users.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

type Cookie = { name: string; value: string; path?: string; domain?: string; secure?: boolean }
const cookiesOf = (r: Reply) => r.cookies as Cookie[]

let secure: TestApp
let plain: TestApp
beforeAll(async () => {
  secure = await createTestApp({ COOKIE_SECURE: 'true' })
  plain = await createTestApp()
})
afterAll(async () => {
  await secure.close()
  await plain.close()
})

async function signInFresh(t: TestApp, name: string) {
  const email = `${name}@test.bulwark`
  await createUser(t.db, { email, displayName: name, kind: 'customer', password: TEST_PASSWORD })
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/auth/signin',
    payload: { email, password: TEST_PASSWORD },
  })
  expect(response.statusCode).toBe(200)
  return response
}

describe('cookie names with COOKIE_SECURE=true', () => {
  it('sets __Host- session, CSRF and device cookies: Secure, Path=/, no Domain', async () => {
    const cookies = cookiesOf(await signInFresh(secure, 'host-prefix'))
    const names = cookies.map((c) => c.name)
    expect(names).toContain('__Host-bulwark_session')
    expect(names).toContain('__Host-bulwark_csrf')
    expect(names).toContain('__Host-bulwark_device')
    expect(names.filter((n) => n.startsWith('bulwark_'))).toEqual([])
    for (const cookie of cookies) {
      expect(cookie.name.startsWith('__Host-')).toBe(true)
      expect(cookie.secure).toBe(true)
      expect(cookie.path).toBe('/')
      expect(cookie.domain).toBeUndefined()
    }
  })

  it('reads only the prefixed name: the same token under the old name is not a session', async () => {
    const cookies = cookiesOf(await signInFresh(secure, 'host-read'))
    const token = cookies.find((c) => c.name === '__Host-bulwark_session')!.value
    const csrf = cookies.find((c) => c.name === '__Host-bulwark_csrf')!.value
    const me = (cookie: string) =>
      secure.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })
    expect((await me(`__Host-bulwark_session=${token}`)).statusCode).toBe(200)
    expect((await me(`bulwark_session=${token}`)).statusCode).toBe(401)
    const signout = await secure.app.inject({
      method: 'POST',
      url: '/api/auth/signout',
      headers: { cookie: `__Host-bulwark_session=${token}`, 'x-csrf-token': csrf },
    })
    expect(signout.statusCode).toBe(204)
    const cleared = cookiesOf(signout).map((c) => c.name)
    expect(cleared).toEqual(expect.arrayContaining(['__Host-bulwark_session', '__Host-bulwark_csrf']))
  })

  it('sends HSTS for a year with subdomains on every response, and none without COOKIE_SECURE', async () => {
    for (const url of ['/health', '/api/meta', '/']) {
      const r = await secure.app.inject({ method: 'GET', url })
      expect(r.headers['strict-transport-security'], url).toMatch(/max-age=31536000; includeSubDomains/)
      const p = await plain.app.inject({ method: 'GET', url })
      expect(p.headers['strict-transport-security'], url).toBeUndefined()
    }
  })

  it('keeps the unprefixed names without COOKIE_SECURE', async () => {
    const names = cookiesOf(await signInFresh(plain, 'plain-names')).map((c) => c.name)
    expect(names).toEqual(expect.arrayContaining(['bulwark_session', 'bulwark_csrf']))
    expect(names.some((n) => n.startsWith('__Host-'))).toBe(false)
  })
})
