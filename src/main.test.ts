import { describe, expect, it } from 'vitest'
import { DEMO_STAFF_TOTP_SECRET } from './demo/seed.ts'
import { startupNotices } from './main.ts'

/** A real install's sealing keys (test values). */
const keys = {
  ACCOUNTS_SEALING_KEY: 'a1'.repeat(32),
  IDENTITY_SEALING_KEY: 'b2'.repeat(32),
  DATA_KEK: 'c3'.repeat(32),
}

describe('start-up output', () => {
  it('prints the demo logins, the staff TOTP secret and that mail is public on a demo install', () => {
    const { info, warnings } = startupNotices(
      { SEED_DEMO: true },
      { demo: true, outbox: 'public' },
      'http://localhost:8080',
    )
    const text = info.join('\n')
    expect(text).toContain('every email is public at http://localhost:8080/outbox')
    expect(text).toContain('security.admin@staff.bulwark')
    expect(text).toContain(DEMO_STAFF_TOTP_SECRET)
    expect(text).toContain('npx bulwark demo totp')
    expect(warnings).toEqual([])
  })

  it('warns that mail stays in the staff-only outbox when SMTP_URL is not set on a real install', () => {
    const { info, warnings } = startupNotices(
      { SEED_DEMO: false, ...keys },
      { demo: false, outbox: 'staff' },
      'http://localhost:8080',
    )
    expect(info).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^WARNING: SMTP_URL is not set.*staff-only outbox/)
  })

  it('says why SEED_DEMO did not make a database that holds real accounts a demo', () => {
    const { info, warnings } = startupNotices(
      { SEED_DEMO: true, ...keys },
      { demo: false, outbox: 'staff' },
      'http://localhost:8080',
    )
    expect(info.join('\n')).not.toContain('Demo logins')
    expect(warnings[1]).toContain('not created by the demo seed')
  })

  it('prints the demo logins without the public-mail line when a demo sends mail through SMTP', () => {
    const { info, warnings } = startupNotices({ SEED_DEMO: true }, { demo: true, outbox: 'none' }, 'http://x')
    expect(info.join('\n')).toContain('Demo logins')
    expect(info.join('\n')).not.toContain('/outbox')
    expect(warnings).toEqual([])
  })

  it('prints neither logins nor warnings on a real install that sends mail through SMTP', () => {
    expect(
      startupNotices({ SEED_DEMO: false, ...keys }, { demo: false, outbox: 'none' }, 'http://x'),
    ).toEqual({
      info: [],
      warnings: [],
    })
  })

  it('warns on a real install whose secrets would be sealed with a key derived from EXCHANGE_ID', () => {
    const { warnings } = startupNotices({ SEED_DEMO: false }, { demo: false, outbox: 'none' }, 'http://x')
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toMatch(/^WARNING: ACCOUNTS_SEALING_KEY is not set.*TOTP seeds and API secrets/)
    expect(warnings[1]).toMatch(/^WARNING: IDENTITY_SEALING_KEY is not set/)
    expect(warnings[2]).toMatch(/^WARNING: DATA_KEK is not set, so people's emails and names/)
    // A key file counts as set.
    const withFile = startupNotices(
      { SEED_DEMO: false, ...keys, DATA_KEK: undefined, DATA_KEK_FILE: '/etc/bulwark/kek' },
      { demo: false, outbox: 'none' },
      'http://x',
    )
    expect(withFile.warnings).toEqual([])
    const demo = startupNotices({ SEED_DEMO: true }, { demo: true, outbox: 'public' }, 'http://x')
    expect(demo.warnings).toEqual([])
  })
})
