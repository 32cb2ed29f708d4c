/**
 * Issue #18 part 6: the Travel Rule between two Bulwark instances listening on loopback. Exchange A
 * sends a withdrawal's IVMS101 data to exchange B in a signed message; B answers with a signed
 * accept (the withdrawal continues) or reject (the withdrawal is rejected, funds back once). B
 * refuses a message with a bad signature, a replayed nonce and a stale timestamp. A deposit from A's
 * address without data is held on B and released when the data arrives or a compliance officer
 * decides; a self-hosted wallet needs a message signed with the address. When the beneficiary
 * has an approved identity on B, B accepts only data naming that person.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createTravelRule } from '../../src/compliance/index.ts'
import { header_, sign, type TransferMessage } from '../../src/compliance/protocol.ts'
import { createCustody, DEMO_EVM_XPUB } from '../../src/custody/index.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { composeMrz } from '../../src/identity/index.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

const HOUR = 3_600_000
const ETH = 10n ** 18n
const KEY_A = '0a'.repeat(32)
const KEY_B = '0b'.repeat(32)
const KEK = '5e'.repeat(32)
/** The on-chain address exchange A pays withdrawals from (in B's directory). */
const A_HOT_WALLET = '0x1111111111111111111111111111111111111111'
const pub = (secret: string) => bytesToHex(ed25519.getPublicKey(Uint8Array.from(Buffer.from(secret, 'hex'))))

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
type Body = Record<string, any>
type Side = { t: TestApp; url: string; officerEmail: string }
let A: Side
let B: Side

async function call(side: Side, session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await side.t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  return { status: response.statusCode, body: response.json() as Body }
}

/** A compliance officer's session signed in now (sessions end 12 h after sign-in; the tests move clocks). */
function officer(side: Side): Promise<TestSession> {
  return side.t.signIn(side.officerEmail)
}

/** Both exchanges' clocks read the same time (messages older than 5 minutes are refused). */
function sync() {
  B.t.clock.set(A.t.clock.now())
}

async function side(id: string, key: string): Promise<Side> {
  const t = await createTestApp({
    TRAVEL_RULE_VASP_ID: id,
    TRAVEL_RULE_VASP_NAME: `Exchange ${id}`,
    TRAVEL_RULE_SIGNING_KEY: key,
    TRAVEL_RULE_JURISDICTION: 'EU',
    DATA_KEK: KEK,
    CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
  })
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  const officer = await t.createStaff('compliance_officer')
  return { t, url, officerEmail: officer.email }
}

type Customer = { id: string; email: string; session: TestSession }

/** A customer of A with TOTP on, 10 ETH, past the 24 h lock that turning TOTP on starts. */
async function sender(name: string): Promise<Customer> {
  const { user, email, session } = await A.t.createCustomer(name)
  const { secret } = (await call(A, session, 'POST', '/api/accounts/totp/setup', {})).body
  const confirm = await call(A, session, 'POST', '/api/accounts/totp/confirm', {
    code: totpCodeAt(secret, A.t.clock.now()),
  })
  expect(confirm.status).toBe(200)
  A.t.rememberTotp(email, secret)
  await createLedger({ db: A.t.db }).creditDeposit(A.t.db, {
    key: `test:fund:${user.id}`,
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: 10n * ETH,
  })
  A.t.clock.advance(25 * HOUR)
  sync()
  return { id: user.id, email, session: await A.t.signIn(email) }
}

/** A customer of B and their ETH deposit address there. */
async function recipient(name: string) {
  const { user, session } = await B.t.createCustomer(name)
  const r = await call(B, session, 'GET', '/api/custody/deposit-address?asset=ETH')
  expect(r.status).toBe(200)
  return { id: user.id, session, address: r.body.depositAddress.address as string }
}

let n = 0
async function withdraw(c: Customer, amount: string, address: string) {
  const r = await call(A, c.session, 'POST', '/api/custody/withdrawals', {
    asset: 'ETH',
    amount,
    network: 'ethereum',
    address,
    idempotencyKey: `tr-${++n}`,
    totpCode: A.t.nextStaffCode(c.email),
  })
  sync()
  return r
}

async function available(t: TestApp, owner: string) {
  const rows = await createLedger({ db: t.db }).balances(t.db, owner)
  const of = (kind: string) => rows.find((r) => r.asset === 'ETH' && r.kind === kind)?.balance ?? 0n
  return { available: of('available'), pending: of('pending_withdrawal'), held: of('held_deposit') }
}

