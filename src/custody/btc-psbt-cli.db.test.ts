/**
 * The Bitcoin offline signing procedure as an operator runs it, through `bulwark custody …` on a
 * real PGlite data directory: `export-unsigned --chain btc` writes a PSBT for an approved BTC
 * withdrawal from the UTXO file, `sign --key-file` signs it with the account xprv (and refuses
 * another wallet's key), `import-signed` refuses a PSBT whose amount was changed (exit 1, naming
 * the code) and accepts the genuine one, writing the raw transaction to broadcast; `btc-confirm`
 * records the confirmations the operator reports and completes the withdrawal on the ledger once.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { base64 } from '@scure/base'
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync } from '@scure/bip39'
import { Transaction } from '@scure/btc-signer'
import { describe, expect, it } from 'vitest'
import { cliDataDir } from '../../test/support/cli.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { createUser } from '../platform/identity/users.ts'
import { btcColdWallet } from './btc-psbt.ts'
import { DEMO_BTC_XPUB } from './derivation.ts'
import { createLedger } from './ledger.ts'
import { createWithdrawals } from './withdrawals.ts'

const cli = cliDataDir('btc-psbt-cli', { CUSTODY_BTC_XPUB: DEMO_BTC_XPUB })
const { env, run, withDb, file } = cli
const PAYEE = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
// The BIP84 test mnemonic's account key: DEMO_BTC_XPUB is its xpub (public keys, tests only).
const account = HDKey.fromMasterSeed(
  mnemonicToSeedSync(
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  ),
).derive("m/84'/0'/0'")

/** A customer with 1 BTC asks for 0.05 BTC by API key; a custody approver approves it. */
async function approvedWithdrawal(): Promise<string> {
  return withDb(async (db) => {
    const user = await createUser(db, {
      email: `btc-cli-${crypto.randomUUID()}@test.bulwark`,
      displayName: 'BTC CLI',
      kind: 'customer',
      password: null,
    })
    const staff = await createUser(db, {
      email: `btc-approver-${crypto.randomUUID()}@test.bulwark`,
      displayName: 'Approver',
      kind: 'staff',
      role: 'custody_approver',
      password: null,
    })
    await createLedger({ db }).creditDeposit(db, {
      key: `btc-cli:${user.id}`,
      ref: 'test',
      owner: user.id,
      asset: 'BTC',
      amount: 100_000_000n,
    })
    const config = loadConfig(env)
    const w = createWithdrawals({
      db,
      clock: systemClock,
      config,
      accounts: { db, clock: systemClock, config },
    })
    const row = await w.request({
      userId: user.id,
      via: 'api_key',
      asset: 'BTC',
      amount: '0.05',
      network: 'bitcoin',
      address: PAYEE,
      idempotencyKey: 'btc-cli-1',
    })
    expect(row.status).toBe('awaiting_approval')
    const approved = await w.approve(row.id, { id: staff.id, role: 'custody_approver' }, row.payload_hash)
    expect(approved).toMatchObject({ status: 'approved', signing_mode: 'offline' })
    return row.id
  })
}

