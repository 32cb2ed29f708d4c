/**
 * Finding 10, first half: NUL bytes in string inputs gave 500s (PostgreSQL refuses them). Now every
 * string in a body, query or path parameter is checked for control characters before validation
 * (400 INVALID_INPUT naming the field). The second half (the error log) is error-log.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

const json = (payload: unknown) => ({
  payload: JSON.stringify(payload),
  headers: { 'content-type': 'application/json' },
})

describe('control characters in input', () => {
  it('refuses a NUL byte in the sign-in e-mail with 400 INVALID_INPUT naming the field', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      ...json({ email: 'alice\u0000@demo.bulwark', password: 'whatever-long-enough' }),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.email' } })
    expect(response.json().message).toContain('body.email')
    expect(response.json().message).toContain('U+0000')
  })

  it('refuses control characters in a query string, a path parameter and an object key', async () => {
    const query = await t.app.inject({ url: '/api/por/rounds?page=%01' })
    expect(query.statusCode).toBe(400)
    expect(query.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'query.page' } })

    const param = await t.app.inject({ url: '/api/por/rounds/a%00b/commitment' })
    expect(param.statusCode).toBe(400)
    expect(param.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'params.id' } })

    const key = await t.app.inject({
      method: 'POST',
      url: '/api/guard/address',
      ...json({ to: '0x0000000000000000000000000000000000000001', 'known\u0085': [] }),
    })
    expect(key.statusCode).toBe(400)
    expect(key.json()).toMatchObject({ code: 'INVALID_INPUT', details: { character: 'U+0085' } })
  })

  it('refuses a line break in a single-line field, also deep in an array', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/guard/domains',
      ...json({ inputs: ['bulwark.example', 'evil.example\nFAKE LOG LINE'] }),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.inputs.1' } })
  })

  it('accepts line breaks in a field the route declares multi-line, but never a NUL', async () => {
    const signIn =
      'bulwark.example wants you to sign in with your Ethereum account:\n0xabc\n\nURI: https://bulwark.example'
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      ...json({ method: 'eth_sign', message: signIn }),
    })
    expect(ok.statusCode).toBe(200)
    const nul = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      ...json({ method: 'eth_sign', message: `${signIn}\u0000` }),
    })
    expect(nul.statusCode).toBe(400)
    expect(nul.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.message' } })
  })

  it('lets line breaks through only in the fields routes declare multi-line, NUL nowhere', async () => {
    const analyst = (await t.createStaff('risk_analyst')).session
    const support = (await t.createStaff('support')).session
    const customer = (await t.createCustomer('multi')).session
    const id = '00000000-0000-4000-8000-000000000000'
    const declared = [
      { url: `/api/risk/cases/${id}/notes`, session: analyst, body: (v: string) => ({ body: v }) },
      {
        url: `/api/p2p/staff/disputes/${id}`,
        session: support,
        body: (v: string) => ({ outcome: 'refund', note: v }),
      },
      { url: `/api/p2p/orders/${id}/appeal`, session: customer, body: (v: string) => ({ reason: v }) },
      { url: '/api/p2p/ads', session: customer, body: (v: string) => ({ terms: v }) },
    ]
    const refusedByHygiene = (r: { json(): { details?: { character?: string } } }) =>
      r.json().details?.character !== undefined
    for (const route of declared) {
      const send = (value: string) =>
        t.app.inject({
          method: 'POST',
          url: route.url,
          headers: { ...route.session.headers, 'content-type': 'application/json' },
          payload: JSON.stringify(route.body(value)),
        })
      const multiLine = await send('Paid by bank transfer.\r\nReference:\tABC-123\nThank you')
      expect(refusedByHygiene(multiLine), `${route.url}: ${multiLine.body}`).toBe(false)
      // Past authentication and the hygiene check: the route itself answered (404 for the made-up id).
      expect([401, 403], `${route.url}: ${multiLine.body}`).not.toContain(multiLine.statusCode)
      expect(multiLine.statusCode, `${route.url}: ${multiLine.body}`).toBeLessThan(500)
      const nul = await send('Paid\u0000')
      expect(nul.statusCode, `${route.url}: ${nul.body}`).toBe(400)
      expect(refusedByHygiene(nul), `${route.url}: ${nul.body}`).toBe(true)
    }
  })

  it('checks the caller first: an anonymous request with a NUL gets 401, not a hint about the body', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      ...json({ email: '\u0000' }),
    })
    expect(response.statusCode).toBe(401)
  })
})