beforeAll(async () => {
  A = await side('vasp-a', KEY_A)
  B = await side('vasp-b', KEY_B)
  sync()
  const a = await call(A, await officer(A), 'PUT', '/api/staff/travel-rule/vasps/vasp-b', {
    name: 'Exchange B',
    baseUrl: B.url,
    publicKey: pub(KEY_B),
    jurisdiction: 'DE',
  })
  expect(a.status).toBe(200)
  const b = await call(B, await officer(B), 'PUT', '/api/staff/travel-rule/vasps/vasp-a', {
    name: 'Exchange A',
    baseUrl: A.url,
    publicKey: pub(KEY_A),
    jurisdiction: 'FR',
    addresses: [A_HOT_WALLET],
  })
  expect(b.status).toBe(200)
}, 120_000)
afterAll(async () => {
  await A?.t.close()
  await B?.t.close()
})

describe('a withdrawal to another VASP above the threshold', () => {
  it('is refused until the customer says whose the address is', async () => {
    const c = await sender('undeclared')
    const bob = await recipient('bob-undeclared')
    const r = await withdraw(c, '0.01', bob.address)
    expect(r.status).toBe(409)
    expect(r.body.code).toBe('TRAVEL_RULE_DESTINATION_UNDECLARED')
    expect(await available(A.t, c.id)).toMatchObject({ available: 10n * ETH, pending: 0n })
  })

  it('carries IVMS101 data to the beneficiary VASP, which accepts it with a signed answer; the withdrawal continues and B sees the names', async () => {
    const c = await sender('alice')
    const bob = await recipient('bob')
    const vasps = await call(A, c.session, 'GET', '/api/travel-rule/vasps')
    expect(vasps.body.vasps).toEqual([{ id: 'vasp-b', name: 'Exchange B' }])
    const declared = await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address: bob.address,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'natural', firstName: 'Bob', lastName: 'Beneficiary' },
    })
    expect(declared.status).toBe(201)

    const r = await withdraw(c, '0.02', bob.address)
    expect(r.status).toBe(201)
    const w = r.body.withdrawal
    expect(w.steps.findLast((s: Body) => s.step === 'travel_rule')).toMatchObject({ verdict: 'pass' })
    expect(w.reasonCode).not.toBe('TRAVEL_RULE_PENDING')
    expect(['approved', 'awaiting_approval', 'held_for_review']).toContain(w.status)

    const theirs = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    const inbound = theirs.find((x: Body) => x.destination.toLowerCase() === bob.address.toLowerCase())
    expect(inbound).toMatchObject({
      direction: 'inbound',
      status: 'accepted',
      vaspName: 'Exchange A',
      originator: 'alice',
      beneficiary: 'Bob Beneficiary',
      amount: '0.02',
    })
    const ours = (await call(A, await officer(A), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    expect(ours.find((x: Body) => x.withdrawalId === w.id)).toMatchObject({
      direction: 'outbound',
      status: 'accepted',
      transferId: inbound.transferId,
    })
    // The payload B stored is the IVMS101 A sent, sealed at rest.
    const payload = await call(
      B,
      await officer(B),
      'GET',
      `/api/staff/travel-rule/transfers/${inbound.id}/payload`,
    )
    expect(payload.body.ivms101.originatingVASP.originatingVASP.legalPerson.name.nameIdentifier[0]).toEqual({
      legalPersonName: 'Exchange vasp-a',
      legalPersonNameIdentifierType: 'LEGL',
    })
    const raw = await B.t.db
      .selectFrom('travel_rule_transfers')
      .select(['ivms101', 'originator_name'])
      .where('id', '=', inbound.id)
      .executeTakeFirstOrThrow()
    expect(raw.ivms101.startsWith('enc1:')).toBe(true)
    expect(raw.ivms101).not.toContain('alice')
    expect(raw.originator_name.startsWith('enc1:')).toBe(true)

    // Once A broadcasts, B receives the transaction hash in a signed notice.
    const txHash = `0x${'ab'.repeat(32)}`
    await A.t.db.updateTable('custody_withdrawals').set({ tx_hash: txHash }).where('id', '=', w.id).execute()
    const due = await call(A, await officer(A), 'POST', '/api/staff/travel-rule/send-due')
    expect(due.body).toMatchObject({ broadcasts: 1 })
    const after = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    expect(after.find((x: Body) => x.id === inbound.id).txHash).toBe(txHash)

    const actions = async (t: TestApp) =>
      (
        await t.db.selectFrom('audit_log').select('action').where('action', 'like', 'travel_rule.%').execute()
      ).map((e) => e.action)
    expect(await actions(A.t)).toEqual(
      expect.arrayContaining([
        'travel_rule.vasp_added',
        'travel_rule.destination_declared',
        'travel_rule.transfer_sent',
        'travel_rule.transfer_accepted',
        'travel_rule.broadcast_sent',
      ]),
    )
    expect(await actions(B.t)).toEqual(
      expect.arrayContaining([
        'travel_rule.transfer_received_accepted',
        'travel_rule.payload_viewed',
        'travel_rule.broadcast_received',
      ]),
    )
  })

  it('is rejected with TRAVEL_RULE_REJECTED when the beneficiary VASP rejects the data, and the funds come back once', async () => {
    const c = await sender('carol')
    // Not a deposit address of any customer of B: B rejects it.
    const stranger = '0x2222222222222222222222222222222222222222'
    await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address: stranger,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'legal', name: 'Nobody Ltd' },
    })
    const r = await withdraw(c, '0.03', stranger)
    expect(r.status).toBe(201)
    expect(r.body.withdrawal).toMatchObject({ status: 'rejected', reasonCode: 'TRAVEL_RULE_REJECTED' })
    expect(r.body.withdrawal.statusText).toMatch(/declined the sender and recipient details/)
    expect(await available(A.t, c.id)).toMatchObject({ available: 10n * ETH, pending: 0n })
    const refunds = await A.t.db
      .selectFrom('custody_transactions')
      .select('idempotency_key')
      .where('idempotency_key', '=', `withdrawal:${r.body.withdrawal.id}:refund`)
      .execute()
    expect(refunds).toHaveLength(1)
    const theirs = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    expect(theirs.find((x: Body) => x.destination.toLowerCase() === stranger)).toMatchObject({
      status: 'rejected',
      reason: 'BENEFICIARY_ADDRESS_UNKNOWN',
    })
  })

  it('waits when the beneficiary VASP’s answer is not signed by its directory key, and a compliance officer can reject it', async () => {
    const c = await sender('dave')
    const bob = await recipient('bob-2')
    // A's directory holds a wrong key for B: B's genuine answer does not verify.
    await call(A, await officer(A), 'PUT', '/api/staff/travel-rule/vasps/vasp-b', {
      name: 'Exchange B',
      baseUrl: B.url,
      publicKey: pub('0c'.repeat(32)),
      jurisdiction: 'DE',
    })
    await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address: bob.address,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'natural', firstName: 'Bob', lastName: 'Second' },
    })
    const r = await withdraw(c, '0.04', bob.address)
    await call(A, await officer(A), 'PUT', '/api/staff/travel-rule/vasps/vasp-b', {
      name: 'Exchange B',
      baseUrl: B.url,
      publicKey: pub(KEY_B),
      jurisdiction: 'DE',
    })
    expect(r.body.withdrawal).toMatchObject({ status: 'held_for_review', reasonCode: 'TRAVEL_RULE_PENDING' })
    const ours = (await call(A, await officer(A), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    const pending = ours.find((x: Body) => x.withdrawalId === r.body.withdrawal.id)
    expect(pending).toMatchObject({ status: 'pending' })
    expect(pending.lastError).toMatch(/signature/)
    expect(await auditOf(A.t, 'travel_rule.vasp_changed')).toContainEqual(
      expect.objectContaining({ target: 'vasp:vasp-b' }),
    )
    expect(await auditOf(A.t, 'travel_rule.signature_refused')).toContainEqual(
      expect.objectContaining({ target: `travel_rule:${pending.id}`, actor: 'vasp:vasp-b' }),
    )
    expect((await available(A.t, c.id)).pending).toBe(4n * 10n ** 16n + (await fee(c.id)))

    // The risk team cannot release it past the Travel Rule; compliance rejects it and the funds return.
    const analyst = await A.t.createStaff('risk_analyst')
    const release = await call(
      A,
      analyst.session,
      'POST',
      `/api/staff/custody/withdrawals/${r.body.withdrawal.id}/release`,
      {
        note: 'looks fine',
      },
    )
    expect(release.body.code).toBe('TRAVEL_RULE_PENDING')
    const rejected = await call(
      A,
      await officer(A),
      'POST',
      `/api/staff/travel-rule/transfers/${pending.id}/reject`,
      {
        note: 'B does not answer with its key',
      },
    )
    expect(rejected.status).toBe(200)
    const w = await call(A, c.session, 'GET', `/api/custody/withdrawals/${r.body.withdrawal.id}`)
    expect(w.body.withdrawal).toMatchObject({ status: 'rejected', reasonCode: 'TRAVEL_RULE_REJECTED' })
    expect(await available(A.t, c.id)).toMatchObject({ available: 10n * ETH, pending: 0n })
  })
})

