/**
 * Walks every staff route with every role and asserts exactly the permission matrix in
 * src/platform/rbac.ts: allowed roles get past authorisation, every other role gets 403, customers
 * get 403 and anonymous callers 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { permissionMatrix, roleHasPermission, type StaffRole, staffRoles } from '../../src/platform/rbac.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

let t: TestApp
const sessions = new Map<StaffRole, TestSession>()
let customer: TestSession

beforeAll(async () => {
  t = await createTestApp()
  for (const role of staffRoles) sessions.set(role, (await t.createStaff(role)).session)
  customer = (await t.createCustomer('rbac')).session
})
afterAll(async () => {
  await t.close()
})

const sampleUrl = (url: string) => url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000')

describe('RBAC matrix', () => {
  it('guards every route whose path names staff with a staff permission (none is left open by mistake)', () => {
    // Accepting an invitation is done before the person has an account: the emailed token is the proof.
    const publicByDesign = new Set(['POST /api/staff/invites/accept'])
    const open = t.app.routeTable
      .filter((r) => /\/staff(\/|$)/.test(r.url) && (r.audience !== 'staff' || !r.permission))
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !publicByDesign.has(r))
    expect(open).toEqual([])
  })

  it('has staff routes for every permission in the matrix', () => {
    const used = new Set(t.app.routeTable.filter((r) => r.permission).map((r) => r.permission))
    expect([...used].sort()).toEqual(Object.keys(permissionMatrix).sort())
  })

  it('lets exactly the roles in the matrix through every staff route', async () => {
    const staffRoutes = t.app.routeTable.filter((r) => r.permission)
    expect(staffRoutes.length).toBeGreaterThan(3)
    const mismatches: string[] = []
    for (const route of staffRoutes) {
      for (const role of staffRoles) {
        const response = await t.app.inject({
          method: route.method as 'GET',
          url: sampleUrl(route.url),
          headers: sessions.get(role)!.headers,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
        })
        const allowed = roleHasPermission(role, route.permission as keyof typeof permissionMatrix)
        const denied = response.statusCode === 403 && response.json().code === 'FORBIDDEN'
        if (allowed === denied || response.statusCode === 401) {
          mismatches.push(
            `${route.method} ${route.url} as ${role}: ${response.statusCode} (${allowed ? 'should pass' : 'should be 403'})`,
          )
        }
      }
    }
    expect(mismatches).toEqual([])
  })

  it('refuses customers (403) and anonymous callers (401) on every staff route', async () => {
    for (const route of t.app.routeTable.filter((r) => r.audience === 'staff')) {
      const base = { method: route.method as 'GET', url: sampleUrl(route.url) }
      const payload = route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }
      const asCustomer = await t.app.inject({ ...base, ...payload, headers: customer.headers })
      expect(asCustomer.statusCode, `${route.method} ${route.url}`).toBe(403)
      const anonymous = await t.app.inject({ ...base, ...payload })
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBe(401)
    }
  })
})
