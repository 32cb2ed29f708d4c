import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { seedDemoIfEmpty } from '../demo/seed.ts'

// On PGlite every app of a test file shares one connection whose search_path names the schema
// created last, so each app here is created when the one before it is no longer used.
let demo: TestApp
beforeAll(async () => {
  demo = await createTestApp({ SEED_DEMO: 'true' })
  expect(await seedDemoIfEmpty({ db: demo.db, clock: demo.clock, config: demo.config })).toBe(true)
})
afterAll(async () => {
  await demo.close()
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

  it('shows the outbox to anyone on a database the demo seed created, and tells the web app', async () => {
    const { email } = await demo.createCustomer('visible')
    await demo.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email } })
    await outboxFor(demo, email)
    const listed = await demo.app.inject({ url: `/api/mail/outbox?to=${encodeURIComponent(email)}` })
    expect(listed.json().messages[0].subject).toBe('Reset your Bulwark password')
    expect((await demo.app.inject({ url: '/api/meta' })).json()).toEqual({ demo: true, mailOutbox: 'public' })
  })

  it('keeps the outbox staff-only on a database the demo seed did not create, whatever SEED_DEMO says', async () => {
    for (const env of [{ SEED_DEMO: 'true' }, { SEED_DEMO: 'false' }]) {
      const install = await createTestApp(env)
      try {
        // A real account exists before the seed could run: the seed leaves the database alone.
        await install.createCustomer('real')
        expect(await seedDemoIfEmpty({ db: install.db, clock: install.clock, config: install.config })).toBe(
          false,
        )
        const response = await install.app.inject({ url: '/api/mail/outbox' })
        expect(response.statusCode).toBe(403)
        expect(response.json().code).toBe('OUTBOX_STAFF_ONLY')
        expect((await install.app.inject({ url: '/api/meta' })).json()).toEqual({
          demo: false,
          mailOutbox: 'staff',
        })
      } finally {
        await install.close()
      }
    }
  })

  it('has no outbox to show when mail goes out through SMTP_URL', async () => {
    const smtp = await createTestApp({ SEED_DEMO: 'true', SMTP_URL: 'smtp://127.0.0.1:9' })
    try {
      expect(await seedDemoIfEmpty({ db: smtp.db, clock: smtp.clock, config: smtp.config })).toBe(true)
      expect((await smtp.app.inject({ url: '/api/mail/outbox' })).statusCode).toBe(404)
      expect((await smtp.app.inject({ url: '/api/meta' })).json()).toEqual({ demo: true, mailOutbox: 'none' })
    } finally {
      await smtp.close()
    }
  })

  it('shows the outbox to support staff, not to customers', async () => {
    const production = await createTestApp({ SEED_DEMO: 'false' })
    try {
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
    } finally {
      await production.close()
    }
  })
})