describe('a transfer to a customer of B, checked against the identity B approved', () => {
  const PNG =
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
  const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('selfie')]).toString(
    'base64',
  )

  /** A customer of B who verified a passport in this name, approved by B's compliance officer. */
  async function verified(label: string, documentNumber: string, surname: string, givenNames: string) {
    const who = await recipient(label)
    const year = (B.t.clock.now().getUTCFullYear() + 5) % 100
    const mrz = composeMrz({
      format: 'TD3',
      issuingState: 'DEU',
      documentNumber,
      nationality: 'DEU',
      birthDate: '880412',
      sex: 'F',
      expiryDate: `${String(year).padStart(2, '0')}0101`,
      surname,
      givenNames,
    })
    const submitted = await call(B, who.session, 'POST', '/api/identity/verifications', {
      document: { contentType: 'image/png', data: PNG },
      selfie: { contentType: 'image/jpeg', data: JPEG },
      mrz,
      visual: { surname, givenNames },
    })
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200)
    const queue = await call(B, await officer(B), 'GET', '/api/identity/staff/verifications?status=review')
    const id = queue.body.verifications.find((v: Body) => v.userId === who.id).id
    const decided = await call(
      B,
      await officer(B),
      'POST',
      `/api/identity/staff/verifications/${id}/decision`,
      {
        decision: 'approved',
        note: 'passport checked',
      },
    )
    expect(decided.body.status).toBe('approved')
    return who
  }

  async function declare(c: Customer, address: string, firstName: string, lastName: string) {
    const r = await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'natural', firstName, lastName },
    })
    expect(r.status).toBe(201)
  }

  const received = async (address: string) =>
    (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.transfers.find(
      (x: Body) => x.destination.toLowerCase() === address.toLowerCase(),
    )
  /** The outcome of the name check B audit-logged for the transfer it received for `address`. */
  async function nameCheckOf(address: string) {
    const { transferId } = await received(address)
    const entries = await B.t.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', 'like', 'travel_rule.transfer_received_%')
      .execute()
    return entries.map((e) => e.details as Body).find((d) => d.transferId === transferId)?.nameCheck
  }

  it('is accepted when the data names the document holder (case, accents and a middle name aside)', async () => {
    const c = await sender('kurt')
    const anna = await verified('anna', 'TRN000001', 'MUELLER', 'ANNA MARIA')
    await declare(c, anna.address, 'Anna', 'Müller')
    const r = await withdraw(c, '0.01', anna.address)
    expect(r.status).toBe(201)
    expect(travelRuleOf(r.body)).toMatchObject({ verdict: 'pass' })
    expect(await received(anna.address)).toMatchObject({ status: 'accepted', beneficiary: 'Anna Müller' })
    expect(await nameCheckOf(anna.address)).toBe('match')
  })

  it('is rejected with BENEFICIARY_NAME_MISMATCH when the data names someone else, and the sender gets the funds back', async () => {
    const c = await sender('lena')
    const kim = await verified('kim', 'TRN000002', 'LEE', 'KIM')
    await declare(c, kim.address, 'Kim', 'Park')
    const r = await withdraw(c, '0.02', kim.address)
    expect(r.status).toBe(201)
    expect(r.body.withdrawal).toMatchObject({ status: 'rejected', reasonCode: 'TRAVEL_RULE_REJECTED' })
    expect(await available(A.t, c.id)).toMatchObject({ available: 10n * ETH, pending: 0n })
    expect(await received(kim.address)).toMatchObject({
      status: 'rejected',
      reason: 'BENEFICIARY_NAME_MISMATCH',
      beneficiary: 'Kim Park',
    })
    const ours = (await call(A, await officer(A), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    expect(ours.find((x: Body) => x.withdrawalId === r.body.withdrawal.id)).toMatchObject({
      status: 'rejected',
      reason: 'BENEFICIARY_NAME_MISMATCH',
    })
    expect(await nameCheckOf(kim.address)).toBe('mismatch')
  })

  it('is accepted as before, whatever the name, when the customer has no approved identity', async () => {
    const c = await sender('max')
    const unverified = await recipient('unverified')
    await declare(c, unverified.address, 'Someone', 'Else')
    const r = await withdraw(c, '0.03', unverified.address)
    expect(travelRuleOf(r.body)).toMatchObject({ verdict: 'pass' })
    expect(await received(unverified.address)).toMatchObject({ status: 'accepted' })
    expect(await nameCheckOf(unverified.address)).toBe('no_identity')
  })
})

/** B listed at `baseUrl` in A's directory, with its real key. */
const listB = async (baseUrl: string) =>
  call(A, await officer(A), 'PUT', '/api/staff/travel-rule/vasps/vasp-b', {
    name: 'Exchange B',
    baseUrl,
    publicKey: pub(KEY_B),
    jurisdiction: 'DE',
  })

/**
 * A withdrawal from customer `name` to a customer of B (`lastName`) sent while B does not answer
 * (nothing listens on port 9 of the loopback interface): it waits, TRAVEL_RULE_PENDING, with its
 * transfer pending in A's queue. B is listed at its real address again afterwards.
 */
async function unansweredTransfer(name: string, recipientName: string, lastName: string, amount: string) {
  const c = await sender(name)
  const bob = await recipient(recipientName)
  expect((await listB('http://127.0.0.1:9')).status).toBe(200)
  await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
    kind: 'vasp',
    network: 'ethereum',
    address: bob.address,
    vaspId: 'vasp-b',
    beneficiary: { kind: 'natural', firstName: 'Bob', lastName },
  })
  const r = await withdraw(c, amount, bob.address)
  await listB(B.url)
  expect(r.body.withdrawal).toMatchObject({ status: 'held_for_review', reasonCode: 'TRAVEL_RULE_PENDING' })
  const pending = (
    await call(A, await officer(A), 'GET', '/api/staff/travel-rule/queue')
  ).body.transfers.find((x: Body) => x.withdrawalId === r.body.withdrawal.id)
  expect(pending).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/^no answer/) })
  return { c, withdrawalId: r.body.withdrawal.id as string, pending }
}

