/**
 * @module Rounds: the life cycle create → import files → build → review (a second person) → publish, with every
 * step audit-logged and published rounds immutable (also enforced by a database trigger). The tree of a round is
 * in DATA_DIR/por/rounds/<id>/tree; customers' proofs are extracted from it on demand.
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createLedger, formatAmount as formatLedgerAmount } from '../custody/index.ts'
import { appendAudit } from '../platform/audit.ts'
import type { SignedTreeHead } from '../platform/audit-log/tree-head.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { resolveInside } from '../platform/safe-path.ts'
import { formatAmount, parseAmount } from './amount.ts'
import { buildRound } from './build.ts'
import {
  checkWallets,
  declaredTotalsCheck,
  isDeclaredTotals,
  type ReserveCheck,
  type WalletCheck,
} from './reserves/check.ts'
import {
  challengeMessage,
  createChallenge,
  type EsploraClient,
  type EvmReader,
  parseChallenge,
  type ReserveChallenge,
} from './reserves/index.ts'

export type { ReserveCheck, WalletCheck }

import { ROUND_ID_FORMAT, ROUND_ID_PATTERN } from './schema.ts'
import { openRound, ROUND_FILES, type RoundSummary } from './store.ts'
import type { RoundStatus } from './tables.ts'
import { proofToJson } from './verify/proof.ts'

export type InputKind = 'liabilities' | 'assets' | 'reserves' | 'exemptions'
export const INPUT_KINDS: readonly InputKind[] = ['liabilities', 'assets', 'reserves', 'exemptions']

export interface RoundsDeps {
  db: Db
  clock: Clock
  /** Root data directory (config DATA_DIR). */
  dataDir: string
  randomBytes?: (n: number) => Uint8Array
  /** Worker threads for builds (default 2). */
  workers?: number
  /** Signs the current audit tree head, recorded in a round when it is published. */
  auditHead?: () => Promise<SignedTreeHead>
  /** This exchange's id (config EXCHANGE_ID), bound into every round's reserve challenge. */
  exchangeId?: string
  /**
   * Chain readers by reserves-file chain id (`ethereum`, …): a build reads every wallet's balance at the
   * snapshot block (and contract wallets' owners) from them. A wallet on a chain without one is not verified.
   */
  evm?: Record<string, EvmReader>
  esplora?: Record<string, EsploraClient>
}

/** An exemption recorded by staff: unverified reserves may be published, labelled as declared. */
export interface ReserveExemption {
  by: string
  reason: string
  at: string
}

/** The insurance fund per asset as the custody ledger held it when the round was built. */
export interface InsuranceFundSnapshot {
  at: string
  /** Smallest units of the ledger (custody asset decimals) and the amount in whole units. */
  assets: { symbol: string; units: string; amount: string }[]
}

/**
 * How a round's reserve figures stand: `verified` (every wallet checked by the server), `declared`
 * (not verified, published under a recorded exemption), `unverified` (not verified and no exemption:
 * cannot be published), `none` (no reserves file: no ratio).
 */
export type ReserveStatus = 'verified' | 'declared' | 'unverified' | 'none'

/** One asset of a round as shown to customers: liabilities, reserves and their ratio. */
export interface AssetView {
  symbol: string
  decimals: number
  equity: string
  debt: string
  /** equity − debt, in whole units (decimal string). */
  liabilities: string
  reserves: string | null
  /** reserves / liabilities in percent with two decimals, or null when unknown. */
  ratioPercent: string | null
  belowFullReserve: boolean | null
  /** The insurance fund's balance of this asset (custody ledger, whole units), or null when it holds none. */
  insuranceFund: string | null
}

export interface RoundView {
  id: string
  status: RoundStatus
  createdAt: string
  builtAt: string | null
  reviewedAt: string | null
  publishedAt: string | null
  root: string | null
  depth: number | null
  users: number | null
  assets: AssetView[]
  auditHead: SignedTreeHead | null
  reserves: {
    status: ReserveStatus
    /** For `declared`: the exemption's reason, shown as "declared, not verified: <reason>". */
    note: string | null
    /** For `unverified` and `declared`: the first wallet that failed, or why nothing could be verified. */
    problem: string | null
    checkedAt: string | null
    wallets: WalletCheck[]
    snapshotBlocks: Record<string, { height: number; hash: string }>
    /** The text every reserve wallet signs for this round, and its snapshot heights. */
    challenge: { message: string; snapshots: Record<string, number> } | null
  }
  insuranceFund: InsuranceFundSnapshot | null
}

