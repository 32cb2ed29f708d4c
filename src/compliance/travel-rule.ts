/**
 * @module The Travel Rule (FATF Recommendation 16). Staff keep a directory of counterparty VASPs
 * (id, base URL, Ed25519 key, the addresses they send from). A customer declares whose a withdrawal
 * address is: a customer of a VASP in the directory (with the beneficiary's name), or their own
 * self-hosted wallet (proven by a message signed with the address, checked by the proof-of-reserves
 * verifiers). Above the threshold, a withdrawal to a VASP waits in its `travel_rule` step while the
 * IVMS101 data goes to the beneficiary VASP in a signed `transfer` message; its signed answer
 * accepts (the withdrawal continues) or rejects it (rejected with TRAVEL_RULE_REJECTED, funds
 * returned once); once the transaction is sent, a `transfer_broadcast` message carries its hash.
 * Inbound, a message is accepted only with a valid signature by the key in our directory, a fresh
 * timestamp and an unseen nonce. A deposit from a VASP's address without matching Travel Rule data
 * is held for review and released when the data arrives or a compliance officer decides. Personal
 * data is sealed with the field cipher; every send, receipt and decision is audit-logged.
 */
import { canonicalAddress } from '../accounts/index.ts'
import { type CustodyAsset, formatAmount, isCustodyAsset, parseAmount } from '../custody/assets.ts'
import { configuredHotSigner } from '../custody/hot-signer.ts'
import { createLedger } from '../custody/ledger.ts'
import { createWithdrawals, type TravelRuleStep, type WithdrawalRow } from '../custody/withdrawals.ts'
import { appendAudit } from '../platform/audit.ts'
import { type FieldCipher, fieldCipher, loadKek } from '../platform/crypto/field-encryption.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { AppError, errors, isAppError } from '../platform/errors.ts'
import { verifyBip322Simple, verifyBitcoinMessage } from '../por/reserves/bitcoin.ts'
import { verifyEip191 } from '../por/reserves/evm.ts'
import { TRAVEL_RULE_DATA_MISSING as MISSING } from './deposit-check.ts'
import { displayName, type IdentityPayload, type Ivms101Person, vaspPerson } from './ivms101.ts'
import {
  type BroadcastMessage,
  broadcastMessage,
  checkFreshness,
  type Envelope,
  envelope,
  header_,
  newTransferId,
  publicKeyOf,
  REPLAY_WINDOW_MS,
  type ReplyMessage,
  replyMessage,
  sign,
  transferMessage,
  verifySignature,
} from './protocol.ts'
import type { TravelRuleTransfersTable, TravelRuleVaspsTable } from './tables.ts'
import { aboveThreshold, parsePrices, parseThresholds } from './thresholds.ts'

export type TravelRuleDeps = Pick<DomainDeps, 'db' | 'clock' | 'config'> &
  Partial<Pick<DomainDeps, 'events' | 'mailer' | 'sessions' | 'risk'>> & {
    /** HTTP client for messages to other VASPs (default: global fetch). */
    fetch?: typeof fetch
  }

type Row<T> = {
  [K in keyof T]: T[K] extends import('kysely').ColumnType<infer S, unknown, unknown> ? S : T[K]
}
export type VaspRow = Row<TravelRuleVaspsTable>
export type TransferRow = Row<TravelRuleTransfersTable>

/** The beneficiary as a customer names them: a person or a company. */
export type BeneficiaryName =
  | { kind: 'natural'; firstName: string; lastName: string }
  | { kind: 'legal'; name: string }

export type VaspInput = {
  id: string
  name: string
  baseUrl: string
  publicKey: string
  jurisdiction: string
  addresses: string[]
  status: 'active' | 'disabled'
}

export type DestinationInput = {
  network: string
  address: string
} & (
  | { kind: 'vasp'; vaspId: string; beneficiary: BeneficiaryName }
  | { kind: 'self_hosted'; signature: string }
)

/** The other reasons a withdrawal may be held, by the step that raised them. */
const REVIEW_CODES: Record<string, string> = {
  account_hold: 'ACCOUNT_HOLD',
  address_poisoning: 'ADDRESS_POISONING_SUSPECTED',
  sanctions: 'WATCHLISTED_ADDRESS',
  risk: 'RISK_REVIEW',
}

/** The message a customer signs with a self-hosted address to prove it is theirs. */
export function ownershipMessage(userId: string, network: string, address: string): string {
  return `Bulwark Travel Rule: I, customer ${userId}, own the address ${address} on ${network}.`
}

/** Checks a base URL: https, or http on the loopback interface (a test or a local peer). */
function checkBaseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw errors.invalidInput('The base URL must be an absolute URL such as https://vasp.example.', {
      field: 'baseUrl',
    })
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw errors.invalidInput('The base URL must use https (http only on 127.0.0.1 for local tests).', {
      field: 'baseUrl',
    })
  if (url.username || url.password || url.search || url.hash)
    throw errors.invalidInput('The base URL has no credentials, query or fragment.', { field: 'baseUrl' })
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/**
 * The Travel Rule service.
 * @example const tr = createTravelRule(domain); await tr.receiveTransfer(request.body)
 */