describe('an unanswered transfer that staff send again', () => {
  it('is delivered once B answers, the withdrawal goes on, and the resend is audit-logged with who sent it', async () => {
    const { c, withdrawalId, pending } = await unansweredTransfer('uma', 'bob-4', 'Fourth', '0.06')
    const retry = await call(
      A,
      await officer(A),
      'POST',
      `/api/staff/travel-rule/transfers/${pending.id}/retry`,
    )
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual({ status: 'accepted', lastError: null })
    const w = (await call(A, c.session, 'GET', `/api/custody/withdrawals/${withdrawalId}`)).body.withdrawal
    expect(w.reasonCode).not.toBe('TRAVEL_RULE_PENDING')
    expect(['approved', 'awaiting_approval', 'held_for_review', 'signing', 'broadcast']).toContain(w.status)
    const theirs = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.transfers
    expect(theirs.find((x: Body) => x.transferId === pending.transferId)).toMatchObject({
      status: 'accepted',
      beneficiary: 'Bob Fourth',
    })
    const retried = (await auditOf(A.t, 'travel_rule.transfer_retried')).filter(
      (e) => e.target === `travel_rule:${pending.id}`,
    )
    expect(retried).toEqual([
      {
        actor: expect.stringMatching(/^staff:/),
        target: `travel_rule:${pending.id}`,
        details: { vasp: 'vasp-b' },
      },
    ])
  })
})

