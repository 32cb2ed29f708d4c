/**
 * Cases Bulwark opens on its own, through the server on the real database: a deposit from a
 * sanctioned sender (the EVM watcher running as a server job on a dev chain, screened against
 * GUARD_ADDRESS_LISTS) opens one case in the analysts' queue with the screening reasons, and a
 * document number already used on another account opens one case naming both accounts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Address, createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { SPECIMEN_VISUAL, specimenPassportMrz } from '../../test/support/identity.ts'
import { DEMO_EVM_XPUB } from '../custody/index.ts'
import { type DevChain, startDevChain } from '../por/reserves/testing/devchain.ts'
import { openSystemCase, screeningReasons } from './index.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-system-cases-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let chain: DevChain
let t: TestApp
let analyst: { email: string; session: TestSession }
let flaggedSender: Address

beforeAll(async () => {
  chain = await startDevChain()
  const accounts = (await chain.request({ method: 'eth_accounts' })) as Address[]
  flaggedSender = accounts[5]!
  const sanctions = path.join(dir, 'sanctioned_addresses_ETH.txt')
  writeFileSync(sanctions, `${flaggedSender.toLowerCase()}\n`)
  t = await createTestApp({
    CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
    CUSTODY_CONFIRMATIONS: 'ETH=2',
    CUSTODY_EVM_RPC_URL: chain.url,
    CUSTODY_EVM_POLL_SECONDS: '1',
    GUARD_ADDRESS_LISTS: sanctions,
  })
  const staff = await t.createStaff('risk_analyst')
  analyst = { email: staff.email, session: staff.session }
}, 120_000)
afterAll(async () => {
  await t?.close()
  await chain?.close()
})

async function call(session: TestSession, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await t.app.inject({
    method,
    url,
    headers: session.headers,
    ...(payload ? { payload } : {}),
  })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: response.json() as Record<string, any> }
}

/** The analyst's session, fresh: tests wait on the chain and the clock may pass the idle limit. */
async function asAnalyst() {
  analyst.session = await t.signIn(analyst.email)
  return analyst.session
}

describe('a deposit held by screening', () => {
  it('opens one case, by Bulwark, in the analysts’ queue with the screening reasons, linked to the deposit', async () => {
    const { user, session } = await t.createCustomer('held-depositor')
    const to = (await call(session, 'GET', '/api/custody/deposit-address?asset=ETH')).body.depositAddress
      .address as Address
    // Let the watcher take its starting point before the deposit is mined.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
    const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: flaggedSender })
    await client.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to, value: parseEther('0.5') }),
    })
    await chain.request({ method: 'evm_mine', params: [] })
    let deposit: { id: string; status: string } | undefined
    for (let i = 0; i < 80 && deposit?.status !== 'under_review'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      deposit = (await call(session, 'GET', '/api/custody/deposits')).body.deposits[0]
    }
    expect(deposit?.status).toBe('under_review')

    const queue = await call(await asAnalyst(), 'GET', `/api/risk/cases?status=open&account=${user.id}`)
    expect(queue.status).toBe(200)
    expect(queue.body.cases).toHaveLength(1)
    const [opened] = queue.body.cases
    expect(opened).toMatchObject({
      account: user.id,
      status: 'open',
      assignee: null,
      openedBy: { kind: 'system', source: 'deposit_screening', label: 'Bulwark (deposit screening)' },
      links: expect.arrayContaining([
        { kind: 'account', ref: user.id },
        { kind: 'deposit', ref: deposit!.id },
      ]),
    })
    expect(opened.reasons).toEqual([
      { code: 'SANCTIONED', text: expect.stringContaining('is on a sanctions list') },
    ])

    const view = await call(analyst.session, 'GET', `/api/risk/cases/${opened.id}`)
    expect(view.body).toMatchObject({ id: opened.id, openedBy: opened.openedBy, reasons: opened.reasons })
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', 'risk.case_opened')
      .where('target', '=', `risk_case:${opened.id}`)
      .execute()
    expect(audit).toEqual([
      {
        actor: 'system:deposit_screening',
        details: expect.objectContaining({ account: user.id, key: `deposit:${deposit!.id}` }),
      },
    ])

    // The same deposit reported again (a retried hook, another poll of the watcher): no second case.
    const again = await openSystemCase(t.db, {
      source: 'deposit_screening',
      key: `deposit:${deposit!.id}`,
      account: user.id,
      links: [{ kind: 'deposit', ref: deposit!.id }],
      reasons: opened.reasons,
      at: t.clock.now(),
    })
    expect(again).toEqual({ caseId: opened.id, opened: false })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(
      (await call(analyst.session, 'GET', `/api/risk/cases?account=${user.id}`)).body.cases,
    ).toHaveLength(1)
    expect(
      await t.db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'risk.case_opened')
        .where('target', '=', `risk_case:${opened.id}`)
        .execute(),
    ).toHaveLength(1)

    // An analyst works a system case like any other.
    expect((await call(analyst.session, 'POST', `/api/risk/cases/${opened.id}/assign`, {})).status).toBe(200)
    const resolved = await call(analyst.session, 'POST', `/api/risk/cases/${opened.id}/resolve`, {
      resolution: 'fraud',
    })
    expect(resolved.status).toBe(200)
    expect((await call(analyst.session, 'GET', `/api/risk/cases/${opened.id}`)).body).toMatchObject({
      status: 'resolved',
      resolution: 'fraud',
      openedBy: { kind: 'system' },
    })
  }, 60_000)
})

