/**
 * @module The risk service behind the HTTP routes: batch ingest (stores each event once, scores
 * it, stores its alert), the analyst alert queue, account timelines, the counterparty graph, and
 * the case workflow (open, assign, note, resolve as fraud / not fraud). Every analyst action is
 * audit-logged in the same transaction as the change it records. Cases the system opens itself
 * (held deposits, duplicate documents) come from `./cases.ts` and are worked the same way. Resolutions are the labels the
 * next training run reads (`labels()`).
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { backtestRules } from './backtest.ts'
import { loadBehaviourModel } from './behaviour.ts'
import { type Alert, createRiskEngine, type RiskEngine } from './engine.ts'
import { counterpartyOf, eventValue } from './features.ts'
import { storeRiskEvents } from './record.ts'
import { compileRules, loadRuleFile } from './rules.ts'
import { type Decision, parseRiskEvent, type RiskEvent } from './schema.ts'
import type { CaseResolution } from './tables.ts'

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url))
const DEFAULT_RULES = fileURLToPath(new URL('./default-rules.json', import.meta.url))

/** The engine a server runs by default: bundled rules and the committed behaviour model. */
export function createDefaultEngine(onAlert?: (a: Alert) => void): RiskEngine {
  const behaviourPath = `${MODELS_DIR}behaviour.json`
  const behaviour = existsSync(behaviourPath)
    ? loadBehaviourModel(JSON.parse(readFileSync(behaviourPath, 'utf8')))
    : undefined
  return createRiskEngine({
    rules: loadRuleFile(DEFAULT_RULES),
    ...(behaviour ? { behaviour } : {}),
    ...(onAlert ? { onAlert } : {}),
  })
}

export type AlertFilters = {
  status?: 'open' | 'in_case' | 'closed' | undefined
  decision?: 'allow' | 'review' | 'block' | undefined
  account?: string | undefined
  eventType?: string | undefined
  minScore?: number | undefined
  before?: Date | undefined
  limit?: number | undefined
}

export type RiskService = ReturnType<typeof createRiskService>

export type IngestOptions = {
  /** Record the batch in the audit log (default true; off for the platform's own event stream). */
  audit?: boolean
  /** Score the events (default true; off for events already decided synchronously by `assess`). */
  score?: boolean
}