describe('an unanswered transfer whose withdrawal the customer cancels', () => {
  it('is not sent again, and staff cannot resend it', async () => {
    const { c, withdrawalId, pending } = await unansweredTransfer('ivy', 'bob-3', 'Third', '0.05')
    const undelivered = await auditOf(A.t, 'travel_rule.transfer_undelivered')
    expect(undelivered.find((e) => e.target === `travel_rule:${pending.id}`)?.details).toMatchObject({
      why: expect.stringMatching(/^no answer/),
    })
    const cancelled = await call(A, c.session, 'POST', `/api/custody/withdrawals/${withdrawalId}/cancel`, {})
    expect(cancelled.body.withdrawal.status).toBe('cancelled')
    expect((await call(A, await officer(A), 'POST', '/api/staff/travel-rule/send-due')).body.resent).toBe(0)
    const retry = await call(
      A,
      await officer(A),
      'POST',
      `/api/staff/travel-rule/transfers/${pending.id}/retry`,
    )
    expect(retry.status).toBe(409)
    expect(retry.body.code).toBe('TRAVEL_RULE_STATE')
    expect(await available(A.t, c.id)).toMatchObject({ available: 10n * ETH, pending: 0n })
  })
})

const travelRuleOf = (body: Body) => body.withdrawal.steps.findLast((s: Body) => s.step === 'travel_rule')