type Row = {
  id: string
  status: RoundStatus
  created_at: Date
  built_at: Date | null
  built_by: string | null
  reviewed_at: Date | null
  published_at: Date | null
  root: string | null
  depth: number | null
  summary: unknown
  reserves: Record<string, string> | null
  build_report: unknown
  audit_head?: unknown
  challenge?: unknown
  reserve_check?: unknown
  reserve_exemption?: unknown
  insurance_fund?: unknown
}

/**
 * What a build wrote, cleared whenever its inputs change (a new file, a redrawn challenge), so no
 * column of an earlier build survives beside new inputs. A new build column belongs here.
 */
const UNBUILT = {
  built_at: null,
  built_by: null,
  root: null,
  depth: null,
  summary: null,
  build_report: null,
  reserve_check: null,
  reserve_exemption: null,
  insurance_fund: null,
} as const

/** Reserves published before the server verified them (rounds from before migration 0230). */
const LEGACY_DECLARED = 'declared before the server verified reserve wallets'

function reserveStatusOf(row: Row): { status: ReserveStatus; note: string | null; problem: string | null } {
  const check = (row.reserve_check ?? null) as ReserveCheck | null
  const exemption = (row.reserve_exemption ?? null) as ReserveExemption | null
  if (!check) {
    if (row.reserves === null) return { status: 'none', note: null, problem: null }
    if (row.status === 'published') return { status: 'declared', note: LEGACY_DECLARED, problem: null }
    return { status: 'unverified', note: null, problem: 'built before the server verified reserves: rebuild' }
  }
  if (check.verified) return { status: 'verified', note: null, problem: null }
  if (exemption) return { status: 'declared', note: exemption.reason, problem: check.problem }
  return { status: 'unverified', note: null, problem: check.problem }
}

/** Presents a round row (never the raw row). */
export function presentRound(row: Row): RoundView {
  const summary = row.summary as RoundSummary | null
  const report = row.build_report as { users?: number } | null
  const check = (row.reserve_check ?? null) as ReserveCheck | null
  const fund = (row.insurance_fund ?? null) as InsuranceFundSnapshot | null
  const challenge = row.challenge ? parseChallenge(row.challenge) : null
  const standing = reserveStatusOf(row)
  // Verified rounds show what the chain holds; declared ones what the exchange declared (labelled so).
  const shown =
    check === null
      ? row.reserves
      : standing.status === 'declared'
        ? check.declaredTotals
        : check.verifiedTotals
  const assets: AssetView[] = (summary?.assets ?? []).map((a, i) => {
    const t = summary!.totals[i]!
    const net = BigInt(t.equity) - BigInt(t.debt)
    // With a reserve check, an asset no wallet holds has 0 reserves (not "unknown").
    const reserveUnits =
      standing.status === 'none' ? undefined : (shown?.[a.symbol] ?? (check ? '0' : undefined))
    const reserves = reserveUnits === undefined ? null : BigInt(reserveUnits)
    const ratio = reserves === null || net <= 0n ? null : (reserves * 10000n) / net
    return {
      symbol: a.symbol,
      decimals: a.decimals,
      equity: formatAmount(BigInt(t.equity), a.decimals),
      debt: formatAmount(BigInt(t.debt), a.decimals),
      liabilities: formatAmount(net, a.decimals),
      reserves: reserves === null ? null : formatAmount(reserves, a.decimals),
      ratioPercent: ratio === null ? null : formatAmount(ratio, 2),
      belowFullReserve: reserves === null ? null : reserves < net,
      insuranceFund: fund?.assets.find((f) => f.symbol === a.symbol)?.amount ?? null,
    }
  })
  return {
    id: row.id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    builtAt: row.built_at?.toISOString() ?? null,
    reviewedAt: row.reviewed_at?.toISOString() ?? null,
    publishedAt: row.published_at?.toISOString() ?? null,
    root: row.root,
    depth: row.depth,
    users: report?.users ?? null,
    assets,
    auditHead: (row.audit_head ?? null) as SignedTreeHead | null,
    reserves: {
      ...standing,
      checkedAt: check?.checkedAt ?? null,
      wallets: check?.wallets ?? [],
      snapshotBlocks: check?.snapshotBlocks ?? {},
      challenge: challenge && { message: challengeMessage(challenge), snapshots: challenge.snapshots },
    },
    insuranceFund: fund,
  }
}