describe('a duplicate identity document', () => {
  const PNG =
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
  const submission = (documentNumber: string) => {
    return {
      document: { contentType: 'image/png', data: PNG },
      selfie: { contentType: 'image/png', data: PNG },
      mrz: specimenPassportMrz(t.clock.now(), { documentNumber }),
      visual: SPECIMEN_VISUAL,
    }
  }

  it('opens one case on the second account naming both accounts, found from either', async () => {
    const first = await t.createCustomer('doc-first')
    const second = await t.createCustomer('doc-second')
    const submit = (s: TestSession) => call(s, 'POST', '/api/identity/verifications', submission('SYSC12345'))
    expect((await submit(first.session)).status).toBe(200)
    expect(
      (await call(await asAnalyst(), 'GET', `/api/risk/cases?account=${first.user.id}`)).body.cases,
    ).toEqual([])
    expect((await submit(second.session)).status).toBe(200)

    const fromSecond = await call(await asAnalyst(), 'GET', `/api/risk/cases?account=${second.user.id}`)
    expect(fromSecond.body.cases).toHaveLength(1)
    const [opened] = fromSecond.body.cases
    expect(opened).toMatchObject({
      account: second.user.id,
      openedBy: {
        kind: 'system',
        source: 'identity_duplicate',
        label: 'Bulwark (duplicate identity documents)',
      },
      reasons: [{ code: 'DUPLICATE_DOCUMENT', text: expect.stringContaining('1 other account') }],
    })
    const accounts = opened.links
      .filter((l: { kind: string }) => l.kind === 'account')
      .map((l: { ref: string }) => l.ref)
    expect(accounts.sort()).toEqual([first.user.id, second.user.id].sort())
    expect(opened.links.filter((l: { kind: string }) => l.kind === 'identity_verification')).toHaveLength(2)
    // The document number itself is not in the case.
    expect(JSON.stringify(opened)).not.toContain('SYSC12345')

    const fromFirst = await call(analyst.session, 'GET', `/api/risk/cases?account=${first.user.id}`)
    expect(fromFirst.body.cases.map((c: { id: string }) => c.id)).toEqual([opened.id])
    const audit = await t.db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'risk.case_opened')
      .where('target', '=', `risk_case:${opened.id}`)
      .execute()
    expect(audit).toEqual([{ actor: 'system:identity_duplicate' }])
  }, 60_000)
})

describe('screening reasons', () => {
  it('reads `CODE: detail` into a coded reason, and names an unexplained flag', () => {
    expect(screeningReasons(['SANCTIONED: on the OFAC list', 'listed somewhere'])).toEqual([
      { code: 'SANCTIONED', text: 'on the OFAC list' },
      { code: 'SCREENING_FLAGGED', text: 'listed somewhere' },
    ])
    expect(screeningReasons([])).toEqual([
      { code: 'SCREENING_FLAGGED', text: 'Deposit screening flagged the sender without giving a reason.' },
    ])
  })
})