/** The audit entries of one action, oldest first. */
async function auditOf(t: TestApp, action: string) {
  return (
    await t.db
      .selectFrom('audit_log')
      .select(['actor', 'target', 'details'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute()
  ).map((e) => ({ ...e, details: e.details as Body }))
}

/** The fee A's policy charged on the customer's pending withdrawal (pending = amount + fee). */
async function fee(userId: string): Promise<bigint> {
  const w = await A.t.db
    .selectFrom('custody_withdrawals')
    .select('fee')
    .where('user_id', '=', userId)
    .where('status', '=', 'held_for_review')
    .executeTakeFirstOrThrow()
  return BigInt(w.fee)
}

describe('messages B refuses', () => {
  const transfer = (destination: string, at: Date): TransferMessage => ({
    ...header_('vasp-a', 'vasp-b', at),
    type: 'transfer',
    transferId: crypto.randomUUID(),
    transfer: { asset: 'ETH', network: 'ethereum', amount: '1', destination },
    ivms101: {
      originator: {
        originatorPersons: [
          {
            naturalPerson: {
              name: { nameIdentifier: [{ primaryIdentifier: 'Mallory', nameIdentifierType: 'LEGL' }] },
              customerIdentification: 'c-1',
            },
          },
        ],
      },
      beneficiary: {
        beneficiaryPersons: [
          {
            naturalPerson: {
              name: { nameIdentifier: [{ primaryIdentifier: 'Bob', nameIdentifierType: 'LEGL' }] },
            },
          },
        ],
      },
      originatingVASP: {
        originatingVASP: {
          legalPerson: {
            name: { nameIdentifier: [{ legalPersonName: 'A', legalPersonNameIdentifierType: 'LEGL' }] },
          },
        },
      },
    },
  })
  const post = (body: unknown) =>
    B.t.app.inject({ method: 'POST', url: '/api/travel-rule/v1/transfers', payload: body as object })

  it('refuses a message signed by another key than the directory’s, or changed after signing', async () => {
    const bob = await recipient('bob-sig')
    const forged = sign(
      transfer(bob.address, B.t.clock.now()),
      Uint8Array.from(Buffer.from('0d'.repeat(32), 'hex')),
    )
    const refusedBefore = (await auditOf(B.t, 'travel_rule.signature_refused')).length
    const r = await post(forged)
    expect(r.statusCode).toBe(401)
    expect(r.json().code).toBe('TRAVEL_RULE_BAD_SIGNATURE')
    const refused = await auditOf(B.t, 'travel_rule.signature_refused')
    expect(refused).toHaveLength(refusedBefore + 1)
    expect(refused.at(-1)).toMatchObject({ actor: 'vasp:vasp-a', target: 'vasp:vasp-a' })
    const genuine = sign(transfer(bob.address, B.t.clock.now()), Uint8Array.from(Buffer.from(KEY_A, 'hex')))
    const message = genuine.message as TransferMessage
    const tampered = {
      ...genuine,
      message: { ...message, transfer: { ...message.transfer, amount: '1000' } },
    }
    expect((await post(tampered)).json().code).toBe('TRAVEL_RULE_BAD_SIGNATURE')
    const unknown = sign(
      { ...transfer(bob.address, B.t.clock.now()), from: 'vasp-z' },
      Uint8Array.from(Buffer.from(KEY_A, 'hex')),
    )
    expect((await post(unknown)).json().code).toBe('TRAVEL_RULE_UNKNOWN_VASP')
  })

  it('refuses a replayed message and a stale one', async () => {
    const bob = await recipient('bob-replay')
    const once = sign(transfer(bob.address, B.t.clock.now()), Uint8Array.from(Buffer.from(KEY_A, 'hex')))
    const first = await post(once)
    expect(first.statusCode).toBe(200)
    expect(first.json().message).toMatchObject({
      type: 'transfer_reply',
      decision: 'accepted',
      from: 'vasp-b',
    })
    const again = await post(once)
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('TRAVEL_RULE_REPLAYED')
    const old = sign(
      transfer(bob.address, new Date(B.t.clock.now().getTime() - 10 * 60_000)),
      Uint8Array.from(Buffer.from(KEY_A, 'hex')),
    )
    expect((await post(old)).json().code).toBe('TRAVEL_RULE_STALE_MESSAGE')
  })

  it('refuses a message addressed to another VASP, and a second transfer with an id already used', async () => {
    const bob = await recipient('bob-dup')
    const key = Uint8Array.from(Buffer.from(KEY_A, 'hex'))
    const elsewhere = sign({ ...transfer(bob.address, B.t.clock.now()), to: 'vasp-c' }, key)
    expect((await post(elsewhere)).json().code).toBe('TRAVEL_RULE_WRONG_RECIPIENT')
    const first = transfer(bob.address, B.t.clock.now())
    expect((await post(sign(first, key))).statusCode).toBe(200)
    // Same transfer id, fresh nonce and signature: not a replay, but the same transfer again.
    const second = { ...transfer(bob.address, B.t.clock.now()), transferId: first.transferId }
    const r = await post(sign(second, key))
    expect(r.statusCode).toBe(409)
    expect(r.json().code).toBe('TRAVEL_RULE_DUPLICATE_TRANSFER')
  })

  it('refuses IVMS101 data that breaks the standard’s constraints, naming the rule', async () => {
    const bob = await recipient('bob-ivms')
    const m = transfer(bob.address, B.t.clock.now())
    const bad = {
      ...m,
      ivms101: {
        ...m.ivms101,
        // C1: a natural originator without address, customer id, national id or birth date.
        originator: {
          originatorPersons: [
            {
              naturalPerson: {
                name: { nameIdentifier: [{ primaryIdentifier: 'M', nameIdentifierType: 'LEGL' }] },
              },
            },
          ],
        },
      },
    }
    const r = await post(sign(bad as never, Uint8Array.from(Buffer.from(KEY_A, 'hex'))))
    expect(r.statusCode).toBe(400)
    expect(r.json().code).toBe('TRAVEL_RULE_INVALID_PAYLOAD')
    expect(r.json().message).toMatch(/C1 OriginatorInformationNaturalPerson/)
  })
})

describe('deposits from a VASP', () => {
  const custodyOf = (t: TestApp) =>
    createCustody({
      db: t.db,
      clock: t.clock,
      config: t.config,
      screen: async () => ({ flagged: false, reasons: [] }),
    })

  async function deposit(owner: { id: string; address: string }, amount: bigint, txid: string) {
    const deposits = custodyOf(B.t).deposits
    const row = await deposits.record({
      chain: 'evm',
      txid,
      outputIndex: -1,
      asset: 'ETH',
      address: owner.address.toLowerCase(),
      userId: owner.id,
      amount,
      sender: A_HOT_WALLET,
      blockNumber: 1n,
      blockHash: `0x${'00'.repeat(32)}`,
      confirmations: 100,
    })
    return deposits.settle(row.id, 100)
  }

  it('holds a deposit from a VASP without Travel Rule data for review; a compliance officer releases it', async () => {
    const eve = await recipient('eve')
    const held = await deposit(eve, 2n * ETH, `0x${'e1'.repeat(32)}`)
    expect(held?.status).toBe('held')
    expect(await available(B.t, eve.id)).toMatchObject({ available: 0n, held: 2n * ETH })
    const queue = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.deposits
    expect(queue.find((d: Body) => d.depositId === held!.id)).toMatchObject({
      status: 'held',
      vaspName: 'Exchange A',
      amount: '2',
    })
    const auditor = await B.t.createStaff('auditor')
    const refused = await call(
      B,
      auditor.session,
      'POST',
      `/api/staff/travel-rule/deposits/${held!.id}/decision`,
      {
        decision: 'release',
        note: 'ok',
      },
    )
    expect(refused.status).toBe(403)
    const released = await call(
      B,
      await officer(B),
      'POST',
      `/api/staff/travel-rule/deposits/${held!.id}/decision`,
      {
        decision: 'release',
        note: 'Exchange A confirmed the sender by email',
      },
    )
    expect(released.status).toBe(200)
    expect(await available(B.t, eve.id)).toMatchObject({ available: 2n * ETH, held: 0n })
    const twice = await call(
      B,
      await officer(B),
      'POST',
      `/api/staff/travel-rule/deposits/${held!.id}/decision`,
      {
        decision: 'release',
        note: 'again',
      },
    )
    expect(twice.body.code).toBe('TRAVEL_RULE_STATE')
    expect(await available(B.t, eve.id)).toMatchObject({ available: 2n * ETH, held: 0n })
  })

  it('keeps a deposit held when a compliance officer decides so ("Keep held"): the funds stay held and the decision is audit-logged', async () => {
    const jo = await recipient('jo')
    const held = await deposit(jo, 3n * ETH, `0x${'e2'.repeat(32)}`)
    expect(held?.status).toBe('held')
    const kept = await call(
      B,
      await officer(B),
      'POST',
      `/api/staff/travel-rule/deposits/${held!.id}/decision`,
      {
        decision: 'reject',
        note: 'Exchange A cannot name the sender',
      },
    )
    expect(kept.status).toBe(200)
    expect(await available(B.t, jo.id)).toMatchObject({ available: 0n, held: 3n * ETH })
    const queue = (await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')).body.deposits
    expect(queue.find((d: Body) => d.depositId === held!.id)).toMatchObject({
      status: 'rejected',
      note: 'Exchange A cannot name the sender',
    })
    expect(await auditOf(B.t, 'travel_rule.deposit_rejected')).toContainEqual(
      expect.objectContaining({ target: `deposit:${held!.id}` }),
    )
  })

  it('releases a held deposit when the data arrives, and credits at once a deposit whose data came first', async () => {
    const c = await sender('frank')
    const gina = await recipient('gina')
    const held = await deposit(gina, 5n * 10n ** 16n, `0x${'f1'.repeat(32)}`)
    expect(held?.status).toBe('held')
    await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address: gina.address,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'natural', firstName: 'Gina', lastName: 'G' },
    })
    expect((await withdraw(c, '0.05', gina.address)).status).toBe(201)
    expect(await available(B.t, gina.id)).toMatchObject({ available: 5n * 10n ** 16n, held: 0n })
    const review = (
      await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')
    ).body.deposits.find((d: Body) => d.depositId === held!.id)
    expect(review).toMatchObject({ status: 'released', decidedBy: 'system' })

    expect((await withdraw(c, '0.06', gina.address)).status).toBe(201)
    const credited = await deposit(gina, 6n * 10n ** 16n, `0x${'f2'.repeat(32)}`)
    expect(credited?.status).toBe('credited')
  })
})

