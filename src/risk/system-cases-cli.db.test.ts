/**
 * A deposit held outside the server opens its case too: `bulwark custody deposits import` with a
 * sanctioned sender (screened against GUARD_ADDRESS_LISTS) opens one case by Bulwark, and
 * importing the same file again opens none. Its own PGlite data directory, as the custody CLI test.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliDataDir } from '../../test/support/cli.ts'
import { createDepositAddresses } from '../custody/addresses.ts'
import { DEMO_BTC_XPUB } from '../custody/index.ts'
import { systemClock } from '../platform/clock.ts'
import { createUser } from '../platform/identity/users.ts'

const SANCTIONED_BTC = 'bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6'
const cli = cliDataDir('system-cases-cli', { CUSTODY_CONFIRMATIONS: 'BTC=3' })
const { dataDir, run, withDb } = cli
cli.env.GUARD_ADDRESS_LISTS = cli.file('sanctioned_addresses_XBT.txt')
writeFileSync(cli.env.GUARD_ADDRESS_LISTS, `${SANCTIONED_BTC}\n`)

describe('bulwark custody deposits import', () => {
  it('opens one case by Bulwark for a deposit from a sanctioned sender, however often the file is imported', async () => {
    const { id, address } = await withDb(async (db) => {
      const user = await createUser(db, {
        email: 'cli-held@test.bulwark',
        displayName: 'Held',
        kind: 'customer',
        password: null,
      })
      const addresses = createDepositAddresses({ db, clock: systemClock, btcXpub: DEMO_BTC_XPUB })
      return { id: user.id, address: (await addresses.forUser(user.id, 'BTC')).address }
    })
    const file = path.join(dataDir, 'deposits.csv')
    writeFileSync(
      file,
      `txid,vout,address,amount_sats,confirmations,sender\n${'a'.repeat(64)},0,${address},2500,6,${SANCTIONED_BTC}\n`,
    )
    const first = await run(['custody', 'deposits', 'import', '--file', file, '--json'])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.out)).toMatchObject({ credited: 0, held: 1 })
    expect((await run(['custody', 'deposits', 'import', '--file', file])).code).toBe(0)

    const cases = await withDb((db) =>
      db
        .selectFrom('risk_cases')
        .select(['id', 'account', 'opened_by', 'source', 'created_by', 'reasons'])
        .where('account', '=', id)
        .execute(),
    )
    expect(cases).toEqual([
      {
        id: expect.any(String),
        account: id,
        opened_by: 'system',
        source: 'deposit_screening',
        created_by: null,
        reasons: [{ code: 'SANCTIONED', text: expect.stringContaining('is on a sanctions list') }],
      },
    ])
  }, 60_000)
})
