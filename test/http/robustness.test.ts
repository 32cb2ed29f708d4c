/**
 * Throws random and malformed bodies, headers and query strings at every route, signed in and not,
 * and asserts the server never answers 5xx: a client's mistake is never a server error. Then puts
 * control characters into every path parameter, query parameter and string field the route's
 * OpenAPI description names, and asserts each is refused (4xx), never served and never a 5xx.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RouteInfo } from '../../src/platform/http/server.ts'
import { type Permission, roleHasPermission, staffRoles } from '../../src/platform/rbac.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

let t: TestApp
let admin: TestSession
let customer: TestSession
beforeAll(async () => {
  t = await createTestApp({ GUARD_RATE_LIMIT_MAX: '100000' })
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
    'a\u0000b',
    '\u0001',
    '\u001f',
    '\u007f',
    '\u0085',
    '\u2028',
    'line\nbreak',
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

/** The characters no string input may carry (tab, LF and CR are allowed in declared multi-line fields only). */
const CONTROL_CHARACTERS = ['\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u2028']

type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  additionalProperties?: boolean | JsonSchema
}
type Operation = {
  parameters?: { in: string; name: string }[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
}

/** Paths (keys, `0` for an array item) of every string leaf of a JSON schema. */
function stringFields(schema: JsonSchema | undefined, path: string[] = [], depth = 0): string[][] {
  if (!schema || depth > 5) return []
  const out: string[][] = []
  const types = [schema.type ?? []].flat()
  if (types.includes('string') && path.length > 0) out.push(path)
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    out.push(...stringFields(child, [...path, key], depth + 1))
  if (schema.items) out.push(...stringFields(schema.items, [...path, '0'], depth + 1))
  if (typeof schema.additionalProperties === 'object')
    out.push(...stringFields(schema.additionalProperties, [...path, 'key'], depth + 1))
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    out.push(...stringFields(alt, path, depth + 1))
  return out
}

function withValueAt(path: string[], value: string): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path
  return head === '0' ? [withValueAt(rest, value)] : { [head!]: withValueAt(rest, value) }
}

/** A session allowed to call the route: a staff member holding its permission, else a customer. */
const staffSessions = new Map<string, TestSession>()
/** A customer of its own: the fuzzing above may have signed `customer` out or frozen it. */
let hygieneCustomer: TestSession | undefined
async function sessionFor(route: RouteInfo): Promise<TestSession> {
  if (route.audience !== 'staff') {
    hygieneCustomer ??= (await t.createCustomer('hygiene')).session
    return hygieneCustomer
  }
  const permission = route.permission as Permission | undefined
  const role = staffRoles.find((r) => permission === undefined || roleHasPermission(r, permission))!
  if (!staffSessions.has(role)) staffSessions.set(role, (await t.createStaff(role)).session)
  return staffSessions.get(role)!
}

describe('control characters', () => {
  it('refuses them in every path parameter, query parameter and string field of every route', {
    timeout: 600_000,
  }, async () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, Operation>> }
    const routes = t.app.routeTable.filter((r) => !r.url.startsWith('/docs'))
    let requests = 0
    let bodyFields = 0
    const unchecked: string[] = []
    for (const route of routes) {
      const op = spec.paths[route.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()]
      const params = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!)
      const queries = [
        ...(op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        'unlisted',
      ]
      const withBody = route.method !== 'GET' && route.method !== 'DELETE'
      const fields = withBody ? stringFields(op?.requestBody?.content?.['application/json']?.schema) : []
      bodyFields += fields.length
      if (withBody && fields.length === 0) fields.push(['unlisted'])
      const session = await sessionFor(route)
      const targets = [
        ...params.map((name) => ({ where: 'params' as const, name: [name] })),
        ...queries.map((name) => ({ where: 'query' as const, name: [name] })),
        ...fields.map((name) => ({ where: 'body' as const, name })),
      ]
      let refused = 0
      for (const target of targets) {
        for (const c of CONTROL_CHARACTERS) {
          const value = `x${c}y`
          const url = route.url.replace(/:([A-Za-z]+)/g, (_, name: string) =>
            target.where === 'params' && target.name[0] === name ? encodeURIComponent(value) : 'x',
          )
          const response = await t.app.inject({
            method: route.method as 'GET',
            url: url.replace('*', 'x'),
            headers: { ...session.headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
            ...(target.where === 'query' ? { query: { [target.name[0]!]: value } } : {}),
            ...(withBody
              ? { payload: JSON.stringify(target.where === 'body' ? withValueAt(target.name, value) : {}) }
              : {}),
          })
          requests++
          const what = `${route.method} ${route.url} ${target.where}.${target.name.join('.')} with U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`
          expect(response.statusCode, `${what}: ${response.body}`).toBeGreaterThanOrEqual(400)
          expect(response.statusCode, `${what}: ${response.body}`).toBeLessThan(500)
          if (response.statusCode === 400 && response.json().details?.character) refused++
        }
      }
      // Signed in with the route's own audience and permission, so the check itself answered.
      if (refused !== targets.length * CONTROL_CHARACTERS.length)
        unchecked.push(`${route.method} ${route.url}`)
    }
    expect(unchecked).toEqual([])
    expect(requests).toBeGreaterThan(routes.length * CONTROL_CHARACTERS.length)
    expect(bodyFields).toBeGreaterThan(50)
  })
})
