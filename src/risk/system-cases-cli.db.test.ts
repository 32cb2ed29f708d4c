/**
 * A deposit held outside the server opens its case too: `bulwark custody deposits import` with a
 * sanctioned sender (screened against GUARD_ADDRESS_LISTS) opens one case by Bulwark, and
 * importing the same file again opens none. Its own PGlite data directory, as the custody CLI test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../cli/main.ts'
import { createDepositAddresses } from '../custody/addresses.ts'
import { DEMO_BTC_XPUB } from '../custody/index.ts'
import { systemClock } from '../platform/clock.ts'
import { type Db, openDatabase } from '../platform/db/index.ts'
import { migrateToLatest } from '../platform/db/migrator.ts'
import { createUser } from '../platform/identity/users.ts'

const SANCTIONED_BTC = 'bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6'
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-system-cases-cli-'))
const sanctions = path.join(dataDir, 'sanctioned_addresses_XBT.txt')
writeFileSync(sanctions, `${SANCTIONED_BTC}\n`)
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  CUSTODY_CONFIRMATIONS: 'BTC=3',
  GUARD_ADDRESS_LISTS: sanctions,
}
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

async function run(argv: string[]) {
  let out = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      out += t
    },
    stderr: () => {},
    env,
    readStdin: async () => '',
  })
  return { code, out }
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ dataDir })
  try {
    await migrateToLatest(handle.db as never)
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

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