describe('bulwark custody export-unsigned --chain btc | sign | import-signed', () => {
  it('exports a PSBT, signs it air-gapped, refuses a tampered copy and imports the genuine one', async () => {
    const id = await approvedWithdrawal()
    const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
    writeFileSync(
      file('utxos.csv'),
      `txid,vout,address,amount_sats,path\n${'c1'.repeat(32)},0,${wallet.at(0, 2).address},30000000,0/2\n`,
    )
    writeFileSync(file('account.xprv'), `${account.privateExtendedKey}\n`)
    writeFileSync(file('other.xprv'), HDKey.fromMasterSeed(new Uint8Array(32).fill(8)).privateExtendedKey)

    const exported = await run([
      'custody',
      'export-unsigned',
      '--chain',
      'btc',
      '--utxos',
      file('utxos.csv'),
      '--fee-rate',
      '10',
      '--out',
      file('unsigned.json'),
    ])
    expect(exported, exported.err).toMatchObject({ code: 0 })
    expect(exported.out).toContain('1 PSBT(s)')
    const unsigned = JSON.parse(readFileSync(file('unsigned.json'), 'utf8'))
    expect(unsigned).toMatchObject({ format: 'bulwark-psbt-unsigned-v1', xpub: DEMO_BTC_XPUB })
    expect(unsigned.withdrawals[0].withdrawalId).toBe(id)

    const wrongKey = await run([
      'custody',
      'sign',
      '--in',
      file('unsigned.json'),
      '--key-file',
      file('other.xprv'),
      '--out',
      file('x.json'),
    ])
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.err).toContain('not the account key')

    const signed = await run([
      'custody',
      'sign',
      '--in',
      file('unsigned.json'),
      '--key-file',
      file('account.xprv'),
      '--out',
      file('signed.json'),
    ])
    expect(signed, signed.err).toMatchObject({ code: 0 })
    expect(signed.out).toContain(`signed ${id}: 5000000 sat to ${PAYEE}`)

    // A courier who can sign (or a compromised signer) pays the payee a little more.
    const good = JSON.parse(readFileSync(file('signed.json'), 'utf8'))
    const tx = Transaction.fromPSBT(base64.decode(unsigned.withdrawals[0].psbt))
    tx.updateOutput(0, { amount: 5_000_500n })
    tx.sign(account as never)
    tx.finalize()
    writeFileSync(
      file('tampered.json'),
      JSON.stringify({
        ...good,
        withdrawals: [{ ...good.withdrawals[0], psbt: base64.encode(tx.toPSBT()) }],
      }),
    )
    const refused = await run([
      'custody',
      'import-signed',
      '--in',
      file('tampered.json'),
      '--raw-out',
      file('raw-bad.txt'),
    ])
    expect(refused.code).toBe(1)
    expect(refused.out).toContain(`REFUSED ${id}: PSBT_AMOUNT_MISMATCH`)
    expect(readFileSync(file('raw-bad.txt'), 'utf8')).toBe('')

    const imported = await run([
      'custody',
      'import-signed',
      '--in',
      file('signed.json'),
      '--raw-out',
      file('raw.txt'),
    ])
    expect(imported, imported.err).toMatchObject({ code: 0 })
    const raw = readFileSync(file('raw.txt'), 'utf8').trim()
    const txid = Transaction.fromRaw(Buffer.from(raw, 'hex')).id
    expect(imported.out).toContain(`accepted ${id}: transaction ${txid}`)
    const row = await withDb((db) =>
      db
        .selectFrom('custody_withdrawals')
        .select(['status', 'tx_hash', 'signed_tx'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    )
    expect(row).toEqual({ status: 'broadcast_pending_external', tx_hash: txid, signed_tx: raw })

    // The operator broadcast it and reports confirmations: 1 of 3 is recorded, 3 complete it once.
    const one = await run(['custody', 'btc-confirm', '--txid', txid, '--confirmations', '1'])
    expect(one.out).toBe(`withdrawal ${id}: 1 of 3 confirmations recorded\n`)
    const three = await run(['custody', 'btc-confirm', '--txid', txid, '--confirmations', '3'])
    expect(three.out).toBe(`withdrawal ${id} confirmed (3 of 3); completed on the ledger\n`)
    const again = await run(['custody', 'btc-confirm', '--txid', txid, '--confirmations', '4'])
    expect(again.code).toBe(1)
    expect(again.err).toContain('WITHDRAWAL_STATE')
    await withDb(async (db) => {
      const ledger = createLedger({ db })
      const owner = await db
        .selectFrom('custody_withdrawals')
        .select('user_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      const mine = await ledger.balances(db, owner.user_id)
      expect(mine.find((b) => b.asset === 'BTC' && b.kind === 'pending_withdrawal')?.balance ?? 0n).toBe(0n)
      const completions = await db
        .selectFrom('custody_transactions')
        .select('id')
        .where('idempotency_key', '=', `withdrawal:${id}:complete`)
        .execute()
      expect(completions).toHaveLength(1)
      expect((await ledger.verify(db)).ok).toBe(true)
    })
  }, 120_000)

  it('refuses a UTXO file naming an address that is not the cold wallet’s (exit 2, nothing exported)', async () => {
    writeFileSync(
      file('bad-utxos.csv'),
      `txid,vout,address,amount_sats,path\n${'d1'.repeat(32)},0,${PAYEE},30000000,0/2\n`,
    )
    const r = await run([
      'custody',
      'export-unsigned',
      '--chain',
      'btc',
      '--utxos',
      file('bad-utxos.csv'),
      '--fee-rate',
      '10',
      '--out',
      file('u2.json'),
    ])
    expect(r.code).toBe(2)
    expect(r.err).toContain(`bad-utxos.csv:2: ${PAYEE} is not the cold wallet's address at 0/2`)
  }, 60_000)
})
