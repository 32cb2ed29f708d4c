/**
 * @module Risk HTTP routes: batch event ingest, the analyst alert queue with filters, account
 * timeline, counterparty graph, and the case workflow (open, assign, note, resolve as fraud /
 * not fraud). A case says who opened it: a staff member, or Bulwark itself (a held deposit, a
 * duplicate document), with its reasons and links. Staff only; permissions `risk.*` in src/platform/rbac.ts; actions audit-logged.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { loadKek } from '../platform/crypto/field-encryption.ts'
import { readStoredIp } from '../platform/crypto/session-ips.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { requireStaff } from '../platform/http/auth.ts'
import { SYSTEM_CASE_SOURCE_LABELS } from './cases.ts'
import { decisionSchema, riskEventSchema } from './schema.ts'
import type { RiskService } from './service.ts'

const uuid = z.uuid()
const accountId = z.string().min(1).max(128)
const reason = z.object({ code: z.string(), text: z.string(), score: z.number() })
const alertSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  eventId: z.string(),
  account: z.string().nullable(),
  eventType: z.string(),
  decision: z.enum(['allow', 'review', 'block']),
  score: z.number(),
  reasons: z.array(reason),
  sources: z.array(z.string()),
  rulesVersion: z.string(),
  models: z.record(z.string(), z.string()),
  status: z.enum(['open', 'in_case', 'closed']),
  caseId: z.string().nullable(),
})
type AlertRow = Awaited<ReturnType<RiskService['listAlerts']>>[number]
const presentAlert = (a: AlertRow): z.infer<typeof alertSchema> => ({
  id: a.id,
  createdAt: a.created_at.toISOString(),
  eventId: a.event_id,
  account: a.account,
  eventType: a.event_type,
  decision: a.decision,
  score: a.score,
  reasons: a.reasons,
  sources: a.sources,
  rulesVersion: a.rules_version,
  models: a.models,
  status: a.status,
  caseId: a.case_id,
})
const caseSchema = z.object({
  id: z.string(),
  account: z.string(),
  status: z.enum(['open', 'resolved']),
  assignee: z.string().nullable(),
  resolution: z.enum(['fraud', 'not_fraud']).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
  openedBy: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('staff'), staffId: z.string() }),
    z.object({
      kind: z.literal('system'),
      source: z.enum(['deposit_screening', 'identity_duplicate']),
      /** What a staff view shows, e.g. "Bulwark (deposit screening)". */
      label: z.string(),
    }),
  ]),
  reasons: z.array(z.object({ code: z.string(), text: z.string() })),
  links: z.array(
    z.object({ kind: z.enum(['account', 'deposit', 'identity_verification']), ref: z.string() }),
  ),
})
type CaseRow = Awaited<ReturnType<RiskService['listCases']>>[number]
const openedBy = (c: CaseRow): z.infer<typeof caseSchema>['openedBy'] =>
  c.opened_by === 'system' && c.source
    ? { kind: 'system', source: c.source, label: `Bulwark (${SYSTEM_CASE_SOURCE_LABELS[c.source]})` }
    : { kind: 'staff', staffId: c.created_by ?? '' }
const presentCase = (c: CaseRow): z.infer<typeof caseSchema> => ({
  id: c.id,
  account: c.account,
  status: c.status,
  assignee: c.assignee,
  resolution: c.resolution,
  createdAt: c.created_at.toISOString(),
  updatedAt: c.updated_at.toISOString(),
  resolvedAt: c.resolved_at?.toISOString() ?? null,
  openedBy: openedBy(c),
  reasons: c.reasons,
  links: c.links,
})

