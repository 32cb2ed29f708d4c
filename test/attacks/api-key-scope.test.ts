/**
 * Finding 1 (critical): API-key restrictions were checked on the raw URL while the router decodes the
 * path, so `/api/%61ccounts/totp/setup` ran the accounts handler for any key and a `trade` key reached
 * `/api/v1/%77ithdrawal-check`. Authorisation now reads the matched route's declared `config.apiKey`.
 *
 * This walks every route of the OpenAPI document with a key of each scope and asserts the matrix
 * below, then walks again with percent-encoded, double-encoded, mixed-case, trailing-slash,
 * duplicate-slash and dot-segment spellings of every path: a spelling either matches no route (404)
 * or gets exactly the answer the canonical path gets.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signedHeaders, storeApiKey, type TestApiKey } from '../support/api-keys.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

/**
 * The routes an API key may call, with the permission each needs. Every other route in the API
 * refuses keys (deny by default). Changing a route's `config.apiKey` must change this table.
 */
const API_KEY_MATRIX: Record<string, 'read' | 'trade' | 'withdraw'> = {
  'GET /api/v1/account': 'read',
  'POST /api/v1/withdrawal-check': 'withdraw',
  'GET /api/por/rounds/{id}/my-proof': 'read',
  'GET /api/p2p/me': 'read',
  'GET /api/p2p/ads': 'read',
  'GET /api/p2p/ads/{id}': 'read',
  'POST /api/p2p/ads': 'trade',
  'PUT /api/p2p/ads/{id}': 'trade',
  'POST /api/p2p/ads/{id}/status': 'trade',
  'GET /api/p2p/my/ads': 'read',
  'POST /api/p2p/ads/{id}/orders': 'trade',
  'GET /api/p2p/orders': 'read',
  'GET /api/p2p/orders/{id}': 'read',
  'POST /api/p2p/orders/{id}/paid': 'trade',
  'POST /api/p2p/orders/{id}/cancel': 'trade',
  'POST /api/p2p/orders/{id}/appeal': 'trade',
  'POST /api/p2p/orders/{id}/release': 'withdraw',
  'GET /api/p2p/payment-details': 'read',
  'GET /api/p2p/orders/{id}/payment-details': 'read',
  'GET /api/p2p/orders/{id}/messages': 'read',
  'POST /api/p2p/orders/{id}/messages': 'trade',
  'GET /api/custody/balances': 'read',
  'GET /api/custody/movements': 'read',
  'GET /api/custody/deposit-address': 'read',
  'GET /api/custody/deposits': 'read',
  'POST /api/custody/withdrawals': 'withdraw',
  'GET /api/custody/withdrawals': 'read',
  'GET /api/custody/withdrawals/{id}': 'read',
}

const REFUSALS = new Set(['API_KEY_NOT_ALLOWED', 'API_KEY_PERMISSION'])

type Key = TestApiKey & { name: string; permissions: Array<'read' | 'trade' | 'withdraw'> }
type Route = { method: string; path: string }

let t: TestApp
let port: number
let routes: Route[]
const keys: Key[] = []

beforeAll(async () => {
  t = await createTestApp()
  const { user } = await t.createCustomer('walker')
  // Keys are written directly: this test is about authorisation, not about key creation's rules.
  const sets: Array<[string, Key['permissions']]> = [
    ['read', ['read']],
    ['trade', ['trade']],
    ['withdraw', ['withdraw']],
    ['all', ['read', 'trade', 'withdraw']],
  ]
  for (const [name, permissions] of sets) {
    const key = {
      name,
      permissions,
      accessKey: `bwk_walk_${name}_${'x'.repeat(8)}`,
      secret: `walk-secret-${name}-${'s'.repeat(20)}`,
      passphrase: 'walk-passphrase',
    }
    await storeApiKey(t, user.id, key, { label: name, permissions })
    keys.push(key)
  }
  const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, unknown>>
  }
  routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .map((m) => m.toUpperCase())
      .filter((m) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m))
      .map((method) => ({ method, path })),
  )
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  port = (t.app.server.address() as AddressInfo).port
})
afterAll(async () => {
  await t.close()
})

const SAMPLE_ID = '00000000-0000-4000-8000-000000000000'
/** An OpenAPI path with its parameters filled in. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, SAMPLE_ID)

let nonce = 0
/**
 * Sends a signed request over a real socket with the path exactly as spelled (an in-process inject
 * would normalise dot segments before the router saw them; an attacker's client does not).
 */
