/**
 * Issue #14 proof, kill -9: on a real PostgreSQL (CI's second run gives DATABASE_URL; otherwise the
 * test starts a throwaway server, since PGlite is one process's file and a killed child could not
 * share it with the test), withdrawals are approved for the hot wallet (three more before each run)
 * and the processor — `bulwark custody withdrawals process`, a
 * child process — is killed with SIGKILL at random points, 20 times, and restarted, while blocks
 * are mined in between. Afterwards every withdrawal is confirmed, each destination received its
 * amount exactly once, the hot wallet sent exactly one transaction per withdrawal (nothing was
 * broadcast twice or re-signed with a new nonce), and the ledger verifies clean.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { createPublicClient, getAddress, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger } from '../../src/custody/ledger.ts'
import { createPolicyStore, DEFAULT_POLICY } from '../../src/custody/policy.ts'
import { createWithdrawals } from '../../src/custody/withdrawals.ts'
import { systemClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'
import { createUser } from '../../src/platform/identity/users.ts'
import { type DevChain, startDevChain } from '../../src/por/reserves/testing/devchain.ts'
import {
  createScratchDatabase,
  dropScratchDatabase,
  type TestPostgres,
  usePostgres,
} from '../support/postgres.ts'

const ETH = 10n ** 18n
const KILLS = 20
// A child can finish its batch before the random kill moment on a busy machine; such a run does not
// count, and another one starts (3 more withdrawals arrive before each), up to this many runs.
const MAX_RUNS = 40
let postgres: TestPostgres
const bin = path.resolve(import.meta.dirname, '../../bin/bulwark.js')

let chain: DevChain
let handle: DatabaseHandle
let crashUrl = ''
const hotKey = generatePrivateKey()
const hot = privateKeyToAccount(hotKey).address
const destinations: `0x${string}`[] = []
let service: ReturnType<typeof createWithdrawals>
let customerId = ''

/** New requests keep arriving: three more approved hot-wallet withdrawals. */
async function arrive() {
  for (let k = 0; k < 3; k++) {
    const i = destinations.length
    const to = getAddress(`0x${bytesToHex(randomBytes(20))}`)
    destinations.push(to)
    const row = await service.request({
      userId: customerId,
      via: 'api_key',
      asset: 'ETH',
      amount: `0.${String(i + 10).padStart(3, '0')}`,
      network: 'ethereum',
      address: to,
      idempotencyKey: `crash-${i}`,
    })
    expect(row.status).toBe('approved')
    expect(row.signing_mode).toBe('hot')
  }
}

