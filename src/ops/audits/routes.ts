/**
 * @module Third-party audit register HTTP API: the public list of completed audits with finding
 * counts (`/api/security-audits`), the staff register (`/api/staff/security-audits/*`).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import { type AuditRegister, REPORT_MAX_BYTES } from './register.ts'

const tags = ['security-audits']
const idParams = z.object({ id: z.uuid() })
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Give a date as YYYY-MM-DD')
const auditStatus = z.enum(['planned', 'in_progress', 'completed'])
const severity = z.enum(['critical', 'high', 'medium', 'low', 'info'])
const findingStatus = z.enum(['open', 'fixed', 'closed', 'accepted'])
const report = z.object({
  fileName: z.string().min(1).max(120),
  contentBase64: z.string().max(Math.ceil((REPORT_MAX_BYTES * 4) / 3) + 4),
})
const ok = z.object({ ok: z.literal(true) })
const REPORT_BODY_LIMIT = Math.ceil((REPORT_MAX_BYTES * 4) / 3) + 64 * 1024

const auditView = z.object({
  id: z.string(),
  firm: z.string(),
  scope: z.string(),
  startedOn: z.string(),
  endedOn: z.string().nullable(),
  status: auditStatus,
  reportName: z.string().nullable(),
  reportSha256: z.string().nullable(),
})
type AuditRow = {
  id: string
  firm: string
  scope: string
  started_on: string
  ended_on: string | null
  status: z.infer<typeof auditStatus>
  report_name: string | null
  report_sha256: string | null
}
const presentAudit = (a: AuditRow) => ({
  id: a.id,
  firm: a.firm,
  scope: a.scope,
  startedOn: a.started_on,
  endedOn: a.ended_on,
  status: a.status,
  reportName: a.report_name,
  reportSha256: a.report_sha256,
})

export async function auditRegisterRoutes(
  base: FastifyInstance,
  deps: DomainDeps & { audits: AuditRegister },
) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const { audits } = deps

  app.get(
    '/api/security-audits',
    {
      schema: {
        tags,
        summary:
          'Completed third-party security audits with open and closed finding counts and the report’s SHA-256',
        response: {
          200: z.object({
            audits: z.array(
              z.object({
                id: z.string(),
                firm: z.string(),
                scope: z.string(),
                startedOn: z.string(),
                endedOn: z.string().nullable(),
                reportSha256: z.string().nullable(),
                openFindings: z.number(),
                closedFindings: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      audits: (await audits.publicList()).map((a) => ({
        id: a.id,
        firm: a.firm,
        scope: a.scope,
        startedOn: a.started_on,
        endedOn: a.ended_on,
        reportSha256: a.report_sha256,
        openFindings: a.open,
        closedFindings: a.closed,
      })),
    }),
  )

  app.get(
    '/api/staff/security-audits',
    {
      preHandler: requireStaff('ops.audits.read'),
      schema: {
        tags,
        summary: 'The audit register with finding counts (overdue = open past the due date)',
        response: {
          200: z.object({
            audits: z.array(
              auditView.extend({
                openFindings: z.number(),
                closedFindings: z.number(),
                overdueFindings: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      audits: (await audits.list()).map((a) => ({
        ...presentAudit(a),
        openFindings: a.open,
        closedFindings: a.closed,
        overdueFindings: a.overdue,
      })),
    }),
  )

  app.post(
    '/api/staff/security-audits',
    {
      bodyLimit: REPORT_BODY_LIMIT,
      preHandler: requireStaff('ops.audits.manage'),
      config: { multilineFields: ['scope'] },
      schema: {
        tags,
        summary: 'Record an audit (the report file is stored with its SHA-256)',
        body: z.object({
          firm: z.string().trim().min(1).max(120),
          scope: z.string().trim().min(1).max(2000),
          startedOn: date,
          endedOn: date.nullable().default(null),
          status: auditStatus,
          report: report.nullable().default(null),
        }),
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await audits.record(request.user!.id, request.body)),
  )

  app.post(
    '/api/staff/security-audits/:id',
    {
      bodyLimit: REPORT_BODY_LIMIT,
      preHandler: requireStaff('ops.audits.manage'),
      schema: {
        tags,
        summary: 'Update an audit’s status, end date or report file',
        params: idParams,
        body: z.object({
          status: auditStatus,
          endedOn: date.nullable().default(null),
          report: report.nullable().default(null),
        }),
        response: { 200: ok },
      },
    },
    async (request) => {
      await audits.update(request.user!.id, request.params.id, request.body)
      return { ok: true as const }
    },
  )

  const findingView = z.object({
    id: z.string(),
    title: z.string(),
    severity,
    owner: z.string(),
    dueOn: z.string(),
    status: findingStatus,
    fixCommit: z.string().nullable(),
    overdue: z.boolean(),
    retests: z.array(
      z.object({
        id: z.string(),
        result: z.enum(['pass', 'fail']),
        note: z.string(),
        at: z.string(),
        by: z.string(),
      }),
    ),
  })

  app.get(
    '/api/staff/security-audits/:id',
    {
      preHandler: requireStaff('ops.audits.read'),
      schema: {
        tags,
        summary: 'An audit with its findings and retests',
        params: idParams,
        response: { 200: z.object({ audit: auditView, findings: z.array(findingView) }) },
      },
    },
    async (request) => {
      const { audit, findings } = await audits.get(request.params.id)
      return {
        audit: presentAudit(audit),
        findings: findings.map((f) => ({
          id: f.id,
          title: f.title,
          severity: f.severity,
          owner: f.owner,
          dueOn: f.due_on,
          status: f.status,
          fixCommit: f.fix_commit,
          overdue: f.overdue,
          retests: f.retests.map((r) => ({
            id: r.id,
            result: r.result,
            note: r.note,
            at: r.at.toISOString(),
            by: r.by,
          })),
        })),
      }
    },
  )

  app.get(
    '/api/staff/security-audits/:id/report',
    {
      preHandler: requireStaff('ops.audits.read'),
      schema: { tags, summary: 'Download the audit report file', params: idParams },
    },
    async (request, reply) => {
      const file = await audits.report(request.params.id)
      reply.header('content-type', 'application/octet-stream')
      reply.header('content-disposition', `attachment; filename="${file.fileName.replace(/"/g, '')}"`)
      reply.header('x-sha256', file.sha256)
      return reply.send(Buffer.from(file.content))
    },
  )

  app.post(
    '/api/staff/security-audits/:id/findings',
    {
      preHandler: requireStaff('ops.audits.manage'),
      schema: {
        tags,
        summary: 'Record a finding of an audit',
        params: idParams,
        body: z.object({
          title: z.string().trim().min(1).max(200),
          severity,
          owner: z.string().trim().min(1).max(120),
          dueOn: date,
        }),
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await audits.addFinding(request.user!.id, request.params.id, request.body)),
  )

  app.post(
    '/api/staff/security-audit-findings/:id',
    {
      preHandler: requireStaff('ops.audits.manage'),
      schema: {
        tags,
        summary: 'Update a finding: status, owner, due date, fix commit (needed for fixed and closed)',
        params: idParams,
        body: z.object({
          status: findingStatus.optional(),
          owner: z.string().trim().min(1).max(120).optional(),
          dueOn: date.optional(),
          fixCommit: z
            .string()
            .regex(/^[0-9a-f]{7,40}$/, 'Give the fix commit as 7 to 40 lower-case hex digits')
            .optional(),
        }),
        response: { 200: ok },
      },
    },
    async (request) => {
      const b = request.body
      await audits.updateFinding(request.user!.id, request.params.id, {
        ...(b.status ? { status: b.status } : {}),
        ...(b.owner ? { owner: b.owner } : {}),
        ...(b.dueOn ? { dueOn: b.dueOn } : {}),
        ...(b.fixCommit ? { fixCommit: b.fixCommit } : {}),
      })
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/security-audit-findings/:id/retests',
    {
      preHandler: requireStaff('ops.audits.manage'),
      config: { multilineFields: ['note'] },
      schema: {
        tags,
        summary: 'Record a retest: pass closes the finding, fail reopens it',
        params: idParams,
        body: z.object({ result: z.enum(['pass', 'fail']), note: z.string().trim().max(2000).default('') }),
        response: { 200: ok },
      },
    },
    async (request) => {
      await audits.retest(request.user!.id, request.params.id, request.body)
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/security-audits/overdue-check',
    {
      preHandler: requireStaff('ops.audits.manage'),
      schema: {
        tags,
        summary: 'Alert security admins about overdue findings now (the server also does this every hour)',
        response: { 200: z.object({ overdue: z.number(), alerted: z.number(), recipients: z.number() }) },
      },
    },
    async (request) => audits.alertOverdue(`staff:${request.user!.id}`),
  )
}