async function call(key: Key, method: string, url: string) {
  // A fresh body per request keeps every signature unique (the server refuses replays).
  const body = method === 'GET' || method === 'DELETE' ? '' : JSON.stringify({ walk: ++nonce })
  const timestamp = t.clock.now().toISOString()
  const headers = signedHeaders(key, { method, path: url, body, timestamp })
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (c: Buffer) => chunks.push(c))
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
      )
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(body)
  })
  let code: string | null = null
  try {
    code = (JSON.parse(text) as { code?: string }).code ?? null
  } catch {
    // Not JSON (a file or a stream): no error code to read.
  }
  return { status, code }
}

/** What the matrix says a key may do on a route. */
function expected(route: Route, key: Key): 'API_KEY_NOT_ALLOWED' | 'API_KEY_PERMISSION' | 'allowed' {
  const needed = API_KEY_MATRIX[`${route.method} ${route.path}`]
  if (!needed) return 'API_KEY_NOT_ALLOWED'
  return key.permissions.includes(needed) ? 'allowed' : 'API_KEY_PERMISSION'
}

function outcome(result: { status: number; code: string | null }) {
  if (result.code && REFUSALS.has(result.code)) return result.code
  // Any other 401 means the signature or key was refused: the walk itself would be broken.
  expect(result.status, `unexpected 401 ${result.code}`).not.toBe(401)
  return 'allowed'
}

/** Spellings of one path that a router might decode or normalise to the same route. */
function spellings(path: string): string[] {
  const segments = path.split('/').slice(1)
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  const literal = (s: string) => /^[a-z]/i.test(s) && s !== SAMPLE_ID
  const each = (f: (s: string) => string) => `/${segments.map((s) => (literal(s) ? f(s) : s)).join('/')}`
  return [
    each((s) => hex(s[0]!) + s.slice(1)),
    each((s) => `%25${hex(s[0]!).slice(1)}${s.slice(1)}`),
    each((s) => s[0]!.toUpperCase() + s.slice(1)),
    `${path}/`,
    path.replaceAll('/', '//'),
    `/api/./${segments.slice(1).join('/')}`,
    `/api/x/../${segments.slice(1).join('/')}`,
  ]
}

describe('API keys are authorised from the matched route, never from the URL string', () => {
  it('walks every route in the OpenAPI document with a key of each scope and matches the matrix', async () => {
    expect(routes.length).toBeGreaterThan(60)
    for (const key of keys) {
      for (const route of routes) {
        const got = outcome(await call(key, route.method, concrete(route.path)))
        expect(got, `${key.name} key on ${route.method} ${route.path}`).toBe(expected(route, key))
      }
    }
  })

  it('declares nothing in the matrix that the API does not have', () => {
    const known = new Set(routes.map((r) => `${r.method} ${r.path}`))
    expect(Object.keys(API_KEY_MATRIX).filter((r) => !known.has(r))).toEqual([])
  })

  it('gives every other spelling of a path the canonical answer, or no route at all', async () => {
    const probes = keys.filter((k) => k.name === 'all' || k.name === 'trade')
    for (const key of probes) {
      for (const route of routes) {
        const want = expected(route, key)
        for (const url of spellings(concrete(route.path))) {
          const result = await call(key, route.method, url)
          if (result.status === 404 && !REFUSALS.has(result.code ?? '')) continue
          expect(outcome(result), `${key.name} key on ${route.method} ${url}`).toBe(want)
        }
      }
    }
  })

  it('replays the reported attacks: a trade key can neither enrol TOTP nor check withdrawals', async () => {
    const trade = keys.find((k) => k.name === 'trade')!
    expect(await call(trade, 'POST', '/api/%61ccounts/totp/setup')).toMatchObject({
      status: 403,
      code: 'API_KEY_NOT_ALLOWED',
    })
    expect(await call(trade, 'POST', '/api/v1/%77ithdrawal-check')).toMatchObject({
      status: 403,
      code: 'API_KEY_PERMISSION',
    })
    const all = keys.find((k) => k.name === 'all')!
    expect(await call(all, 'POST', '/api/auth/signout-all')).toMatchObject({
      status: 403,
      code: 'API_KEY_NOT_ALLOWED',
    })
  })
})
