import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp({ TRAINING_GATE: 'true' })
}, 120_000)
afterAll(() => t.close())

describe('training gate (TRAINING_GATE=true)', () => {
  it('refuses sensitive routes to staff overdue on training until they pass, and leaves other routes open', async () => {
    const admin = await t.createStaff('security_admin')
    const agent = await t.createStaff('support')
    const yesterday = new Date(t.clock.now().getTime() - 86_400_000).toISOString().slice(0, 10)
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/modules',
      headers: admin.session.headers,
      payload: {
        title: 'Account recovery fraud',
        body: 'Callers who push for an urgent unfreeze are a classic pretext.',
        quiz: [{ prompt: 'An urgent unfreeze call is…', choices: ['routine', 'a red flag'], answer: 1 }],
        passMark: 100,
        due: [{ role: 'support', dueOn: yesterday }],
      },
    })
    expect(created.statusCode).toBe(201)
    const unfreeze = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/staff/accounts/00000000-0000-4000-8000-000000000000/unfreeze',
        headers: agent.session.headers,
        payload: { note: 'Checked with the customer' },
      })

    const refused = await unfreeze()
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('TRAINING_OVERDUE')
    const notSensitive = await t.app.inject({
      url: '/api/staff/accounts/frozen',
      headers: agent.session.headers,
    })
    expect(notSensitive.statusCode).toBe(200)

    const attempt = await t.app.inject({
      method: 'POST',
      url: `/api/staff/training/modules/${created.json().id}/attempts`,
      headers: agent.session.headers,
      payload: { answers: [1] },
    })
    expect(attempt.json().passed).toBe(true)
    expect((await unfreeze()).statusCode).toBe(404)
  })
})