describe('kill -9 of the withdrawal processor (PostgreSQL)', () => {
  beforeAll(async () => {
    postgres = await usePostgres()
    chain = await startDevChain()
    await chain.request({ method: 'hardhat_setBalance', params: [hot, `0x${(1000n * ETH).toString(16)}`] })
    // A database of its own: the child processes open it by URL, as an operator's would.
    crashUrl = await createScratchDatabase(postgres.url, 'crash')
    handle = await openDatabase({ databaseUrl: crashUrl })
    await migrateToLatest(handle.db as never)
    const db = handle.db
    const config = loadConfig({ LOG_LEVEL: 'silent' })
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) =>
        createUser(db, {
          email: `crash-${n}@staff.bulwark`,
          displayName: n,
          kind: 'staff',
          role: 'custody_approver',
          password: 'crash-password-long-enough',
        }),
      ),
    )
    const policies = createPolicyStore({ db, clock: systemClock })
    const p = await policies.propose(
      { ...DEFAULT_POLICY, rules: [] },
      a!.id,
      'auto-approve for the crash test',
    )
    await policies.approve(p.version, b!.id)
    const customer = await createUser(db, {
      email: 'crash@test.bulwark',
      displayName: 'crash',
      kind: 'customer',
      password: 'crash-password-long-enough',
    })
    await createLedger({ db }).creditDeposit(db, {
      key: 'crash:fund',
      ref: 'test',
      owner: customer.id,
      asset: 'ETH',
      amount: 100n * ETH,
    })
    service = createWithdrawals({
      db,
      clock: systemClock,
      config,
      accounts: { db, clock: systemClock, config },
      hotSigner: true,
    })
    customerId = customer.id
  }, 120_000)
  afterAll(async () => {
    await handle?.close()
    await chain?.close()
    if (crashUrl) await dropScratchDatabase(postgres.url, crashUrl)
    await postgres?.stop()
  })

  const env = () => ({
    ...process.env,
    DATABASE_URL: crashUrl,
    CUSTODY_EVM_RPC_URL: chain.url,
    CUSTODY_HOT_WALLET_KEY: hotKey,
    CUSTODY_CONFIRMATIONS: 'ETH=2,USDT=2,USDC=2,BTC=3',
    LOG_LEVEL: 'silent',
  })
  const run = (): ChildProcess =>
    spawn(process.execPath, [bin, 'custody', 'withdrawals', 'process'], { env: env(), stdio: 'ignore' })
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
      else child.once('exit', (code) => resolve(code))
    })
  const mine = async (n: number) => {
    for (let i = 0; i < n; i++) await chain.request({ method: 'evm_mine', params: [] })
  }

  const transitions = async () =>
    Number(
      (
        await handle.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('action', 'like', 'custody.withdrawal_%')
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('survives 20 kills at random points: every withdrawal paid exactly once', async () => {
    let killed = 0
    let statuses: Record<string, number> = {}
    for (let runs = 0; killed < KILLS && runs < MAX_RUNS; runs++) {
      await arrive()
      const child = run()
      // Wait until this child has done some work (an audit entry of a withdrawal transition), then
      // kill it a random moment later: mid-signing, between the record and the send, mid-tracking.
      const before = await transitions()
      const deadline = Date.now() + 15_000
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
        if ((await transitions()) > before) break
        await new Promise((r) => setTimeout(r, 20))
      }
      await new Promise((r) => setTimeout(r, Math.random() * 60))
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        killed++
      }
      await exited(child)
      await mine(1)
    }
    const N = destinations.length
    // The kills landed while work was being done: some withdrawals moved on between them.
    const afterKills = await handle.db.selectFrom('custody_withdrawals').select('status').execute()
    const progressed = afterKills.filter((r) => r.status !== 'approved').length
    expect(progressed).toBeGreaterThan(0)
    // Then let it finish: run to completion until everything is confirmed.
    for (let round = 0; round < 15; round++) {
      const child = run()
      expect(await exited(child)).toBe(0)
      await mine(2)
      const rows = await handle.db.selectFrom('custody_withdrawals').select('status').execute()
      statuses = Object.fromEntries(
        [...new Set(rows.map((r) => r.status))].map((s) => [s, rows.filter((r) => r.status === s).length]),
      )
      if (statuses.confirmed === N) break
    }
    console.info(
      `crash: ${killed} of ${KILLS} children killed mid-run; ${progressed} of ${N} had moved on during the kills`,
      statuses,
    )
    expect(killed).toBe(KILLS)
    expect(statuses).toEqual({ confirmed: N })

    const client = createPublicClient({ transport: http(chain.url) })
    // One transaction per withdrawal from the hot wallet: nothing sent twice, no second signature.
    expect(await client.getTransactionCount({ address: hot })).toBe(N)
    for (let i = 0; i < N; i++) {
      expect(await client.getBalance({ address: destinations[i]! })).toBe((BigInt(i + 10) * ETH) / 1000n)
    }
    const rows = await handle.db
      .selectFrom('custody_withdrawals')
      .select(['id', 'tx_hash', 'nonce'])
      .execute()
    expect(new Set(rows.map((r) => r.nonce)).size).toBe(N)
    const completions = await handle.db
      .selectFrom('custody_transactions')
      .select('idempotency_key')
      .where('idempotency_key', 'like', 'withdrawal:%:complete')
      .execute()
    expect(completions).toHaveLength(N)
    expect((await createLedger({ db: handle.db }).verify(handle.db)).ok).toBe(true)
  }, 300_000)
})