/** Parses the reserves totals file `symbol,amount` (whole units) into smallest units per asset. */
export function parseReservesCsv(text: string, decimals: Map<string, number>): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  if ((lines[0] ?? '').trim().toLowerCase() !== 'symbol,amount') {
    throw errors.invalidInput('reserves file line 1: header must be "symbol,amount"')
  }
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return
    const [symbol, amount, extra] = line.split(',').map((c) => c.trim())
    const d = decimals.get(symbol ?? '')
    if (extra !== undefined || !amount || d === undefined) {
      throw errors.invalidInput(
        `reserves file line ${i + 2}: expected "SYMBOL,amount" for an asset of the round`,
      )
    }
    let units: bigint
    try {
      units = parseAmount(amount, d)
    } catch (e) {
      throw errors.invalidInput(`reserves file line ${i + 2}: ${(e as Error).message}`)
    }
    if (units < 0n) throw errors.invalidInput(`reserves file line ${i + 2}: reserves cannot be negative`)
    out[symbol!] = ((BigInt(out[symbol!] ?? '0') + units) as bigint).toString()
  })
  return out
}

/** The round service. */
/** Files of a round directory that belong in the auditor package (not the secret, not the index). */
function isAuditorFile(name: string): boolean {
  return (
    name === ROUND_FILES.summary ||
    name === ROUND_FILES.auditor ||
    name === ROUND_FILES.leaves ||
    /^level-\d{2}\.bin$/.test(name)
  )
}

/** Where a build stands: its phase (import, leaves, tree) and that phase's completion. */
export type BuildProgress = { phase: 'import' | 'leaves' | 'tree'; percent: number; startedAt: string }

/**
 * The id if it has the round id format (see ROUND_ID_PATTERN), else a 400 naming the format.
 * @example checkedRoundId('2026-11') // '2026-11'; checkedRoundId('..') throws INVALID_INPUT
 */
export function checkedRoundId(id: string): string {
  if (!ROUND_ID_PATTERN.test(id)) throw errors.invalidInput(`Round id: ${ROUND_ID_FORMAT}.`, { field: 'id' })
  return id
}