/** @example const risk = createRiskService({ db, clock }); await risk.ingest(events, 'staff:…') */
export function createRiskService(deps: { db: Db; clock: Clock; engine?: RiskEngine }) {
  const { db, clock } = deps
  let pending: Alert[] = []
  const engine = deps.engine ?? createDefaultEngine((a) => pending.push(a))

  // inside a transaction, read through it: an embedded database has one connection
  async function findCase(id: string, executor: Pick<Db, 'selectFrom'> = db) {
    const c = await executor.selectFrom('risk_cases').selectAll().where('id', '=', id).executeTakeFirst()
    if (!c) throw errors.notFound('Case')
    return c
  }

  return {
    engine,

    /**
     * Stores and scores a batch. An event id already stored is skipped (not scored twice) and
     * reported as `duplicate`.
     */
    async ingest(events: RiskEvent[], actor: string, options: IngestOptions = {}) {
      const fresh = await storeRiskEvents(db, events)
      const results: ({ duplicate: true; eventId: string } | Decision)[] = []
      pending = []
      for (const e of events) {
        if (!fresh.has(e.id)) {
          results.push({ duplicate: true, eventId: e.id })
          continue
        }
        fresh.delete(e.id) // the same id twice in one batch is scored once
        if (options.score === false) continue
        results.push(engine.ingest(e))
      }
      const alerts = pending
      pending = []
      if (alerts.length > 0) {
        const now = clock.now()
        await db
          .insertInto('risk_alerts')
          .values(
            alerts.map((a) => ({
              created_at: now,
              event_id: a.event.id,
              account: a.event.account ?? null,
              event_type: a.event.type,
              decision: a.decision.decision,
              score: a.decision.score,
              reasons: JSON.stringify(a.decision.reasons),
              sources: JSON.stringify(a.sources),
              rules_version: a.decision.rulesVersion,
              models: JSON.stringify(a.decision.models),
            })),
          )
          .onConflict((oc) => oc.column('event_id').doNothing())
          .execute()
      }
      if (options.audit === false) return { results, alerts: alerts.length }
      await appendAudit(db, {
        actor,
        action: 'risk.events_ingested',
        target: 'risk_events',
        details: {
          received: events.length,
          stored: results.filter((r) => !('duplicate' in r)).length,
          alerts: alerts.length,
        },
      })
      return { results, alerts: alerts.length }
    },

    async listAlerts(f: AlertFilters) {
      let q = db.selectFrom('risk_alerts').selectAll()
      if (f.status) q = q.where('status', '=', f.status)
      if (f.decision) q = q.where('decision', '=', f.decision)
      if (f.account) q = q.where('account', '=', f.account)
      if (f.eventType) q = q.where('event_type', '=', f.eventType)
      if (f.minScore !== undefined) q = q.where('score', '>=', f.minScore)
      if (f.before) q = q.where('created_at', '<', f.before)
      return q
        .orderBy('score', 'desc')
        .orderBy('created_at', 'desc')
        .limit(f.limit ?? 100)
        .execute()
    },

    /** The account's events (newest first) with the alert each raised, if any. */
    async timeline(account: string, limit = 200) {
      const rows = await db
        .selectFrom('risk_events as e')
        .leftJoin('risk_alerts as a', 'a.event_id', 'e.id')
        .select([
          'e.id',
          'e.at',
          'e.type',
          'e.body',
          'a.id as alert_id',
          'a.decision',
          'a.score',
          'a.reasons',
        ])
        .where('e.account', '=', account)
        .orderBy('e.at', 'desc')
        .limit(limit)
        .execute()
      return rows
    },

    /** Counterparties of an account (addresses and P2P peers) with totals and exposure to listed addresses. */
    async graph(account: string) {
      const rows = await db
        .selectFrom('risk_events')
        .select(['body', 'at'])
        .where('account', '=', account)
        .where('type', 'in', [
          'deposit',
          'withdrawal_requested',
          'p2p_order',
          'chain_tx',
          'whitelist_changed',
        ])
        .orderBy('at', 'desc')
        .limit(5000)
        .execute()
      const nodes = new Map<
        string,
        {
          id: string
          kind: string
          in: number
          out: number
          count: number
          lastAt: Date
          exposure: number
          label?: string
        }
      >()
      for (const r of rows) {
        const body = r.body as Record<string, unknown>
        const event = { ...body, amount: BigInt(String(body.amount ?? '0')), at: r.at.getTime() } as RiskEvent
        const cp = counterpartyOf(event)
        if (!cp) continue
        const n = nodes.get(cp) ?? {
          id: cp,
          kind: cp.startsWith('acct:') ? 'account' : 'address',
          in: 0,
          out: 0,
          count: 0,
          lastAt: r.at,
          exposure: 0,
        }
        const v = eventValue(event)
        const inbound = event.type === 'deposit' || (event.type === 'p2p_order' && event.side === 'buy')
        if (inbound) n.in += v
        else n.out += v
        n.count++
        const x = engine.exposureOf(cp)
        if (x) {
          n.exposure = x.score
          n.label = `${x.label}${x.hops ? ` (${x.hops} hop${x.hops > 1 ? 's' : ''})` : ''}`
        }
        nodes.set(cp, n)
      }
      return {
        account,
        counterparties: [...nodes.values()].sort((a, b) => b.exposure - a.exposure || b.count - a.count),
      }
    },

    async openCase(input: { account: string; alertIds: string[] }, staffId: string) {
      return db.transaction().execute(async (tx) => {
        const now = clock.now()
        const c = await tx
          .insertInto('risk_cases')
          .values({
            account: input.account,
            created_at: now,
            created_by: staffId,
            updated_at: now,
            assignee: staffId,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await tx
          .insertInto('risk_case_links')
          .values({ case_id: c.id, kind: 'account', ref: input.account })
          .execute()
        if (input.alertIds.length > 0) {
          const linked = await tx
            .updateTable('risk_alerts')
            .set({ status: 'in_case', case_id: c.id })
            .where('id', 'in', input.alertIds)
            .where('account', '=', input.account)
            .returning('id')
            .execute()
          if (linked.length !== input.alertIds.length)
            throw new AppError(
              'RISK_ALERT_MISMATCH',
              400,
              'Every alert of a case must belong to the case account.',
            )
        }
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'risk.case_opened',
          target: `risk_case:${c.id}`,
          details: { account: input.account, alerts: input.alertIds },
        })
        return { ...c, links: [{ kind: 'account' as const, ref: input.account }] }
      })
    },

    /**
     * Cases, newest first, each with its links. `account` finds the cases on that account and those
     * linked to it (the other account of a duplicate document).
     */
    async listCases(
      filters: { status?: 'open' | 'resolved' | undefined; account?: string | undefined } = {},
    ) {
      let q = db.selectFrom('risk_cases').selectAll()
      if (filters.status) q = q.where('status', '=', filters.status)
      const account = filters.account
      if (account)
        q = q.where((eb) =>
          eb.or([
            eb('account', '=', account),
            eb(
              'id',
              'in',
              eb
                .selectFrom('risk_case_links')
                .select('case_id')
                .where('kind', '=', 'account')
                .where('ref', '=', account),
            ),
          ]),
        )
      const cases = await q.orderBy('created_at', 'desc').limit(200).execute()
      const links =
        cases.length === 0
          ? []
          : await db
              .selectFrom('risk_case_links')
              .selectAll()
              .where(
                'case_id',
                'in',
                cases.map((c) => c.id),
              )
              .orderBy('kind')
              .orderBy('ref')
              .execute()
      return cases.map((c) => ({
        ...c,
        links: links.filter((l) => l.case_id === c.id).map((l) => ({ kind: l.kind, ref: l.ref })),
      }))
    },

    async getCase(id: string) {
      const c = await findCase(id)
      const links = await db
        .selectFrom('risk_case_links')
        .select(['kind', 'ref'])
        .where('case_id', '=', id)
        .orderBy('kind')
        .orderBy('ref')
        .execute()
      const notes = await db
        .selectFrom('risk_case_notes')
        .selectAll()
        .where('case_id', '=', id)
        .orderBy('created_at')
        .execute()
      const alerts = await db
        .selectFrom('risk_alerts')
        .selectAll()
        .where('case_id', '=', id)
        .orderBy('created_at')
        .execute()
      return { ...c, links, notes, alerts }
    },

    async assign(id: string, assignee: string, staffId: string) {
      return db.transaction().execute(async (tx) => {
        const c = await findCase(id, tx)
        if (c.status === 'resolved')
          throw new AppError('RISK_CASE_RESOLVED', 409, 'This case is already resolved.')
        const staff = await tx
          .selectFrom('users')
          .select('id')
          .where('id', '=', assignee)
          .where('kind', '=', 'staff')
          .executeTakeFirst()
        if (!staff) throw errors.notFound('Staff member')
        await tx
          .updateTable('risk_cases')
          .set({ assignee, updated_at: clock.now() })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'risk.case_assigned',
          target: `risk_case:${id}`,
          details: { from: c.assignee, to: assignee },
        })
      })
    },

    async note(id: string, body: string, staffId: string) {
      return db.transaction().execute(async (tx) => {
        await findCase(id, tx)
        const now = clock.now()
        const n = await tx
          .insertInto('risk_case_notes')
          .values({ case_id: id, author: staffId, body, created_at: now })
          .returningAll()
          .executeTakeFirstOrThrow()
        await tx.updateTable('risk_cases').set({ updated_at: now }).where('id', '=', id).execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'risk.case_noted',
          target: `risk_case:${id}`,
          details: { note: n.id },
        })
        return n
      })
    },

    async resolve(id: string, resolution: CaseResolution, staffId: string) {
      return db.transaction().execute(async (tx) => {
        const c = await findCase(id, tx)
        if (c.status === 'resolved')
          throw new AppError('RISK_CASE_RESOLVED', 409, 'This case is already resolved.')
        const now = clock.now()
        await tx
          .updateTable('risk_cases')
          .set({ status: 'resolved', resolution, resolved_at: now, resolved_by: staffId, updated_at: now })
          .where('id', '=', id)
          .execute()
        await tx.updateTable('risk_alerts').set({ status: 'closed' }).where('case_id', '=', id).execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'risk.case_resolved',
          target: `risk_case:${id}`,
          details: { account: c.account, resolution },
        })
      })
    },

    /** Resolved cases as training labels: the latest resolution per account. */
    async labels() {
      const rows = await db
        .selectFrom('risk_cases')
        .select(['account', 'resolution', 'resolved_at'])
        .where('status', '=', 'resolved')
        .orderBy('resolved_at', 'desc')
        .execute()
      const seen = new Set<string>()
      const out: { account: string; label: CaseResolution; resolvedAt: Date }[] = []
      for (const r of rows) {
        if (seen.has(r.account) || !r.resolution || !r.resolved_at) continue
        seen.add(r.account)
        out.push({ account: r.account, label: r.resolution, resolvedAt: r.resolved_at })
      }
      return out
    },

    /**
     * Backtests a candidate rule document on the stored history of the last `days` (a fresh engine,
     * the running one is untouched): alerts per rule and the accounts with most hits.
     */
    async backtest(doc: unknown, days: number, actor: string) {
      const rules = compileRules(doc)
      const since = new Date(clock.now().getTime() - days * 86_400_000)
      const rows = await db
        .selectFrom('risk_events')
        .select(['body'])
        .where('at', '>=', since)
        .orderBy('at')
        .execute()
      const report = backtestRules(
        rules,
        rows.map((r) => parseRiskEvent(r.body)),
      )
      await appendAudit(db, {
        actor,
        action: 'risk.rules_backtested',
        target: `rules:${rules.version}`,
        details: { days, events: report.events, hits: report.rules.map((r) => [r.rule, r.hits]) },
      })
      return report
    },

    /** The rule document in force: the newest enabled one, else the bundled default. */
    async currentRules() {
      const row = await db
        .selectFrom('risk_rule_sets')
        .select(['version', 'document', 'enabled_at', 'enabled_by'])
        .orderBy('enabled_at', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row
        ? {
            version: row.version,
            document: row.document,
            enabledAt: row.enabled_at.toISOString(),
            enabledBy: row.enabled_by,
          }
        : {
            version: engine.rulesVersion,
            document: JSON.parse(readFileSync(DEFAULT_RULES, 'utf8')) as Record<string, unknown>,
            enabledAt: null,
            enabledBy: null,
          }
    },

    /** Validates, stores and swaps in a rule document without a restart (state is kept). */
    async enableRules(doc: Record<string, unknown>, staffId: string) {
      const rules = compileRules(doc)
      if (rules.version === engine.rulesVersion)
        throw new AppError(
          'RISK_RULES_VERSION_UNCHANGED',
          409,
          `Rules version "${rules.version}" is already in force; give the new document a new version.`,
        )
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('risk_rule_sets')
          .values({
            version: rules.version,
            document: JSON.stringify(doc),
            enabled_at: clock.now(),
            enabled_by: staffId,
          })
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'risk.rules_enabled',
          target: `rules:${rules.version}`,
          details: { from: engine.rulesVersion, to: rules.version, rules: rules.rules.length },
        })
      })
      engine.setRules(rules)
      return { version: rules.version }
    },

    /** Loads the newest enabled rule document into the engine (on start). */
    async loadEnabledRules() {
      const row = await db
        .selectFrom('risk_rule_sets')
        .select(['document'])
        .orderBy('enabled_at', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (row) engine.setRules(compileRules(row.document))
      return engine.rulesVersion
    },

    /** Rebuilds engine state from the last `days` of stored history (after a restart). */
    async warmUp(days = 30) {
      const since = new Date(clock.now().getTime() - days * 86_400_000)
      const rows = await db
        .selectFrom('risk_events')
        .select(['body'])
        .where('at', '>=', since)
        .orderBy('at')
        .execute()
      const before = pending
      for (const r of rows) engine.ingest(parseRiskEvent(r.body))
      pending = before
      return rows.length
    },
  }
}