describe('a deposit from a VASP that screening also flagged', () => {
  it('stays held for the risk team when the data arrives, and the sending VASP still gets a signed accept', async () => {
    const c = await sender('hank')
    const ivy = await recipient('ivy')
    const flagging = createCustody({
      db: B.t.db,
      clock: B.t.clock,
      config: B.t.config,
      screen: async () => ({ flagged: true, reasons: ['SANCTIONED: on the test list'] }),
    }).deposits
    const row = await flagging.record({
      chain: 'evm',
      txid: `0x${'a7'.repeat(32)}`,
      outputIndex: -1,
      asset: 'ETH',
      address: ivy.address.toLowerCase(),
      userId: ivy.id,
      amount: 7n * 10n ** 16n,
      sender: A_HOT_WALLET,
      blockNumber: 1n,
      blockHash: `0x${'00'.repeat(32)}`,
      confirmations: 100,
    })
    expect((await flagging.settle(row.id, 100))?.status).toBe('held')

    await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'vasp',
      network: 'ethereum',
      address: ivy.address,
      vaspId: 'vasp-b',
      beneficiary: { kind: 'natural', firstName: 'Ivy', lastName: 'I' },
    })
    const r = await withdraw(c, '0.07', ivy.address)
    expect(r.status).toBe(201)
    // B answered with a signed accept: A's withdrawal does not wait for it.
    expect(r.body.withdrawal.reasonCode).not.toBe('TRAVEL_RULE_PENDING')
    expect(r.body.withdrawal.steps.findLast((s: Body) => s.step === 'travel_rule')).toMatchObject({
      verdict: 'pass',
    })
    // The deposit stays held: screening's hold is the risk team's to decide.
    expect(await available(B.t, ivy.id)).toMatchObject({ available: 0n, held: 7n * 10n ** 16n })
    const review = (
      await call(B, await officer(B), 'GET', '/api/staff/travel-rule/queue')
    ).body.deposits.find((d: Body) => d.depositId === row.id)
    expect(review).toMatchObject({ status: 'held' })
  })
})

