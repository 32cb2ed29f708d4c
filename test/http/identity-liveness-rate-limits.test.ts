/**
 * The per-minute limits on the head-turn check's routes (docs/identity.md, "Limits"): starting a
 * check has the sign-in budget (`AUTH_RATE_LIMIT_MAX` per minute), sending steps six times it. Every
 * request counts, refused or not, so a script cannot probe the step route for free. Here the budget is
 * 2: 2 starts and 12 steps a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'
import { stepFrames } from '../support/liveness.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ IDENTITY_FACES: 'true', AUTH_RATE_LIMIT_MAX: '2' })
}, 120_000)
afterAll(async () => {
  await t?.close()
})

describe('the head-turn check under a flood of requests', () => {
  it('answers 429 RATE_LIMITED past the per-minute budget for starting checks and for sending steps', async () => {
    const { session } = await t.createCustomer('flood')
    const start = () =>
      t.app.inject({ method: 'POST', url: '/api/identity/liveness/challenges', headers: session.headers })
    const first = await start()
    expect(first.statusCode).toBe(200)
    expect((await start()).statusCode).toBe(200)
    const third = await start()
    expect(third.statusCode).toBe(429)
    expect(third.json()).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('Wait a minute'),
    })

    // Steps sent out of order are refused before any face is scanned, and still count.
    const { id } = first.json().challenge
    const frames = stepFrames(0, 'centre', 1)
    const step = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/identity/liveness/challenges/${id}/steps/3`,
        headers: session.headers,
        payload: { frames },
      })
    for (let i = 0; i < 12; i++) expect((await step()).json().code).toBe('IDENTITY_LIVENESS_STEP_ORDER')
    const thirteenth = await step()
    expect(thirteenth.statusCode).toBe(429)
    expect(thirteenth.json().code).toBe('RATE_LIMITED')
  })
})
