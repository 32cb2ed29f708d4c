/**
 * Throws random and malformed bodies, headers and query strings at every route, signed in and not,
 * and asserts the server never answers 5xx: a client's mistake is never a server error.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

let t: TestApp
let admin: TestSession
let customer: TestSession
beforeAll(async () => {
  t = await createTestApp()
  admin = (await t.createStaff('security_admin')).session
  customer = (await t.createCustomer('fuzz')).session
})
afterAll(async () => {
  await t.close()
})

const weirdString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%00',
    '../..',
    "' or 1=1 --",
    '<script>',
    '\u0000',
    '9'.repeat(400),
    '-1',
    'NaN',
    '1e309',
    '😀',
  ),
)
const jsonValue = fc.jsonValue({ maxDepth: 3 })
const body = fc.oneof(
  jsonValue.map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })),
  fc
    .record({ email: weirdString, password: weirdString, role: weirdString, token: weirdString })
    .map((v) => ({
      payload: JSON.stringify(v),
      contentType: 'application/json',
    })),
  fc.string({ maxLength: 200 }).map((s) => ({ payload: s, contentType: 'application/json' })),
  fc.string({ maxLength: 200 }).map((s) => ({ payload: s, contentType: 'text/plain' })),
  fc.constant({ payload: '', contentType: 'application/x-www-form-urlencoded' }),
)

describe('robustness', () => {
  // Every route gets the same number of random requests, so none is left unexercised however many
  // routes the domains add; a failure prints the seed to replay it (FUZZ_SEED=…).
  const RUNS_PER_ROUTE = 5
  it('never answers 5xx to random input on any route', { timeout: 600_000 }, async () => {
    const routes = t.app.routeTable.filter((r) => !r.url.startsWith('/docs'))
    expect(routes.length).toBeGreaterThan(5)
    const fill = (url: string, value: string) =>
      url.replace(/:[A-Za-z]+/g, encodeURIComponent(value) || 'x').replace('*', 'x')
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          weirdString,
          fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), weirdString, { maxKeys: 4 }),
          body,
          fc.constantFrom('none', 'admin', 'customer'),
          fc.dictionary(
            fc.constantFrom('x-csrf-token', 'user-agent', 'accept', 'x-forwarded-for', 'cookie'),
            weirdString,
            { maxKeys: 2 },
          ),
          async (param, query, b, who, extraHeaders) => {
            const session = who === 'admin' ? admin : who === 'customer' ? customer : undefined
            const headers: Record<string, string> = { ...extraHeaders, ...(session?.headers ?? {}) }
            const withBody = route.method !== 'GET' && route.method !== 'DELETE'
            if (withBody) headers['content-type'] = b.contentType
            const response = await t.app.inject({
              method: route.method as 'GET',
              url: fill(route.url, param),
              query,
              headers,
              ...(withBody ? { payload: b.payload } : {}),
            })
            if (response.statusCode >= 500) {
              throw new Error(`${route.method} ${route.url} -> ${response.statusCode} ${response.body}`)
            }
          },
        ),
        { numRuns: RUNS_PER_ROUTE, seed },
      )
    }
  })
})
