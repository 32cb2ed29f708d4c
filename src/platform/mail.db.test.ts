import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'

let demo: TestApp
let production: TestApp
beforeAll(async () => {
  demo = await createTestApp({ SEED_DEMO: 'true' })
  production = await createTestApp({ SEED_DEMO: 'false' })
})
afterAll(async () => {
  await demo.close()
  await production.close()
})

async function outboxFor(t: TestApp, to: string) {
  for (let i = 0; i < 100; i++) {
    const rows = await t.db.selectFrom('mail_outbox').selectAll().where('to_address', '=', to).execute()
    if (rows.length > 0) return rows
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no outbox mail to ${to}`)
}

describe('mail without SMTP_URL', () => {
  it('writes every message to the outbox, starting with the anti-phishing code', async () => {
    const { session, email } = await demo.createCustomer('outbox')
    await demo.app.inject({
      method: 'POST',
      url: '/api/accounts/anti-phishing',
      headers: session.headers,
      payload: { code: 'Heron77' },
    })
    const [mail] = await outboxFor(demo, email)
    expect(mail!.subject).toBe('Security alert: Your anti-phishing code was changed')
    expect(mail!.text_body.split('\n')[0]).toBe('Your Bulwark anti-phishing code: Heron77')
  })

  it('shows the outbox to anyone on a demo install only', async () => {
    const { email } = await demo.createCustomer('visible')
    await demo.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email } })
    await outboxFor(demo, email)
    const listed = await demo.app.inject({ url: `/api/mail/outbox?to=${encodeURIComponent(email)}` })
    expect(listed.json().messages[0].subject).toBe('Reset your Bulwark password')
    expect((await production.app.inject({ url: '/api/mail/outbox' })).statusCode).toBe(404)
  })

  it('shows the outbox to support staff, not to customers', async () => {
    const support = await production.createStaff('support')
    expect(
      (await production.app.inject({ url: '/api/staff/mail/outbox', headers: support.session.headers }))
        .statusCode,
    ).toBe(200)
    const customer = await production.createCustomer('nosy')
    expect(
      (await production.app.inject({ url: '/api/staff/mail/outbox', headers: customer.session.headers }))
        .statusCode,
    ).toBe(403)
  })
})