describe('a withdrawal to a self-hosted wallet above the threshold', () => {
  const wallet = privateKeyToAccount(`0x${'42'.repeat(32)}`)

  it('needs a message signed with the address (EIP-191); a wrong signature is refused', async () => {
    const c = await sender('harry')
    const { message } = (
      await call(
        A,
        c.session,
        'GET',
        `/api/travel-rule/ownership-message?network=ethereum&address=${wallet.address}`,
      )
    ).body
    const other = privateKeyToAccount(`0x${'43'.repeat(32)}`)
    const wrong = await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'self_hosted',
      network: 'ethereum',
      address: wallet.address,
      signature: await other.signMessage({ message }),
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body.code).toBe('OWNERSHIP_PROOF_INVALID')
    const proven = await call(A, c.session, 'POST', '/api/travel-rule/destinations', {
      kind: 'self_hosted',
      network: 'ethereum',
      address: wallet.address,
      signature: await wallet.signMessage({ message }),
    })
    expect(proven.status).toBe(201)
    const r = await withdraw(c, '0.01', wallet.address)
    expect(r.status).toBe(201)
    expect(r.body.withdrawal.steps.findLast((s: Body) => s.step === 'travel_rule')).toMatchObject({
      verdict: 'pass',
      detail: 'your own wallet, ownership proven (EIP-191)',
    })
    const mine = await call(A, c.session, 'GET', '/api/travel-rule/destinations')
    expect(mine.body.destinations).toEqual([
      expect.objectContaining({ kind: 'self_hosted', address: wallet.address, proofMethod: 'EIP-191' }),
    ])
  })
})

describe('without TRAVEL_RULE_JURISDICTION', () => {
  it('adds no Travel Rule step to withdrawals', () => {
    const tr = createTravelRule({
      db: A.t.db,
      clock: A.t.clock,
      config: { ...A.t.config, TRAVEL_RULE_JURISDICTION: undefined },
    })
    expect(tr.step).toBeUndefined()
  })
})

describe('without a DATA_KEK', () => {
  it('refuses to store Travel Rule personal data (TRAVEL_RULE_NEEDS_ENCRYPTION)', async () => {
    const { user } = await A.t.createCustomer('no-kek')
    const tr = createTravelRule({
      db: A.t.db,
      clock: A.t.clock,
      config: { ...A.t.config, DATA_KEK: undefined, DATA_KEK_FILE: undefined },
    })
    await expect(
      tr.declareDestination(user.id, {
        kind: 'vasp',
        network: 'ethereum',
        address: '0x6666666666666666666666666666666666666666',
        vaspId: 'vasp-b',
        beneficiary: { kind: 'natural', firstName: 'No', lastName: 'Key' },
      }),
    ).rejects.toMatchObject({ code: 'TRAVEL_RULE_NEEDS_ENCRYPTION', status: 503 })
    const stored = await A.t.db
      .selectFrom('travel_rule_destinations')
      .select('id')
      .where('user_id', '=', user.id)
      .execute()
    expect(stored).toEqual([])
  })
})
