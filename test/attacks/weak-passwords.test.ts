/**
 * Regression for issue #13 item 18: weak passwords were accepted. "password password password",
 * "123456789012345678" and "correct horse battery staple" passed sign-up, reset and change, and a
 * staff invitation took "aaaaaaaaaaaa". Every place that sets a password now applies one policy and
 * refuses them with PASSWORD_REJECTED, saying why.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

const WEAK = ['password password password', '123456789012345678', 'correct horse battery staple']

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

/** The newest mail to `to` whose subject matches, waiting for background delivery. */
async function mailTo(to: string, subject: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const rows = await t.db
      .selectFrom('mail_outbox')
      .select(['subject', 'text_body'])
      .where('to_address', '=', to)
      .orderBy('sent_at', 'desc')
      .execute()
    const found = rows.find((r) => subject.test(r.subject))
    if (found) return found.text_body
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no mail to ${to} matching ${subject}`)
}

function expectRefused(response: { statusCode: number; json(): { code: string; message: string } }) {
  expect(response.statusCode).toBe(400)
  expect(response.json().code).toBe('PASSWORD_REJECTED')
  expect(response.json().message.length).toBeGreaterThan(10)
}

describe('weak passwords are refused everywhere a password is set', () => {
  it.each(WEAK)('sign-up refuses %j', async (password) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/signup',
      payload: { email: `weak-${crypto.randomUUID()}@example.org`, displayName: 'Weak', password },
    })
    expectRefused(response)
  })

  it.each(WEAK)('a password reset refuses %j', async (password) => {
    const { email } = await t.createCustomer('reset')
    await t.app.inject({ method: 'POST', url: '/api/accounts/password-reset', payload: { email } })
    const token = /\/password-reset#([A-Za-z0-9_-]+)/.exec(await mailTo(email, /Reset your/))![1]
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/password-reset/complete',
      payload: { token, password },
    })
    expectRefused(response)
  })

  it.each(WEAK)('a password change refuses %j', async (password) => {
    const { session } = await t.createCustomer('change')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/password',
      headers: session.headers,
      payload: { currentPassword: TEST_PASSWORD, newPassword: password },
    })
    expectRefused(response)
  })

  it.each([...WEAK, 'aaaaaaaaaaaa'])('a staff invitation refuses %j', async (password) => {
    const admin = await t.createStaff('security_admin')
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: {
        email: `invitee-${crypto.randomUUID()}@example.org`,
        displayName: 'Invitee',
        role: 'support',
      },
    })
    expect(invited.statusCode).toBe(201)
    const token = invited.json().inviteUrl.split('#')[1]
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password },
    })
    expectRefused(response)
    // The link still works for a good password: a refusal does not use it up.
    const good = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password: 'amber quokka sails north' },
    })
    expect(good.statusCode).toBe(200)
  })

  describe('bulwark staff create', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-weak-'))
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

    it.each(WEAK)('refuses %j with exit code 2 and the reason', async (password) => {
      let err = ''
      const code = await runCli(
        ['staff', 'create', '--email', 'first.admin@example.org', '--role', 'security_admin'],
        {
          stdout: () => {},
          stderr: (text) => {
            err += text
          },
          env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
          readStdin: async () => `${password}\n`,
        },
      )
      expect(code).toBe(2)
      expect(err).toMatch(/password/i)
    })
  })
})