export function createTravelRule(deps: TravelRuleDeps) {
  const { db, clock, config } = deps
  const http = deps.fetch ?? fetch
  const thresholds = parseThresholds(config.TRAVEL_RULE_THRESHOLDS)
  const prices = parsePrices(config.TRAVEL_RULE_PRICES)
  const me = config.TRAVEL_RULE_VASP_ID
  const ledger = createLedger({ db, clock })
  // Only its transitions are used (the Travel Rule moves a withdrawal on); the checks run in custody.
  const withdrawals = createWithdrawals({ db, clock, config, accounts: deps as never })
  const hotSigner = configuredHotSigner(config) !== null
  const kek = loadKek(config)
  const ciphers = new Map<string, FieldCipher>()

  function cipher(table: string): FieldCipher {
    if (!kek)
      throw new AppError(
        'TRAVEL_RULE_NEEDS_ENCRYPTION',
        503,
        'Travel Rule data is personal data and is stored encrypted: set DATA_KEK (or DATA_KEK_FILE) first.',
      )
    let c = ciphers.get(table)
    if (!c) {
      c = fieldCipher({ db, kek, table })
      ciphers.set(table, c)
    }
    return c
  }

  function secretKey(): Uint8Array {
    const hex = config.TRAVEL_RULE_SIGNING_KEY
    if (!hex)
      throw new AppError(
        'TRAVEL_RULE_NOT_CONFIGURED',
        503,
        'The Travel Rule protocol is off: set TRAVEL_RULE_SIGNING_KEY to exchange data with other VASPs.',
      )
    return Uint8Array.from(Buffer.from(hex, 'hex'))
  }

  const ourPerson = () => vaspPerson(config.TRAVEL_RULE_VASP_NAME, me, config.TRAVEL_RULE_COUNTRY)

  async function vasp(id: string): Promise<VaspRow | undefined> {
    return (await db.selectFrom('travel_rule_vasps').selectAll().where('id', '=', id).executeTakeFirst()) as
      | VaspRow
      | undefined
  }

  const jurisdiction = config.TRAVEL_RULE_JURISDICTION
  if (jurisdiction !== undefined && !thresholds.has(jurisdiction))
    throw new RangeError(
      `TRAVEL_RULE_THRESHOLDS has no threshold for TRAVEL_RULE_JURISDICTION=${jurisdiction}`,
    )
  const threshold = () => thresholds.get(jurisdiction ?? '')!

  async function destination(userId: string, network: string, address: string) {
    return db
      .selectFrom('travel_rule_destinations')
      .selectAll()
      .where('user_id', '=', userId)
      .where('network', '=', network)
      .where('address', '=', address)
      .executeTakeFirst()
  }

  /** Records a nonce from a VASP; a second sighting is a replay. */
  async function recordNonce(vaspId: string, nonce: string): Promise<void> {
    const inserted = await db
      .insertInto('travel_rule_nonces')
      .values({ vasp_id: vaspId, nonce, seen_at: clock.now() })
      .onConflict((oc) => oc.columns(['vasp_id', 'nonce']).doNothing())
      .returning('nonce')
      .executeTakeFirst()
    if (!inserted)
      throw new AppError(
        'TRAVEL_RULE_REPLAYED',
        409,
        'This message was already received (its nonce was seen before).',
      )
  }

  /**
   * Opens a signed envelope from another VASP: the sender must be active in our directory, the
   * signature valid for its key, the message addressed to us, fresh and not seen before.
   */
  async function open(body: unknown): Promise<{ message: Record<string, unknown>; sender: VaspRow }> {
    const parsed = envelope.safeParse(body)
    if (!parsed.success)
      throw new AppError('TRAVEL_RULE_INVALID_MESSAGE', 400, 'Send a signed envelope { message, signature }.')
    const { message, signature } = parsed.data
    const sender = typeof message.from === 'string' ? await vasp(message.from) : undefined
    if (sender?.status !== 'active')
      throw new AppError(
        'TRAVEL_RULE_UNKNOWN_VASP',
        401,
        'The sending VASP is not in our Travel Rule directory.',
      )
    if (!verifySignature(message, signature, sender.public_key)) {
      await appendAudit(db, {
        actor: `vasp:${sender.id}`,
        action: 'travel_rule.signature_refused',
        target: `vasp:${sender.id}`,
        details: { type: String(message.type ?? '') },
        at: clock.now(),
      })
      throw new AppError(
        'TRAVEL_RULE_BAD_SIGNATURE',
        401,
        'The signature does not verify with the key our directory holds for your VASP.',
      )
    }
    if (message.to !== me)
      throw new AppError(
        'TRAVEL_RULE_WRONG_RECIPIENT',
        400,
        `This message is addressed to ${String(message.to)}, not to ${me}.`,
      )
    checkFreshness(String(message.timestamp ?? ''), clock.now())
    await recordNonce(sender.id, String(message.nonce ?? ''))
    return { message, sender }
  }

  async function send(
    target: VaspRow,
    path: string,
    message: Parameters<typeof sign>[0],
  ): Promise<{ status: number; body: unknown }> {
    const env = sign(message, secretKey())
    const response = await http(`${target.base_url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(env),
      redirect: 'error',
      signal: AbortSignal.timeout(config.TRAVEL_RULE_TIMEOUT_SECONDS * 1000),
    })
    const text = await response.text()
    let body: unknown = null
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
    return { status: response.status, body }
  }

  async function seal(column: string, value: unknown): Promise<string> {
    return cipher('travel_rule_transfers').encrypt(column, JSON.stringify(value))
  }
  async function unseal<T>(column: string, value: string): Promise<T> {
    return JSON.parse(await cipher('travel_rule_transfers').decrypt(column, value)) as T
  }

  function beneficiaryPerson(b: BeneficiaryName): Ivms101Person {
    return b.kind === 'natural'
      ? {
          naturalPerson: {
            name: {
              nameIdentifier: [
                {
                  primaryIdentifier: b.lastName,
                  secondaryIdentifier: b.firstName,
                  nameIdentifierType: 'LEGL',
                },
              ],
            },
          },
        }
      : {
          legalPerson: {
            name: { nameIdentifier: [{ legalPersonName: b.name, legalPersonNameIdentifierType: 'LEGL' }] },
          },
        }
  }

  async function originatorOf(userId: string): Promise<Ivms101Person> {
    const user = await db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()
    return {
      naturalPerson: {
        name: {
          nameIdentifier: [
            { primaryIdentifier: user.display_name.slice(0, 100), nameIdentifierType: 'LEGL' },
          ],
        },
        customerIdentification: user.id,
      },
    }
  }

  /** Moves a withdrawal waiting in its travel_rule step on, after the beneficiary VASP's answer. */
  async function settleWithdrawal(
    row: TransferRow,
    decision: 'accepted' | 'rejected',
    actor: string,
    note?: string,
  ) {
    if (!row.withdrawal_id) return
    const w = (await db
      .selectFrom('custody_withdrawals')
      .select(['status', 'reason_code'])
      .where('id', '=', row.withdrawal_id)
      .executeTakeFirst()) as { status: string; reason_code: string | null } | undefined
    if (w?.status !== 'held_for_review' || w.reason_code !== 'TRAVEL_RULE_PENDING') return
    await withdrawals.transition(row.withdrawal_id, ['held_for_review'], actor, async (_tx, wr) => {
      if (wr.reason_code !== 'TRAVEL_RULE_PENDING')
        throw new AppError('WITHDRAWAL_STATE', 409, 'This withdrawal no longer waits for Travel Rule data.')
      if (decision === 'rejected')
        return {
          status: 'rejected',
          refund: true,
          set: { reason_code: 'TRAVEL_RULE_REJECTED' },
          step: { step: 'travel_rule', verdict: 'block', detail: note ?? 'rejected by the beneficiary VASP' },
          audit: { travelRule: row.transfer_id, decision },
        }
      const step = {
        step: 'travel_rule',
        verdict: 'pass' as const,
        detail: 'accepted by the beneficiary VASP',
      }
      // Another reviewer's hold (risk, lookalike, watchlist) still applies after the Travel Rule's.
      const other = wr.steps.find((s) => s.verdict === 'review' && REVIEW_CODES[s.step])
      if (other) return { status: 'held_for_review', set: { reason_code: REVIEW_CODES[other.step] }, step }
      const decisionDoc = wr.policy_decision ?? {}
      if (decisionDoc.action === 'reject')
        return { status: 'rejected', refund: true, set: { reason_code: 'WITHDRAWAL_POLICY_REJECTED' }, step }
      // Approvals are given only in awaiting_approval, so a withdrawal held since its request has none.
      if (wr.required_approvals > 0) return { status: 'awaiting_approval', set: { reason_code: null }, step }
      return {
        status: 'approved',
        set: {
          reason_code: null,
          approved_at: clock.now(),
          signing_mode: decisionDoc.hotEligible === true && hotSigner ? 'hot' : 'offline',
        },
        step,
      }
    })
  }

  /** Sends (or sends again) an outbound transfer and applies the signed answer. */
  async function deliver(row: TransferRow): Promise<TransferRow> {
    const target = await vasp(row.vasp_id)
    if (target?.status !== 'active') return recordError(row, 'the VASP is not active in the directory')
    const ivms = await unseal<IdentityPayload>('ivms101', row.ivms101)
    const message = {
      ...header_(me, target.id, clock.now()),
      type: 'transfer' as const,
      transferId: row.transfer_id,
      transfer: {
        asset: row.asset,
        network: row.network,
        amount: formatAmount(row.asset, BigInt(row.amount)),
        destination: row.destination,
      },
      ivms101: ivms,
    }
    let answer: { status: number; body: unknown }
    try {
      answer = await send(target, '/api/travel-rule/v1/transfers', message)
    } catch (error) {
      return recordError(row, `no answer: ${error instanceof Error ? error.name : 'error'}`)
    }
    await appendAudit(db, {
      actor: 'system',
      action: 'travel_rule.transfer_sent',
      target: `travel_rule:${row.id}`,
      details: {
        vasp: target.id,
        transferId: row.transfer_id,
        withdrawal: row.withdrawal_id,
        status: answer.status,
      },
      at: clock.now(),
    })
    const reply = await verifiedReply(target, row, answer)
    if (typeof reply === 'string') return recordError(row, reply)
    return decide(row, reply.decision, `vasp:${target.id}`, reply.reason)
  }

  /** The answer as a verified reply, or why it is not one. */
  async function verifiedReply(
    target: VaspRow,
    row: TransferRow,
    answer: { status: number; body: unknown },
  ): Promise<ReplyMessage | string> {
    if (answer.status !== 200) {
      const code = (answer.body as { code?: unknown } | null)?.code
      return `HTTP ${answer.status}${typeof code === 'string' ? ` ${code.slice(0, 60)}` : ''}`
    }
    const env = envelope.safeParse(answer.body)
    if (!env.success) return 'the answer is not a signed envelope'
    if (!verifySignature(env.data.message, env.data.signature, target.public_key)) {
      await appendAudit(db, {
        actor: `vasp:${target.id}`,
        action: 'travel_rule.signature_refused',
        target: `travel_rule:${row.id}`,
        details: { type: 'transfer_reply' },
        at: clock.now(),
      })
      return 'the answer’s signature does not verify with the directory key'
    }
    const reply = replyMessage.safeParse(env.data.message)
    if (!reply.success) return 'the answer is not a transfer reply'
    const r = reply.data
    if (r.from !== target.id || r.to !== me || r.transferId !== row.transfer_id)
      return 'the answer is for another transfer'
    try {
      checkFreshness(r.timestamp, clock.now())
      await recordNonce(target.id, r.nonce)
    } catch (error) {
      return error instanceof AppError ? error.code : 'replay check failed'
    }
    return r
  }

  async function recordError(row: TransferRow, why: string): Promise<TransferRow> {
    const updated = (await db
      .updateTable('travel_rule_transfers')
      .set({ last_error: why.slice(0, 300), updated_at: clock.now() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow()) as TransferRow
    await appendAudit(db, {
      actor: 'system',
      action: 'travel_rule.transfer_undelivered',
      target: `travel_rule:${row.id}`,
      details: { vasp: row.vasp_id, transferId: row.transfer_id, why: why.slice(0, 300) },
      at: clock.now(),
    })
    return updated
  }

  async function decide(
    row: TransferRow,
    decision: 'accepted' | 'rejected',
    actor: string,
    reason?: string,
  ): Promise<TransferRow> {
    const updated = (await db
      .updateTable('travel_rule_transfers')
      .set({
        status: decision,
        reason: reason?.slice(0, 200) ?? null,
        last_error: null,
        updated_at: clock.now(),
      })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()) as TransferRow | undefined
    if (!updated) return row
    await appendAudit(db, {
      actor,
      action: `travel_rule.transfer_${decision}`,
      target: `travel_rule:${row.id}`,
      details: {
        vasp: row.vasp_id,
        transferId: row.transfer_id,
        withdrawal: row.withdrawal_id,
        reason: reason ?? null,
      },
      at: clock.now(),
    })
    await settleWithdrawal(
      updated,
      decision,
      actor,
      reason ? `rejected by the beneficiary VASP: ${reason}` : undefined,
    )
    return updated
  }

  /**
   * Releases deposits held for missing data that this inbound transfer now covers. A deposit that
   * screening also flagged stays held for the risk team: the data arriving answers only the Travel
   * Rule's question, and the sending VASP still gets its signed answer (never a hint about screening).
   */
  async function releaseCovered(transfer: TransferRow): Promise<number> {
    const held = await db
      .selectFrom('travel_rule_deposit_reviews as r')
      .innerJoin('custody_deposits as d', 'd.id', 'r.deposit_id')
      .select(['d.id', 'd.address', 'd.asset', 'd.amount', 'd.txid'])
      .where('r.status', '=', 'held')
      .where('r.vasp_id', '=', transfer.vasp_id)
      .where('d.asset', '=', transfer.asset)
      .where('d.amount', '=', transfer.amount)
      .execute()
    let released = 0
    for (const d of held) {
      if (d.address.toLowerCase() !== transfer.destination.toLowerCase()) continue
      if (transfer.tx_hash && transfer.tx_hash.toLowerCase() !== d.txid.toLowerCase()) continue
      try {
        if (
          await releaseDeposit(
            d.id,
            'system',
            `Travel Rule data arrived (transfer ${transfer.transfer_id})`,
            transfer.id,
          )
        )
          released++
      } catch (error) {
        if (!(isAppError(error) && error.code === 'DEPOSIT_HELD_FOR_OTHER_REASONS')) throw error
        await db
          .updateTable('travel_rule_deposit_reviews')
          .set({ transfer_id: transfer.id, note: 'Travel Rule data arrived; also held by screening' })
          .where('deposit_id', '=', d.id)
          .where('status', '=', 'held')
          .execute()
      }
    }
    return released
  }

  /** Moves a held deposit to the customer's available balance, once. */
  async function releaseDeposit(depositId: string, actor: string, note: string, transferId: string | null) {
    return db.transaction().execute(async (tx) => {
      const review = await tx
        .selectFrom('travel_rule_deposit_reviews')
        .selectAll()
        .where('deposit_id', '=', depositId)
        .forUpdate()
        .executeTakeFirst()
      if (review?.status !== 'held') return false
      const d = await tx
        .selectFrom('custody_deposits')
        .selectAll()
        .where('id', '=', depositId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      const reasons = d.screening?.reasons ?? []
      if (d.status !== 'held' || reasons.some((r) => r !== MISSING))
        throw new AppError(
          'DEPOSIT_HELD_FOR_OTHER_REASONS',
          409,
          'This deposit is also held by sanctions or risk screening; the risk team decides it.',
        )
      const at = clock.now()
      await ledger.post(tx, {
        key: `deposit:${d.id}:travel_rule_release`,
        kind: 'deposit_release',
        ref: `deposit:${d.id}`,
        entries: [
          { account: { owner: d.user_id, asset: d.asset, kind: 'held_deposit' }, amount: -BigInt(d.amount) },
          { account: { owner: d.user_id, asset: d.asset, kind: 'available' }, amount: BigInt(d.amount) },
        ],
      })
      await tx
        .updateTable('custody_deposits')
        .set({ status: 'credited', updated_at: at })
        .where('id', '=', d.id)
        .execute()
      await tx
        .updateTable('travel_rule_deposit_reviews')
        .set({ status: 'released', decided_by: actor, decided_at: at, note, transfer_id: transferId })
        .where('deposit_id', '=', d.id)
        .execute()
      await appendAudit(tx, {
        actor,
        action: 'travel_rule.deposit_released',
        target: `user:${d.user_id}`,
        details: { deposit: d.id, vasp: review.vasp_id, asset: d.asset, amount: d.amount, note },
        at,
      })
      return true
    })
  }

  const step: TravelRuleStep = {
    async assess({ userId, asset, amount, network, address }) {
      const t = aboveThreshold(asset, amount, threshold(), prices)
      const declared = await destination(userId, network, address)
      if (!t.required) return { verdict: 'not_applicable', detail: t.detail }
      if (!declared)
        throw new AppError(
          'TRAVEL_RULE_DESTINATION_UNDECLARED',
          409,
          'This withdrawal is above the Travel Rule threshold: first say whose address this is (an account at another exchange, or your own wallet proven with a signed message) under “Travel Rule destinations”, then try again.',
          { details: { field: 'address' } },
        )
      if (declared.kind === 'self_hosted')
        return { verdict: 'pass', detail: `your own wallet, ownership proven (${declared.proof_method})` }
      const target = await vasp(declared.vasp_id!)
      if (target?.status !== 'active')
        throw new AppError(
          'TRAVEL_RULE_VASP_UNAVAILABLE',
          409,
          'The exchange you named for this address is not available for Travel Rule transfers now; contact support.',
        )
      secretKey()
      cipher('travel_rule_transfers')
      return {
        verdict: 'review',
        detail: `waiting for ${target.name} to accept the sender and recipient data`,
      }
    },

    async started(w: WithdrawalRow): Promise<WithdrawalRow> {
      const declared = await destination(w.user_id, w.network, w.address)
      if (declared?.kind !== 'vasp' || !declared.vasp_id) return w
      const target = (await vasp(declared.vasp_id))!
      const beneficiary = JSON.parse(
        await cipher('travel_rule_destinations').decrypt('beneficiary', declared.beneficiary),
      ) as BeneficiaryName
      const originatorPerson = await originatorOf(w.user_id)
      const ivms: IdentityPayload = {
        originator: { originatorPersons: [originatorPerson as never], accountNumber: [w.user_id] },
        beneficiary: { beneficiaryPersons: [beneficiaryPerson(beneficiary)], accountNumber: [w.address] },
        originatingVASP: { originatingVASP: ourPerson() },
        beneficiaryVASP: {
          beneficiaryVASP: vaspPerson(
            target.name,
            target.id,
            target.jurisdiction === 'EU' ? 'XX' : target.jurisdiction,
          ),
        },
      }
      const at = clock.now()
      const row = (await db
        .insertInto('travel_rule_transfers')
        .values({
          transfer_id: newTransferId(),
          direction: 'outbound',
          vasp_id: target.id,
          withdrawal_id: w.id,
          user_id: w.user_id,
          asset: w.asset,
          network: w.network,
          amount: w.amount,
          destination: w.address,
          status: 'pending',
          ivms101: await seal('ivms101', ivms),
          originator_name: await seal('originator_name', displayName(originatorPerson)),
          beneficiary_name: await seal('beneficiary_name', displayName(beneficiaryPerson(beneficiary))),
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow()) as TransferRow
      await deliver(row)
      return (await withdrawals.get(w.id)).row
    },
  }

  return {
    /** The withdrawal step; absent while TRAVEL_RULE_JURISDICTION is unset. */
    step: jurisdiction === undefined ? undefined : step,

    /** Who we are, for other VASPs' directories. */
    identity() {
      return {
        id: me,
        name: config.TRAVEL_RULE_VASP_NAME,
        country: config.TRAVEL_RULE_COUNTRY,
        publicKey: config.TRAVEL_RULE_SIGNING_KEY
          ? publicKeyOf(config.TRAVEL_RULE_SIGNING_KEY.toLowerCase())
          : null,
        protocol: 'bulwark-trp/1',
        threshold: thresholds.get(jurisdiction ?? '') ?? null,
      }
    },

    async listVasps(activeOnly = false): Promise<VaspRow[]> {
      let q = db.selectFrom('travel_rule_vasps').selectAll().orderBy('name')
      if (activeOnly) q = q.where('status', '=', 'active')
      return (await q.execute()) as VaspRow[]
    },

    /** Adds or changes a directory entry. */
    async saveVasp(staffId: string, input: VaspInput) {
      const baseUrl = checkBaseUrl(input.baseUrl)
      if (input.id === me) throw errors.invalidInput('That is our own VASP id.', { field: 'id' })
      const addresses = [
        ...new Set(
          input.addresses
            .map((a) => a.trim())
            .filter(Boolean)
            .map((a) => (a.startsWith('0x') ? a.toLowerCase() : a)),
        ),
      ]
      const at = clock.now()
      const existing = await vasp(input.id)
      await db
        .insertInto('travel_rule_vasps')
        .values({
          id: input.id,
          name: input.name,
          base_url: baseUrl,
          public_key: input.publicKey.toLowerCase(),
          jurisdiction: input.jurisdiction,
          addresses: JSON.stringify(addresses),
          status: input.status,
          changed_by: staffId,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            name: input.name,
            base_url: baseUrl,
            public_key: input.publicKey.toLowerCase(),
            jurisdiction: input.jurisdiction,
            addresses: JSON.stringify(addresses),
            status: input.status,
            changed_by: staffId,
            updated_at: at,
          }),
        )
        .execute()
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: existing ? 'travel_rule.vasp_changed' : 'travel_rule.vasp_added',
        target: `vasp:${input.id}`,
        details: {
          name: input.name,
          baseUrl,
          publicKey: input.publicKey.toLowerCase(),
          status: input.status,
          ...(existing && existing.public_key !== input.publicKey.toLowerCase() ? { keyChanged: true } : {}),
        },
        at,
      })
    },

    /** A customer says whose a withdrawal address is. */
    async declareDestination(userId: string, input: DestinationInput) {
      const canonical = canonicalAddress(input.network, input.address)
      if (!canonical.ok)
        throw new AppError(
          'ADDRESS_INVALID',
          400,
          `Not a valid ${input.network} address: ${canonical.reason}.`,
        )
      const address = canonical.canonical
      let proofMethod: string | null = null
      let beneficiary: BeneficiaryName
      if (input.kind === 'vasp') {
        const target = await vasp(input.vaspId)
        if (target?.status !== 'active') throw errors.notFound('That exchange')
        beneficiary = input.beneficiary
      } else {
        const message = ownershipMessage(userId, input.network, address)
        const result =
          input.network === 'bitcoin'
            ? ((r) => (r.ok ? r : verifyBitcoinMessage(address, message, input.signature)))(
                verifyBip322Simple(address, message, input.signature),
              )
            : await verifyEip191(address, message, input.signature)
        if (!result.ok)
          throw new AppError(
            'OWNERSHIP_PROOF_INVALID',
            400,
            `The signature does not prove this address is yours (${result.reason}). Sign exactly the message shown, with this address.`,
          )
        proofMethod = result.detail.startsWith('EIP-191')
          ? 'EIP-191'
          : result.detail.split(' ')[0]!.slice(0, 40)
        const user = await db
          .selectFrom('users')
          .select('display_name')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
        beneficiary = { kind: 'legal', name: user.display_name.slice(0, 100) }
      }
      const sealed = await cipher('travel_rule_destinations').encrypt(
        'beneficiary',
        JSON.stringify(beneficiary),
      )
      const at = clock.now()
      await db
        .insertInto('travel_rule_destinations')
        .values({
          user_id: userId,
          network: input.network,
          address,
          kind: input.kind,
          vasp_id: input.kind === 'vasp' ? input.vaspId : null,
          beneficiary: sealed,
          proof_method: proofMethod,
          created_at: at,
        })
        .onConflict((oc) =>
          oc.columns(['user_id', 'network', 'address']).doUpdateSet({
            kind: input.kind,
            vasp_id: input.kind === 'vasp' ? input.vaspId : null,
            beneficiary: sealed,
            proof_method: proofMethod,
            created_at: at,
          }),
        )
        .execute()
      await appendAudit(db, {
        actor: `user:${userId}`,
        action: 'travel_rule.destination_declared',
        target: `user:${userId}`,
        details: {
          network: input.network,
          address,
          kind: input.kind,
          ...(input.kind === 'vasp' ? { vasp: input.vaspId } : { proof: proofMethod }),
        },
        at,
      })
      return { network: input.network, address, kind: input.kind }
    },

    async listDestinations(userId: string) {
      const rows = await db
        .selectFrom('travel_rule_destinations as d')
        .leftJoin('travel_rule_vasps as v', 'v.id', 'd.vasp_id')
        .select([
          'd.network',
          'd.address',
          'd.kind',
          'd.vasp_id',
          'v.name as vasp_name',
          'd.proof_method',
          'd.created_at',
        ])
        .where('d.user_id', '=', userId)
        .orderBy('d.created_at', 'desc')
        .execute()
      return rows.map((r) => ({
        network: r.network,
        address: r.address,
        kind: r.kind,
        vaspId: r.vasp_id,
        vaspName: r.vasp_name,
        proofMethod: r.proof_method,
        declaredAt: r.created_at.toISOString(),
      }))
    },

    /** Inbound `transfer`: verify, validate IVMS101, decide, store sealed, answer signed. */
    async receiveTransfer(body: unknown): Promise<Envelope> {
      const { message, sender } = await open(body)
      const parsed = transferMessage.safeParse(message)
      if (!parsed.success)
        throw new AppError(
          'TRAVEL_RULE_INVALID_PAYLOAD',
          400,
          `The transfer does not follow IVMS101: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`.slice(0, 500),
        )
      const m = parsed.data
      let decision: 'accepted' | 'rejected' = 'accepted'
      let reason: string | undefined
      let userId: string | null = null
      let amount = 0n
      if (!isCustodyAsset(m.transfer.asset)) {
        decision = 'rejected'
        reason = 'ASSET_NOT_SUPPORTED'
      } else {
        try {
          amount = parseAmount(m.transfer.asset as CustodyAsset, m.transfer.amount)
        } catch {
          decision = 'rejected'
          reason = 'AMOUNT_INVALID'
        }
      }
      if (decision === 'accepted') {
        const owner = await db
          .selectFrom('custody_deposit_addresses')
          .select('user_id')
          .where(
            'address',
            '=',
            m.transfer.destination.startsWith('0x')
              ? m.transfer.destination.toLowerCase()
              : m.transfer.destination,
          )
          .executeTakeFirst()
        if (!owner) {
          decision = 'rejected'
          reason = 'BENEFICIARY_ADDRESS_UNKNOWN'
        } else userId = owner.user_id
      }
      const at = clock.now()
      const stored = (await db
        .insertInto('travel_rule_transfers')
        .values({
          transfer_id: m.transferId,
          direction: 'inbound',
          vasp_id: sender.id,
          user_id: userId,
          asset: m.transfer.asset.slice(0, 16),
          network: m.transfer.network,
          amount: amount > 0n ? amount : 1n,
          destination: m.transfer.destination,
          status: decision,
          reason: reason ?? null,
          ivms101: await seal('ivms101', m.ivms101),
          originator_name: await seal(
            'originator_name',
            displayName(m.ivms101.originator.originatorPersons[0]!),
          ),
          beneficiary_name: await seal(
            'beneficiary_name',
            displayName(m.ivms101.beneficiary.beneficiaryPersons[0]!),
          ),
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.columns(['vasp_id', 'direction', 'transfer_id']).doNothing())
        .returningAll()
        .executeTakeFirst()) as TransferRow | undefined
      if (!stored)
        throw new AppError(
          'TRAVEL_RULE_DUPLICATE_TRANSFER',
          409,
          'A transfer with this id was already received from you.',
        )
      await appendAudit(db, {
        actor: `vasp:${sender.id}`,
        action: `travel_rule.transfer_received_${decision}`,
        target: `travel_rule:${stored.id}`,
        details: {
          vasp: sender.id,
          transferId: m.transferId,
          asset: m.transfer.asset,
          amount: m.transfer.amount,
          reason: reason ?? null,
        },
        at,
      })
      if (decision === 'accepted') await releaseCovered(stored)
      const reply: ReplyMessage = {
        ...header_(me, sender.id, clock.now()),
        type: 'transfer_reply',
        transferId: m.transferId,
        decision,
        ...(reason ? { reason } : {}),
      }
      return sign(reply, secretKey())
    },

    /** Inbound `transfer_broadcast`: the originator's transaction hash for an accepted transfer. */
    async receiveBroadcast(body: unknown): Promise<void> {
      const { message, sender } = await open(body)
      const parsed = broadcastMessage.safeParse(message)
      if (!parsed.success)
        throw new AppError('TRAVEL_RULE_INVALID_MESSAGE', 400, 'Not a transfer_broadcast message.')
      const m: BroadcastMessage = parsed.data
      const row = (await db
        .updateTable('travel_rule_transfers')
        .set({ tx_hash: m.txHash, updated_at: clock.now() })
        .where('vasp_id', '=', sender.id)
        .where('direction', '=', 'inbound')
        .where('transfer_id', '=', m.transferId)
        .where('status', '=', 'accepted')
        .returningAll()
        .executeTakeFirst()) as TransferRow | undefined
      if (!row) throw errors.notFound('That accepted transfer')
      await appendAudit(db, {
        actor: `vasp:${sender.id}`,
        action: 'travel_rule.broadcast_received',
        target: `travel_rule:${row.id}`,
        details: { transferId: m.transferId, txHash: m.txHash },
        at: clock.now(),
      })
      await releaseCovered(row)
    },

    /**
     * Work that is due: outbound transfers still unanswered are sent again, and accepted ones whose
     * withdrawal has a transaction hash send their `transfer_broadcast`.
     */
    async sendDue(): Promise<{ resent: number; broadcasts: number }> {
      if (!config.TRAVEL_RULE_SIGNING_KEY || !kek) return { resent: 0, broadcasts: 0 }
      // Only transfers whose withdrawal still waits for them (a cancelled one is not sent again).
      const pending = (await db
        .selectFrom('travel_rule_transfers as t')
        .innerJoin('custody_withdrawals as w', 'w.id', 't.withdrawal_id')
        .selectAll('t')
        .where('t.direction', '=', 'outbound')
        .where('t.status', '=', 'pending')
        .where('w.status', '=', 'held_for_review')
        .where('w.reason_code', '=', 'TRAVEL_RULE_PENDING')
        .limit(50)
        .execute()) as TransferRow[]
      for (const row of pending) await deliver(row)
      // Nonces older than the replay window can go: a message that old is refused by its timestamp.
      await db
        .deleteFrom('travel_rule_nonces')
        .where('seen_at', '<', new Date(clock.now().getTime() - 2 * REPLAY_WINDOW_MS))
        .execute()
      const due = await db
        .selectFrom('travel_rule_transfers as t')
        .innerJoin('custody_withdrawals as w', 'w.id', 't.withdrawal_id')
        .selectAll('t')
        .select('w.tx_hash as withdrawal_tx')
        .where('t.direction', '=', 'outbound')
        .where('t.status', '=', 'accepted')
        .where('t.broadcast_sent_at', 'is', null)
        .where('w.tx_hash', 'is not', null)
        .limit(50)
        .execute()
      let broadcasts = 0
      for (const row of due) {
        const target = await vasp(row.vasp_id)
        if (!target) continue
        const message: BroadcastMessage = {
          ...header_(me, target.id, clock.now()),
          type: 'transfer_broadcast',
          transferId: row.transfer_id,
          txHash: row.withdrawal_tx!,
        }
        let status = 0
        try {
          status = (await send(target, `/api/travel-rule/v1/transfers/${row.transfer_id}/broadcast`, message))
            .status
        } catch {
          status = 0
        }
        if (status !== 200) continue
        await db
          .updateTable('travel_rule_transfers')
          .set({ tx_hash: row.withdrawal_tx, broadcast_sent_at: clock.now(), updated_at: clock.now() })
          .where('id', '=', row.id)
          .execute()
        await appendAudit(db, {
          actor: 'system',
          action: 'travel_rule.broadcast_sent',
          target: `travel_rule:${row.id}`,
          details: { vasp: target.id, transferId: row.transfer_id, txHash: row.withdrawal_tx },
          at: clock.now(),
        })
        broadcasts++
      }
      return { resent: pending.length, broadcasts }
    },

    /** Staff send an unanswered transfer again now. */
    async retry(id: string, staffId: string) {
      const row = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) as TransferRow | undefined
      if (row?.direction !== 'outbound') throw errors.notFound('That outbound transfer')
      if (row.status !== 'pending')
        throw new AppError('TRAVEL_RULE_STATE', 409, `This transfer is already ${row.status}.`)
      const w = row.withdrawal_id
        ? await db
            .selectFrom('custody_withdrawals')
            .select(['status', 'reason_code'])
            .where('id', '=', row.withdrawal_id)
            .executeTakeFirst()
        : undefined
      if (w?.status !== 'held_for_review' || w.reason_code !== 'TRAVEL_RULE_PENDING')
        throw new AppError(
          'TRAVEL_RULE_STATE',
          409,
          'Its withdrawal no longer waits for this transfer (cancelled or decided); nothing to send.',
        )
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.transfer_retried',
        target: `travel_rule:${id}`,
        details: { vasp: row.vasp_id },
        at: clock.now(),
      })
      return deliver(row)
    },

    /** A compliance officer gives up on an unanswered transfer: its withdrawal is rejected, funds returned. */
    async rejectPending(id: string, staffId: string, note: string) {
      const row = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) as TransferRow | undefined
      if (row?.direction !== 'outbound') throw errors.notFound('That outbound transfer')
      if (row.status !== 'pending')
        throw new AppError('TRAVEL_RULE_STATE', 409, `This transfer is already ${row.status}.`)
      return decide(row, 'rejected', `staff:${staffId}`, `compliance: ${note}`)
    },

    /** A compliance officer releases a held deposit or keeps it held (rejected), with a note. */
    async decideDeposit(depositId: string, staffId: string, decision: 'release' | 'reject', note: string) {
      if (decision === 'release') {
        if (!(await releaseDeposit(depositId, `staff:${staffId}`, note, null)))
          throw new AppError(
            'TRAVEL_RULE_STATE',
            409,
            'This deposit is not waiting for a Travel Rule decision.',
          )
        return
      }
      const at = clock.now()
      const done = await db
        .updateTable('travel_rule_deposit_reviews')
        .set({ status: 'rejected', decided_by: `staff:${staffId}`, decided_at: at, note })
        .where('deposit_id', '=', depositId)
        .where('status', '=', 'held')
        .returning('vasp_id')
        .executeTakeFirst()
      if (!done)
        throw new AppError(
          'TRAVEL_RULE_STATE',
          409,
          'This deposit is not waiting for a Travel Rule decision.',
        )
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.deposit_rejected',
        target: `deposit:${depositId}`,
        details: { vasp: done.vasp_id, note },
        at,
      })
    },

    /** The compliance queue: transfers both ways with their state, and deposits held for review. */
    async queue(limit = 200) {
      const transfers = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute()) as TransferRow[]
      const vasps = new Map(
        (await db.selectFrom('travel_rule_vasps').select(['id', 'name']).execute()).map((v) => [
          v.id,
          v.name,
        ]),
      )
      const statuses = new Map(
        (
          await db
            .selectFrom('custody_withdrawals')
            .select(['id', 'status'])
            .where('id', 'in', [
              ...transfers.map((t) => t.withdrawal_id).filter((x): x is string => x !== null),
              '00000000-0000-0000-0000-000000000000',
            ])
            .execute()
        ).map((w) => [w.id, w.status]),
      )
      const deposits = await db
        .selectFrom('travel_rule_deposit_reviews as r')
        .innerJoin('custody_deposits as d', 'd.id', 'r.deposit_id')
        .select([
          'r.deposit_id',
          'r.vasp_id',
          'r.status',
          'r.note',
          'r.decided_by',
          'r.created_at',
          'd.asset',
          'd.amount',
          'd.txid',
          'd.user_id',
          'd.address',
        ])
        .orderBy('r.created_at', 'desc')
        .limit(limit)
        .execute()
      return {
        transfers: await Promise.all(
          transfers.map(async (t) => ({
            id: t.id,
            transferId: t.transfer_id,
            direction: t.direction,
            vaspId: t.vasp_id,
            vaspName: vasps.get(t.vasp_id) ?? t.vasp_id,
            asset: t.asset,
            amount: formatAmount(t.asset, BigInt(t.amount)),
            destination: t.destination,
            status: t.status,
            reason: t.reason,
            lastError: t.last_error,
            txHash: t.tx_hash,
            withdrawalId: t.withdrawal_id,
            withdrawalStatus: t.withdrawal_id ? (statuses.get(t.withdrawal_id) ?? null) : null,
            originator: await unseal<string>('originator_name', t.originator_name),
            beneficiary: await unseal<string>('beneficiary_name', t.beneficiary_name),
            createdAt: t.created_at.toISOString(),
            updatedAt: t.updated_at.toISOString(),
          })),
        ),
        deposits: deposits.map((d) => ({
          depositId: d.deposit_id,
          vaspId: d.vasp_id,
          vaspName: vasps.get(d.vasp_id) ?? d.vasp_id,
          status: d.status,
          note: d.note,
          decidedBy: d.decided_by,
          asset: d.asset,
          amount: formatAmount(d.asset, BigInt(d.amount)),
          txid: d.txid,
          userId: d.user_id,
          address: d.address,
          heldAt: d.created_at.toISOString(),
        })),
      }
    },

    /** The full IVMS101 payload of one transfer (staff, audit-logged: it is personal data). */
    async payload(id: string, staffId: string) {
      const row = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) as TransferRow | undefined
      if (!row) throw errors.notFound('That transfer')
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.payload_viewed',
        target: `travel_rule:${id}`,
        details: {},
        at: clock.now(),
      })
      return unseal<IdentityPayload>('ivms101', row.ivms101)
    },
  }
}
export type TravelRule = ReturnType<typeof createTravelRule>
