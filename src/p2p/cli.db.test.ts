/**
 * `bulwark p2p …` against a real PGlite data directory: reference prices,
 * a deposit that reaches the custody ledger (the wallet's balance) and the audit log, metrics, the
 * expiry job, and `bulwark custody ledger verify` clean afterwards.
 */
import { describe, expect, it } from 'vitest'
import { cliDataDir } from '../../test/support/cli.ts'
import { createLedger, p2pEscrow } from '../custody/index.ts'
import { createUser } from '../platform/identity/users.ts'

const { run, withDb } = cliDataDir('p2p-cli')

describe('bulwark p2p', () => {
  it('credits a customer, sets a reference price, reports metrics and runs the expiry job', async () => {
    const email = `cli-${crypto.randomUUID()}@test.bulwark`
    const userId = await withDb(async (db) => {
      const user = await createUser(db, { email, displayName: 'CLI', kind: 'customer', password: null })
      return user.id
    })
    expect(
      await run(['p2p', 'deposit', '--email', email, '--asset', 'USDT', '--amount', '12.5']),
    ).toMatchObject({
      code: 0,
    })
    expect(
      (await run(['p2p', 'deposit', '--email', email, '--asset', 'USDT', '--amount', '1.0000001'])).code,
    ).toBe(2)
    expect(
      (await run(['p2p', 'deposit', '--email', 'nobody@test.bulwark', '--asset', 'USDT', '--amount', '1']))
        .code,
    ).toBe(1)
    expect((await run(['p2p', 'price', '--asset', 'USDT', '--fiat', 'EUR', '--price', '0.93'])).code).toBe(0)
    expect((await run(['p2p', 'price', '--asset', 'DOGE', '--fiat', 'EUR', '--price', '1'])).code).toBe(2)
    const metrics = await run(['p2p', 'metrics', '--json'])
    expect(JSON.parse(metrics.out).overall).toHaveProperty('conversion')
    expect(JSON.parse((await run(['p2p', 'expire', '--json'])).out)).toEqual({ expired: 0 })

    await withDb(async (db) => {
      const [usdt] = await p2pEscrow({ db }).balances(db, userId)
      expect(usdt).toEqual({ asset: 'USDT', available: 12_500_000n, escrow: 0n })
      // The same money the wallet shows: the customer's available account on the custody ledger.
      expect(await createLedger({ db }).balances(db, userId)).toEqual([
        { asset: 'USDT', kind: 'available', balance: 12_500_000n },
      ])
      const price = await db
        .selectFrom('p2p_prices')
        .select('price')
        .where('asset', '=', 'USDT')
        .where('fiat', '=', 'EUR')
        .executeTakeFirstOrThrow()
      expect(String(price.price)).toBe('0.93000000')
      const audit = await db
        .selectFrom('audit_log')
        .select(['action', 'target'])
        .where('action', '=', 'p2p.deposit')
        .execute()
      expect(audit).toContainEqual({ action: 'p2p.deposit', target: `user:${userId}` })
    })
    expect(await run(['custody', 'ledger', 'verify'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('ledger consistent'),
    })
  })
})