export async function riskRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  // One service for the whole app (built and warmed up in app.ts): the engine's in-memory state
  // is shared by the routes, the event bus and the synchronous decision points.
  const risk = deps.risk
  const tags = ['risk']

  app.post(
    '/api/risk/events',
    {
      preHandler: requireStaff('risk.events.ingest'),
      schema: {
        tags,
        summary: 'Ingest a batch of risk events (schema v1); returns one decision per event, in order',
        body: z.object({ events: z.array(riskEventSchema).min(1).max(5000) }),
        response: {
          200: z.object({
            results: z.array(
              z.union([decisionSchema, z.object({ duplicate: z.literal(true), eventId: z.string() })]),
            ),
            alerts: z.number(),
          }),
        },
      },
    },
    async (request) => risk.ingest(request.body.events, `staff:${request.user!.id}`),
  )

  app.get(
    '/api/risk/alerts',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary: 'Alert queue, highest score first, with filters',
        querystring: z.object({
          status: z.enum(['open', 'in_case', 'closed']).optional(),
          decision: z.enum(['allow', 'review', 'block']).optional(),
          account: accountId.optional(),
          eventType: z.string().max(40).optional(),
          minScore: z.coerce.number().min(0).max(1).optional(),
          before: z.iso.datetime().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
        response: { 200: z.object({ alerts: z.array(alertSchema) }) },
      },
    },
    async (request) => {
      const q = request.query
      const rows = await risk.listAlerts({ ...q, before: q.before ? new Date(q.before) : undefined })
      return { alerts: rows.map(presentAlert) }
    },
  )

  app.get(
    '/api/risk/accounts/:account/timeline',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary: "An account's events, newest first, with the alert each raised",
        params: z.object({ account: accountId }),
        response: {
          200: z.object({
            account: z.string(),
            events: z.array(
              z.object({
                id: z.string(),
                at: z.string(),
                type: z.string(),
                event: z.record(z.string(), z.unknown()),
                alert: z
                  .object({
                    id: z.string(),
                    decision: z.string(),
                    score: z.number(),
                    reasons: z.array(reason),
                  })
                  .nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const rows = await risk.timeline(request.params.account)
      // Events older than PERSONAL_DATA_RETENTION_DAYS hold their IP sealed (platform/crypto/session-ips.ts).
      const kek = loadKek(deps.config)
      const bodies = await Promise.all(
        rows.map(async (r) => {
          const body = r.body as Record<string, unknown>
          if (typeof body.ip !== 'string') return body
          // An ingested event may carry any text as its ip: one that does not open is shown as it is.
          const ip = await readStoredIp({ db: deps.db, kek }, 'risk_events', 'ip', body.ip).catch(
            () => body.ip,
          )
          return { ...body, ip }
        }),
      )
      return {
        account: request.params.account,
        events: rows.map((r, i) => ({
          id: r.id,
          at: r.at.toISOString(),
          type: r.type,
          event: bodies[i]!,
          alert:
            r.alert_id && r.decision && r.score !== null && r.reasons
              ? { id: r.alert_id, decision: r.decision, score: r.score, reasons: r.reasons }
              : null,
        })),
      }
    },
  )

  app.get(
    '/api/risk/accounts/:account/graph',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary:
          "An account's counterparties (addresses, P2P peers) with totals and exposure to listed addresses",
        params: z.object({ account: accountId }),
        response: {
          200: z.object({
            account: z.string(),
            counterparties: z.array(
              z.object({
                id: z.string(),
                kind: z.string(),
                in: z.number(),
                out: z.number(),
                count: z.number(),
                lastAt: z.string(),
                exposure: z.number(),
                label: z.string().optional(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const g = await risk.graph(request.params.account)
      return { ...g, counterparties: g.counterparties.map((c) => ({ ...c, lastAt: c.lastAt.toISOString() })) }
    },
  )

  app.get(
    '/api/risk/cases',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary:
          'Cases, newest first, with who opened each (a staff member or Bulwark itself), its reasons and links',
        querystring: z.object({
          status: z.enum(['open', 'resolved']).optional(),
          /** Cases on this account or linked to it (e.g. the other account of a duplicate document). */
          account: accountId.optional(),
        }),
        response: { 200: z.object({ cases: z.array(caseSchema) }) },
      },
    },
    async (request) => ({ cases: (await risk.listCases(request.query)).map(presentCase) }),
  )

  app.get(
    '/api/risk/cases/:id',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary: 'One case with its alerts and notes',
        params: z.object({ id: uuid }),
        response: {
          200: caseSchema.extend({
            alerts: z.array(alertSchema),
            notes: z.array(
              z.object({ id: z.string(), author: z.string(), body: z.string(), createdAt: z.string() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const c = await risk.getCase(request.params.id)
      return {
        ...presentCase(c),
        alerts: c.alerts.map(presentAlert),
        notes: c.notes.map((n) => ({
          id: n.id,
          author: n.author,
          body: n.body,
          createdAt: n.created_at.toISOString(),
        })),
      }
    },
  )

  app.post(
    '/api/risk/cases',
    {
      preHandler: requireStaff('risk.cases.manage'),
      schema: {
        tags,
        summary: 'Open a case on an account from some of its alerts (assigned to the opener)',
        body: z.object({ account: accountId, alertIds: z.array(uuid).max(500).default([]) }),
        response: { 200: caseSchema },
      },
    },
    async (request) => presentCase(await risk.openCase(request.body, request.user!.id)),
  )

  app.post(
    '/api/risk/cases/:id/assign',
    {
      preHandler: requireStaff('risk.cases.manage'),
      schema: {
        tags,
        summary: 'Assign a case to a staff member (default: yourself)',
        params: z.object({ id: uuid }),
        body: z.object({ assignee: uuid.optional() }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      await risk.assign(request.params.id, request.body.assignee ?? request.user!.id, request.user!.id)
      return { ok: true as const }
    },
  )

  app.post(
    '/api/risk/cases/:id/notes',
    {
      config: { multilineFields: ['body'] },
      preHandler: requireStaff('risk.cases.manage'),
      schema: {
        tags,
        summary: 'Add a note to a case',
        params: z.object({ id: uuid }),
        body: z.object({ body: z.string().min(1).max(4000) }),
        response: { 200: z.object({ id: z.string() }) },
      },
    },
    async (request) => ({ id: (await risk.note(request.params.id, request.body.body, request.user!.id)).id }),
  )

  app.post(
    '/api/risk/cases/:id/resolve',
    {
      preHandler: requireStaff('risk.cases.manage'),
      schema: {
        tags,
        summary: 'Resolve a case as fraud or not fraud; the resolution becomes a training label',
        params: z.object({ id: uuid }),
        body: z.object({ resolution: z.enum(['fraud', 'not_fraud']) }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      await risk.resolve(request.params.id, request.body.resolution, request.user!.id)
      return { ok: true as const }
    },
  )

  app.get(
    '/api/risk/labels',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary: 'Resolved cases as labels for the next training run (latest resolution per account)',
        response: {
          200: z.object({
            labels: z.array(
              z.object({
                account: z.string(),
                label: z.enum(['fraud', 'not_fraud']),
                resolvedAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      labels: (await risk.labels()).map((l) => ({ ...l, resolvedAt: l.resolvedAt.toISOString() })),
    }),
  )

  app.post(
    '/api/risk/backtest',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary:
          'Backtest a rule document on stored history before enabling it: alerts per rule, on which accounts',
        body: z.object({
          rules: z.record(z.string(), z.unknown()),
          days: z.number().int().min(1).max(365).default(30),
        }),
        response: {
          200: z.object({
            rulesVersion: z.string(),
            events: z.number(),
            rules: z.array(
              z.object({
                rule: z.string(),
                hits: z.number(),
                accounts: z.number(),
                topAccounts: z.array(z.object({ account: z.string(), hits: z.number() })),
                decisions: z.object({ block: z.number(), review: z.number(), alert: z.number() }),
              }),
            ),
          }),
        },
      },
    },
    async (request) => risk.backtest(request.body.rules, request.body.days, `staff:${request.user!.id}`),
  )

  const ruleSetSchema = z.object({
    version: z.string(),
    document: z.record(z.string(), z.unknown()),
    enabledAt: z.string().nullable(),
    enabledBy: z.string().nullable(),
  })
  app.get(
    '/api/risk/rules',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: { tags, summary: 'The rule document in force', response: { 200: ruleSetSchema } },
    },
    async () => risk.currentRules(),
  )

  app.put(
    '/api/risk/rules',
    {
      preHandler: requireStaff('risk.rules.manage'),
      schema: {
        tags,
        summary: 'Enable a new rule document (new version) without a restart; backtest it first',
        body: z.object({ document: z.record(z.string(), z.unknown()) }),
        response: { 200: z.object({ version: z.string() }) },
      },
    },
    async (request) => risk.enableRules(request.body.document, request.user!.id),
  )

  app.get(
    '/api/risk/engine',
    {
      preHandler: requireStaff('risk.alerts.read'),
      schema: {
        tags,
        summary: 'What the running engine uses: rules version, model versions, counters',
        response: {
          200: z.object({
            rulesVersion: z.string(),
            models: z.record(z.string(), z.string()),
            stats: z.record(z.string(), z.number()),
          }),
        },
      },
    },
    async () => ({
      rulesVersion: risk.engine.rulesVersion,
      models: { ...risk.engine.models },
      stats: risk.engine.stats(),
    }),
  )
}
