/**
 * @module Cases Bulwark opens on its own, without a staff member: a deposit that screening held
 * (`deposit_screening`) and a document number seen on another account (`identity_duplicate`).
 * Such a case has no `created_by`; it records `opened_by = 'system'`, the source that opened it,
 * the reasons, and links to everything it concerns (accounts, the deposit, the verification). Each
 * source event opens at most one case (a unique `source_key`), so a retried hook or a re-delivered
 * event never opens a second one. The opening is audit-logged with the actor `system:<source>`.
 */
import type { Transaction } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Database, Db } from '../platform/db/index.ts'

/** What can open a case without a staff member. */
export type SystemCaseSource = 'deposit_screening' | 'identity_duplicate'

/** How a staff view names each source: "opened by Bulwark (deposit screening)". */
export const SYSTEM_CASE_SOURCE_LABELS: Record<SystemCaseSource, string> = {
  deposit_screening: 'deposit screening',
  identity_duplicate: 'duplicate identity documents',
}

/** Something a case concerns besides its account. */
export type CaseLinkKind = 'account' | 'deposit' | 'identity_verification'
export type CaseLink = { kind: CaseLinkKind; ref: string }

/** Why the system opened a case, in words an analyst reads. */
export type CaseReason = { code: string; text: string }

export type OpenSystemCaseParameters = {
  source: SystemCaseSource
  /** One per source event (e.g. `deposit:<id>`): the same key never opens a second case. */
  key: string
  /** The account the case is on (the depositor, the account that submitted the duplicate). */
  account: string
  /** Everything else the case concerns; the case account is always linked too. */
  links: CaseLink[]
  reasons: CaseReason[]
  at: Date
}

export type OpenSystemCaseResult = { caseId: string; opened: boolean }

/**
 * Opens a system case, or finds the one its key already opened. Runs in `executor` when it is a
 * transaction (so the case commits with what caused it), else in a transaction of its own.
 *
 * @example await openSystemCase(db, { source: 'deposit_screening', key: `deposit:${d.id}`, account: d.user_id, links: [{ kind: 'deposit', ref: d.id }], reasons, at: clock.now() })
 */
export async function openSystemCase(
  executor: Db | Transaction<Database>,
  input: OpenSystemCaseParameters,
): Promise<OpenSystemCaseResult> {
  if (!executor.isTransaction) return executor.transaction().execute((tx) => openIn(tx, input))
  return openIn(executor as Transaction<Database>, input)
}

async function openIn(tx: Transaction<Database>, input: OpenSystemCaseParameters) {
  const inserted = await tx
    .insertInto('risk_cases')
    .values({
      account: input.account,
      created_at: input.at,
      created_by: null,
      opened_by: 'system',
      source: input.source,
      source_key: input.key,
      reasons: JSON.stringify(input.reasons),
      updated_at: input.at,
      assignee: null,
    })
    .onConflict((oc) => oc.column('source_key').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) {
    const existing = await tx
      .selectFrom('risk_cases')
      .select('id')
      .where('source_key', '=', input.key)
      .executeTakeFirstOrThrow()
    return { caseId: existing.id, opened: false }
  }
  const links = dedupeLinks([{ kind: 'account', ref: input.account }, ...input.links])
  await tx
    .insertInto('risk_case_links')
    .values(links.map((l) => ({ case_id: inserted.id, kind: l.kind, ref: l.ref })))
    .execute()
  await appendAudit(tx, {
    actor: `system:${input.source}`,
    action: 'risk.case_opened',
    target: `risk_case:${inserted.id}`,
    details: {
      account: input.account,
      source: input.source,
      key: input.key,
      links: links.map((l) => `${l.kind}:${l.ref}`),
      reasons: input.reasons.map((r) => r.code),
    },
    at: input.at,
  })
  return { caseId: inserted.id, opened: true }
}

function dedupeLinks(links: CaseLink[]): CaseLink[] {
  const seen = new Map<string, CaseLink>()
  for (const l of links) seen.set(`${l.kind}:${l.ref}`, l)
  return [...seen.values()]
}

/**
 * The case a deposit held by screening opens: on the depositor, linked to the deposit, keyed by
 * it (every caller that learns of the hold — the server's watcher, `bulwark custody watch`, a
 * Bitcoin import — may open it; only the first does).
 *
 * @example await openSystemCase(db, heldDepositCase(deposit, clock.now()))
 */
export function heldDepositCase(
  deposit: { id: string; user_id: string; screening: { reasons: readonly string[] } | null },
  at: Date,
): OpenSystemCaseParameters {
  return {
    source: 'deposit_screening',
    key: `deposit:${deposit.id}`,
    account: deposit.user_id,
    links: [{ kind: 'deposit', ref: deposit.id }],
    reasons: screeningReasons(deposit.screening?.reasons ?? []),
    at,
  }
}

/**
 * Screening reasons as stored on a held deposit (`CODE: detail`) turned into case reasons.
 *
 * @example screeningReasons(['SANCTIONED: on the OFAC list']) // [{ code: 'SANCTIONED', text: 'on the OFAC list' }]
 */
export function screeningReasons(reasons: readonly string[]): CaseReason[] {
  const out = reasons.map((r) => {
    const m = /^([A-Z][A-Z0-9_]{0,63}): (.+)$/s.exec(r)
    return m ? { code: m[1]!, text: m[2]! } : { code: 'SCREENING_FLAGGED', text: r }
  })
  return out.length > 0
    ? out
    : [{ code: 'SCREENING_FLAGGED', text: 'Deposit screening flagged the sender without giving a reason.' }]
}
