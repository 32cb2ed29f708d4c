import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../test/support/db.ts'
import { createManualClock } from '../platform/clock.ts'
import { createUser } from '../platform/identity/users.ts'
import { seedRiskDemo } from './demo.ts'

describe('risk demo activity', () => {
  it('gives analysts a credential-stuffing alert and a takeover-chain alert to work on', async () => {
    const { db } = await createTestDatabase()
    const clock = createManualClock(new Date('2026-11-20T12:00:00Z'))
    const users: Record<string, string> = {}
    for (const key of ['bruno', 'dmitri']) {
      users[key] = (
        await createUser(db, {
          email: `${key}@demo.test`,
          displayName: key,
          kind: 'customer',
          password: null,
        })
      ).id
    }
    await seedRiskDemo({ db, clock, users })
    const alerts = await db.selectFrom('risk_alerts').select(['account', 'sources']).execute()
    const sourcesOf = (account: string) =>
      alerts.filter((a) => a.account === account).flatMap((a) => a.sources as unknown as string[])
    expect(sourcesOf(users.dmitri!)).toContain('credential-stuffing')
    expect(sourcesOf(users.bruno!)).toContain('takeover-chain')
  })
})