export function createRounds(deps: RoundsDeps) {
  const { db, clock } = deps
  // Every path below is resolved and checked to stay inside the rounds folder (ids come from staff).
  const roundsDir = join(deps.dataDir, 'por', 'rounds')
  const roundDir = (id: string) => resolveInside(roundsDir, checkedRoundId(id))
  const inputPath = (id: string, kind: InputKind) => resolveInside(roundDir(id), 'input', `${kind}.csv`)
  const treeDir = (id: string) => resolveInside(roundDir(id), 'tree')

  async function row(id: string): Promise<Row> {
    const found = await db.selectFrom('por_rounds').selectAll().where('id', '=', id).executeTakeFirst()
    if (!found) throw errors.notFound(`Round ${id}`)
    return found as Row
  }

  // Builds under way in this process, so staff pages can show a long build's phase and percentage.
  const building = new Map<string, BuildProgress>()

  function expectStatus(r: Row, allowed: RoundStatus[], action: string) {
    if (!allowed.includes(r.status)) {
      throw new AppError(
        r.status === 'published' ? 'POR_ROUND_PUBLISHED' : 'POR_ROUND_WRONG_STATE',
        409,
        `Round ${r.id} is ${r.status}; ${action} needs it to be ${allowed.join(' or ')}.`,
      )
    }
  }

  /** A reserves file with wallets needs the round's challenge: checked before the long tree build. */
  function reservesInput(r: Row): { text: string; declared: boolean } | null {
    const path = inputPath(r.id, 'reserves')
    if (!existsSync(path)) return null
    const text = readFileSync(path, 'utf8')
    const declared = isDeclaredTotals(text)
    if (!declared && !r.challenge) {
      throw new AppError(
        'POR_CHALLENGE_MISSING',
        409,
        `Round ${r.id} has no reserve challenge. Draw it (snapshot block per chain), have every wallet sign its text, upload the signed reserves file, then build.`,
      )
    }
    return { text, declared }
  }

  /** Verifies the round's reserves file (network reads: never inside a database transaction). */
  async function checkRoundReserves(
    r: Row,
    input: { text: string; declared: boolean } | null,
    assets: ReadonlyArray<{ symbol: string; decimals: number }>,
  ): Promise<ReserveCheck | null> {
    if (input === null) return null
    if (input.declared) {
      const totals = parseReservesCsv(input.text, new Map(assets.map((a) => [a.symbol, a.decimals])))
      return declaredTotalsCheck(totals, clock.now())
    }
    return checkWallets({
      text: input.text,
      assets,
      challenge: parseChallenge(r.challenge),
      ...(deps.evm ? { evm: deps.evm } : {}),
      ...(deps.esplora ? { esplora: deps.esplora } : {}),
      now: clock.now(),
    })
  }

  return {
    /** The phase and completion of a build under way, or null when none is running. */
    progress(id: string): BuildProgress | null {
      return building.get(id) ?? null
    },

    /** Published rounds, newest first (or all rounds for staff). */
    async list(options: { includeUnpublished?: boolean } = {}): Promise<RoundView[]> {
      let q = db.selectFrom('por_rounds').selectAll()
      if (!options.includeUnpublished) q = q.where('status', '=', 'published')
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
      return rows.map((r) => presentRound(r as Row))
    },

    async get(id: string, options: { includeUnpublished?: boolean } = {}): Promise<RoundView> {
      const r = await row(id)
      if (!options.includeUnpublished && r.status !== 'published') throw errors.notFound(`Round ${id}`)
      return presentRound(r)
    },

    /** Published round.json (the commitment) of a round. */
    async summary(id: string): Promise<RoundSummary> {
      const r = await row(id)
      if (r.status !== 'published') throw errors.notFound(`Round ${id}`)
      return r.summary as RoundSummary
    },

    async create(id: string, actor: string): Promise<RoundView> {
      checkedRoundId(id)
      const exists = await db.selectFrom('por_rounds').select('id').where('id', '=', id).executeTakeFirst()
      if (exists) throw errors.conflict('POR_ROUND_EXISTS', `Round ${id} already exists.`)
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('por_rounds')
          .values({
            id,
            created_by: actor,
            imported_at: null,
            built_at: null,
            built_by: null,
            reviewed_at: null,
            reviewed_by: null,
            published_at: null,
            published_by: null,
            root: null,
            depth: null,
            summary: null,
            reserves: null,
            build_report: null,
          })
          .execute()
        await appendAudit(tx, { actor, action: 'por.round.created', target: `por_round:${id}`, details: {} })
      })
      return presentRound(await row(id))
    },

    /** Streams one input file into the round; resets a built round to imported. */
    async importFile(id: string, kind: InputKind, source: Readable, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['created', 'imported', 'built'], 'importing files')
      mkdirSync(resolveInside(roundDir(id), 'input'), { recursive: true })
      const target = inputPath(id, kind)
      let bytes = 0
      source.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      await pipeline(source, createWriteStream(`${target}.part`))
      renameSync(`${target}.part`, target)
      const ready = existsSync(inputPath(id, 'liabilities')) && existsSync(inputPath(id, 'assets'))
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('por_rounds')
          .set({
            status: ready ? 'imported' : 'created',
            imported_at: ready ? clock.now() : null,
            ...UNBUILT,
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.file_imported',
          target: `por_round:${id}`,
          details: { kind, bytes },
        })
      })
      return presentRound(await row(id))
    },

    /** Builds the tree from the imported files; import errors and undercollateralised users fail it. */
    async build(id: string, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['imported', 'built'], 'building')
      const exemptPath = inputPath(id, 'exemptions')
      const exemptions = existsSync(exemptPath)
        ? readFileSync(exemptPath, 'utf8')
            .split('\n')
            .map((l) => l.replace(/#.*/, '').trim())
            .filter(Boolean)
        : []
      const reservesText = reservesInput(r)
      if (building.has(id)) {
        throw new AppError(
          'POR_ROUND_BUILDING',
          409,
          `Round ${id} is being built already; wait for it to finish.`,
        )
      }
      const out = `${treeDir(id)}.building`
      rmSync(out, { recursive: true, force: true })
      const startedAt = clock.now().toISOString()
      building.set(id, { phase: 'import', percent: 0, startedAt })
      const result = await buildRound({
        liabilitiesPath: inputPath(id, 'liabilities'),
        assetsPath: inputPath(id, 'assets'),
        outDir: out,
        roundId: id,
        roundSecret: (deps.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n))))(32),
        exemptions,
        workers: deps.workers ?? 2,
        now: () => clock.now(),
        onProgress: (phase, done, total) => {
          building.set(id, {
            phase,
            percent: Math.min(100, Math.floor((100 * done) / Math.max(1, total))),
            startedAt,
          })
        },
      }).finally(() => building.delete(id))
      let reserveCheck: ReserveCheck | null
      try {
        reserveCheck = await checkRoundReserves(r, reservesText, result.summary.assets)
      } catch (e) {
        rmSync(out, { recursive: true, force: true })
        throw e
      }
      // The figure the round shows once published: verified holdings, or the declared ones (labelled).
      const reserves =
        reserveCheck === null
          ? null
          : reserveCheck.verified
            ? reserveCheck.verifiedTotals
            : reserveCheck.declaredTotals
      rmSync(treeDir(id), { recursive: true, force: true })
      renameSync(out, treeDir(id))
      const report = {
        users: result.users,
        leaves: result.leaves,
        phasesMs: result.phasesMs,
        exemptedUndercollateralised: result.exemptedUndercollateralised.length,
      }
      await db.transaction().execute(async (tx) => {
        // The insurance fund as the ledger holds it now, in the transaction that records the build.
        const fund = (await createLedger({ db }).balances(tx, null)).filter(
          (b) => b.kind === 'insurance_fund',
        )
        const insuranceFund: InsuranceFundSnapshot = {
          at: clock.now().toISOString(),
          assets: fund.map((b) => ({
            symbol: b.asset,
            units: b.balance.toString(),
            amount: formatLedgerAmount(b.asset, b.balance),
          })),
        }
        await tx
          .updateTable('por_rounds')
          .set({
            status: 'built',
            built_at: clock.now(),
            built_by: actor,
            root: result.summary.root,
            depth: result.summary.depth,
            summary: JSON.stringify(result.summary),
            reserves: reserves === null ? null : JSON.stringify(reserves),
            build_report: JSON.stringify(report),
            reserve_check: reserveCheck === null ? null : JSON.stringify(reserveCheck),
            // A new verification needs a new decision: an exemption covers the build it was recorded for.
            reserve_exemption: null,
            insurance_fund: JSON.stringify(insuranceFund),
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.built',
          target: `por_round:${id}`,
          details: {
            root: result.summary.root,
            ...report,
            reserves:
              reserveCheck === null
                ? 'none'
                : {
                    source: reserveCheck.source,
                    verified: reserveCheck.verified,
                    wallets: reserveCheck.wallets.length,
                    failed: reserveCheck.wallets.filter((w) => !w.ok).length,
                    problem: reserveCheck.problem,
                  },
          },
        })
      })
      return presentRound(await row(id))
    },

    /**
     * Draws the round's reserve challenge: a fresh random nonce bound to this exchange, this round and
     * the snapshot block of every chain. Every reserve wallet signs its text. Drawing again replaces it
     * (signatures over the old one stop verifying) and a built round goes back to imported.
     */
    async drawChallenge(id: string, snapshots: Record<string, number>, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['created', 'imported', 'built'], 'drawing the reserve challenge')
      // A build under way verifies against the challenge it started with; it must not be replaced under it.
      if (building.has(id)) {
        throw new AppError('POR_ROUND_BUILDING', 409, `Round ${id} is being built; draw the challenge after.`)
      }
      const challenge: ReserveChallenge = createChallenge({
        exchange: deps.exchangeId ?? 'bulwark-demo',
        round: id,
        snapshots,
        ...(deps.randomBytes ? { random: deps.randomBytes } : {}),
      })
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('por_rounds')
          .set({
            challenge: JSON.stringify(challenge),
            ...(r.status === 'built' ? { status: 'imported' as const, ...UNBUILT } : {}),
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.challenge_drawn',
          target: `por_round:${id}`,
          details: { snapshots: challenge.snapshots, nonce: challenge.nonce },
        })
      })
      return presentRound(await row(id))
    },

    /**
     * Records who lets a round's unverified reserves be published, and why. The round then publishes
     * them labelled "declared, not verified: <reason>". Covers the current build only.
     */
    async exemptReserves(id: string, reason: string, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['built', 'reviewed'], 'recording a reserves exemption')
      const why = reason.trim()
      if (why.length === 0 || why.length > 500) {
        throw errors.invalidInput('Say why the reserves are published unverified (1-500 characters).', {
          field: 'reason',
        })
      }
      const standing = reserveStatusOf(r)
      if (standing.status === 'none') {
        throw new AppError(
          'POR_RESERVES_NONE',
          409,
          `Round ${id} has no reserves file: there is nothing to exempt.`,
        )
      }
      if (standing.status === 'verified') {
        throw new AppError(
          'POR_RESERVES_VERIFIED',
          409,
          `Round ${id}'s reserves were verified: they need no exemption.`,
        )
      }
      const exemption: ReserveExemption = { by: actor, reason: why, at: clock.now().toISOString() }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('por_rounds')
          .set({ reserve_exemption: JSON.stringify(exemption) })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.reserves_exempted',
          target: `por_round:${id}`,
          details: { reason: why, problem: standing.problem },
        })
      })
      return presentRound(await row(id))
    },

    /** A second staff member (not the builder) confirms the built round. */
    async review(id: string, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['built'], 'review')
      if (r.built_by === actor) {
        throw new AppError(
          'POR_SAME_REVIEWER',
          403,
          'The round must be reviewed by someone other than its builder.',
        )
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('por_rounds')
          .set({ status: 'reviewed', reviewed_at: clock.now(), reviewed_by: actor })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.reviewed',
          target: `por_round:${id}`,
          details: { root: r.root },
        })
      })
      return presentRound(await row(id))
    },

    /** Publishes a reviewed round; from then on it cannot change. */
    async publish(id: string, actor: string): Promise<RoundView> {
      const r = await row(id)
      expectStatus(r, ['reviewed'], 'publishing')
      const standing = reserveStatusOf(r)
      if (standing.status === 'unverified') {
        await appendAudit(db, {
          actor,
          action: 'por.round.publish_refused',
          target: `por_round:${id}`,
          details: { code: 'RESERVES_UNVERIFIED', problem: standing.problem },
        })
        throw new AppError(
          'RESERVES_UNVERIFIED',
          409,
          `Round ${id}'s reserves were not verified (${standing.problem}), so their ratio cannot be published. ` +
            'Fix the reserves file or the wallets and build again, or record an exemption (who and why) to ' +
            'publish them labelled "declared, not verified".',
          { details: { problem: standing.problem } },
        )
      }
      // Signed before the transaction: it covers every step of the round logged so far.
      const auditHead = deps.auditHead ? await deps.auditHead() : null
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('por_rounds')
          .set({
            status: 'published',
            published_at: clock.now(),
            published_by: actor,
            audit_head: auditHead && JSON.stringify(auditHead),
          })
          .where('id', '=', id)
          .where('status', '=', 'reviewed')
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'por.round.published',
          target: `por_round:${id}`,
          details: {
            root: r.root,
            ...(auditHead && { auditHead: { size: auditHead.size, root: auditHead.root } }),
          },
        })
      })
      return presentRound(await row(id))
    },

    /** The JSON proof of `userId` in a published round (`latest` = most recently published). */
    async proofFor(id: string, userId: string) {
      let roundId = id
      if (id === 'latest') {
        const latest = await db
          .selectFrom('por_rounds')
          .select('id')
          .where('status', '=', 'published')
          .orderBy('published_at', 'desc')
          .orderBy('id', 'desc')
          .executeTakeFirst()
        if (!latest) throw errors.notFound('A published round')
        roundId = latest.id
      } else {
        const r = await row(id)
        if (r.status !== 'published') throw errors.notFound(`Round ${id}`)
      }
      const round = openRound(treeDir(roundId))
      try {
        return proofToJson(round.proof(userId))
      } catch (e) {
        if (e instanceof AppError && e.code === 'POR_USER_NOT_FOUND') {
          throw new AppError('POR_USER_NOT_FOUND', 404, `Your account has no balance in round ${roundId}.`)
        }
        throw e
      } finally {
        round.close()
      }
    },

    /** Path of a file of the auditor package (round.json, auditor.json, leaves.bin, level-NN.bin). */
    async auditorFile(id: string, name: string): Promise<string> {
      const r = await row(id)
      expectStatus(r, ['built', 'reviewed', 'published'], 'downloading the auditor package')
      if (!isAuditorFile(name)) throw errors.notFound(`File ${name}`)
      const path = resolveInside(treeDir(id), name)
      if (!existsSync(path)) throw errors.notFound(`File ${name}`)
      return path
    },

    /**
     * The whole auditor package of a round: its directory and the files in it an auditor gets
     * (never the round secret or the user index).
     */
    async auditorPackage(id: string): Promise<{ dir: string; files: string[] }> {
      const r = await row(id)
      expectStatus(r, ['built', 'reviewed', 'published'], 'downloading the auditor package')
      const dir = treeDir(id)
      return { dir, files: readdirSync(dir).filter(isAuditorFile).sort() }
    },
  }
}

export type Rounds = ReturnType<typeof createRounds>
