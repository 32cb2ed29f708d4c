/**
 * @module The register of third-party security audits: each audit (firm, scope, dates, the report
 * file and its SHA-256), its findings (severity, owner, due date, fix commit) and their retests. A
 * public view lists completed audits with open and closed finding counts; `alertOverdue` mails
 * every active security admin once a day about findings past their due date (run by the server
 * every hour and by `bulwark ops overdue`).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import type { Mailer } from '../../platform/mail.ts'
import { permissionMatrix } from '../../platform/rbac.ts'
import type { FindingSeverity, FindingStatus } from '../tables.ts'

export type AuditRegisterDeps = { db: Db; clock: Clock; mailer: Mailer }

export const REPORT_MAX_BYTES = 20 * 1024 * 1024

export type RecordAuditParameters = {
  firm: string
  scope: string
  startedOn: string
  endedOn?: string | null
  status: 'planned' | 'in_progress' | 'completed'
  report?: { fileName: string; contentBase64: string } | null
}

const today = (clock: Clock) => clock.now().toISOString().slice(0, 10)

export function createAuditRegister(deps: AuditRegisterDeps) {
  const { db, clock, mailer } = deps

  async function findAudit(id: string) {
    const row = await db
      .selectFrom('ops_audits')
      .select([
        'id',
        'firm',
        'scope',
        'started_on',
        'ended_on',
        'status',
        'report_name',
        'report_sha256',
        'created_at',
      ])
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw errors.notFound('This audit')
    return row
  }

  async function findFinding(id: string) {
    const row = await db.selectFrom('ops_audit_findings').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw errors.notFound('This finding')
    return row
  }

  function checkReport(report: { fileName: string; contentBase64: string }) {
    const content = new Uint8Array(Buffer.from(report.contentBase64, 'base64'))
    if (content.length === 0) throw errors.invalidInput('The report file is empty or not base64.')
    if (content.length > REPORT_MAX_BYTES)
      throw new AppError('AUDIT_REPORT_TOO_LARGE', 413, 'The report file is larger than 20 MB.')
    return {
      name: report.fileName.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 120),
      content,
      sha256: bytesToHex(sha256(content)),
    }
  }

  return {
    async record(staffId: string, input: RecordAuditParameters) {
      if (input.status === 'completed' && !input.endedOn)
        throw errors.invalidInput('A completed audit needs its end date.')
      if (input.endedOn && input.endedOn < input.startedOn)
        throw errors.invalidInput('The end date is before the start date.')
      const report = input.report ? checkReport(input.report) : null
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_audits')
          .values({
            firm: input.firm,
            scope: input.scope,
            started_on: input.startedOn,
            ended_on: input.endedOn ?? null,
            status: input.status,
            report_name: report?.name ?? null,
            report_sha256: report?.sha256 ?? null,
            report: report?.content ?? null,
            created_by: staffId,
            created_at: clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'ops.audit_recorded',
          target: `security-audit:${row.id}`,
          details: {
            firm: input.firm,
            status: input.status,
            ...(report ? { reportSha256: report.sha256 } : {}),
          },
          at: clock.now(),
        })
        return row
      })
    },

    async update(
      staffId: string,
      id: string,
      input: {
        status: 'planned' | 'in_progress' | 'completed'
        endedOn?: string | null
        report?: { fileName: string; contentBase64: string } | null
      },
    ) {
      const audit = await findAudit(id)
      const endedOn = input.endedOn ?? audit.ended_on
      if (input.status === 'completed' && !endedOn)
        throw errors.invalidInput('A completed audit needs its end date.')
      if (endedOn && endedOn < audit.started_on)
        throw errors.invalidInput('The end date is before the start date.')
      const report = input.report ? checkReport(input.report) : null
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_audits')
          .set({
            status: input.status,
            ended_on: endedOn,
            ...(report
              ? { report_name: report.name, report_sha256: report.sha256, report: report.content }
              : {}),
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'ops.audit_updated',
          target: `security-audit:${id}`,
          details: {
            from: audit.status,
            to: input.status,
            ...(report ? { reportSha256: report.sha256 } : {}),
          },
          at: clock.now(),
        })
      })
    },

    async list() {
      const audits = await db
        .selectFrom('ops_audits')
        .select([
          'id',
          'firm',
          'scope',
          'started_on',
          'ended_on',
          'status',
          'report_name',
          'report_sha256',
          'created_at',
        ])
        .orderBy('started_on', 'desc')
        .execute()
      const counts = await findingCounts()
      return audits.map((a) => ({ ...a, ...(counts.get(a.id) ?? { open: 0, closed: 0, overdue: 0 }) }))
    },

    async get(id: string) {
      const audit = await findAudit(id)
      const findings = await db
        .selectFrom('ops_audit_findings')
        .selectAll()
        .where('audit_id', '=', id)
        .orderBy(
          sql`case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
        )
        .orderBy('due_on')
        .execute()
      const retests = findings.length
        ? await db
            .selectFrom('ops_audit_retests as r')
            .innerJoin('users as u', 'u.id', 'r.by_id')
            .select(['r.id', 'r.finding_id', 'r.result', 'r.note', 'r.at', 'u.display_name as by'])
            .where(
              'r.finding_id',
              'in',
              findings.map((f) => f.id),
            )
            .orderBy('r.at')
            .execute()
        : []
      const now = today(clock)
      return {
        audit,
        findings: findings.map((f) => ({
          ...f,
          overdue: isOpen(f.status) && f.due_on < now,
          retests: retests.filter((r) => r.finding_id === f.id),
        })),
      }
    },

    async report(id: string) {
      const row = await db
        .selectFrom('ops_audits')
        .select(['report_name', 'report', 'report_sha256'])
        .where('id', '=', id)
        .executeTakeFirst()
      if (!row?.report || !row.report_sha256) throw errors.notFound('This audit report')
      return { fileName: row.report_name ?? 'report', content: row.report, sha256: row.report_sha256 }
    },

    async addFinding(
      staffId: string,
      auditId: string,
      input: { title: string; severity: FindingSeverity; owner: string; dueOn: string },
    ) {
      await findAudit(auditId)
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_audit_findings')
          .values({
            audit_id: auditId,
            title: input.title,
            severity: input.severity,
            owner: input.owner,
            due_on: input.dueOn,
            status: 'open',
            created_at: clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'ops.finding_recorded',
          target: `finding:${row.id}`,
          details: { audit: auditId, severity: input.severity, dueOn: input.dueOn },
          at: clock.now(),
        })
        return row
      })
    },

    /** Status, owner, due date or fix commit; `fixed` and `closed` need the fix commit. */
    async updateFinding(
      staffId: string,
      id: string,
      input: { status?: FindingStatus; owner?: string; dueOn?: string; fixCommit?: string },
    ) {
      const finding = await findFinding(id)
      const fixCommit = input.fixCommit ?? finding.fix_commit
      const status = input.status ?? finding.status
      if ((status === 'fixed' || status === 'closed') && !fixCommit) {
        throw errors.invalidInput(
          'Give the commit that fixes the finding before marking it fixed or closed.',
          { field: 'fixCommit' },
        )
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_audit_findings')
          .set({
            status,
            fix_commit: fixCommit,
            owner: input.owner ?? finding.owner,
            due_on: input.dueOn ?? finding.due_on,
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'ops.finding_updated',
          target: `finding:${id}`,
          details: {
            from: finding.status,
            to: status,
            ...(input.fixCommit ? { fixCommit } : {}),
            ...(input.dueOn ? { dueOn: input.dueOn } : {}),
          },
          at: clock.now(),
        })
      })
    },

    /** A retest: pass closes a fixed finding; fail reopens it. */
    async retest(staffId: string, id: string, input: { result: 'pass' | 'fail'; note: string }) {
      const finding = await findFinding(id)
      if (input.result === 'pass' && !finding.fix_commit) {
        throw new AppError(
          'AUDIT_FINDING_NOT_FIXED',
          409,
          'A retest can pass only once the fix commit is recorded.',
        )
      }
      const status: FindingStatus = input.result === 'pass' ? 'closed' : 'open'
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('ops_audit_retests')
          .values({ finding_id: id, result: input.result, note: input.note, by_id: staffId, at: clock.now() })
          .execute()
        await tx.updateTable('ops_audit_findings').set({ status }).where('id', '=', id).execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'ops.finding_retested',
          target: `finding:${id}`,
          details: { result: input.result, status },
          at: clock.now(),
        })
      })
    },

    /** Completed audits with open and closed finding counts (no finding details, no report bytes). */
    async publicList() {
      const audits = await db
        .selectFrom('ops_audits')
        .select(['id', 'firm', 'scope', 'started_on', 'ended_on', 'report_sha256'])
        .where('status', '=', 'completed')
        .orderBy('ended_on', 'desc')
        .execute()
      const counts = await findingCounts()
      return audits.map((a) => {
        const c = counts.get(a.id) ?? { open: 0, closed: 0, overdue: 0 }
        return { ...a, open: c.open, closed: c.closed }
      })
    },

    /**
     * Mails every active security admin about open findings past their due date, at most once a
     * day per finding, and records the alert in the audit log.
     */
    async alertOverdue(actor = 'system') {
      const day = today(clock)
      const overdue = await db
        .selectFrom('ops_audit_findings as f')
        .innerJoin('ops_audits as a', 'a.id', 'f.audit_id')
        .select(['f.id', 'f.title', 'f.severity', 'f.owner', 'f.due_on', 'a.firm', 'f.overdue_alerted_on'])
        .where('f.status', 'in', ['open', 'fixed'])
        .where('f.due_on', '<', day)
        .orderBy('f.due_on')
        .execute()
      const fresh = overdue.filter((f) => f.overdue_alerted_on !== day)
      if (fresh.length === 0) return { overdue: overdue.length, alerted: 0, recipients: 0 }
      const admins = await db
        .selectFrom('users')
        .select('email')
        .where('kind', '=', 'staff')
        .where('status', '=', 'active')
        .where('role', 'in', [...permissionMatrix['ops.audits.manage']])
        .execute()
      const lines = fresh.map(
        (f) => `- [${f.severity}] ${f.title} (${f.firm}), owner ${f.owner}, due ${f.due_on}`,
      )
      for (const admin of admins) {
        await mailer.send({
          to: admin.email,
          subject: `${fresh.length} audit finding(s) overdue`,
          text: `These findings from third-party security audits are past their due date:\n\n${lines.join('\n')}\n\nReview them in Bulwark: Security audits.`,
        })
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_audit_findings')
          .set({ overdue_alerted_on: day })
          .where(
            'id',
            'in',
            fresh.map((f) => f.id),
          )
          .execute()
        await appendAudit(tx, {
          actor,
          action: 'ops.findings_overdue_alerted',
          target: '',
          details: { findings: fresh.map((f) => f.id), recipients: admins.length },
          at: clock.now(),
        })
      })
      return { overdue: overdue.length, alerted: fresh.length, recipients: admins.length }
    },
  }

  async function findingCounts() {
    const rows = await db.selectFrom('ops_audit_findings').select(['audit_id', 'status', 'due_on']).execute()
    const now = today(clock)
    const counts = new Map<string, { open: number; closed: number; overdue: number }>()
    for (const r of rows) {
      const c = counts.get(r.audit_id) ?? { open: 0, closed: 0, overdue: 0 }
      if (isOpen(r.status)) {
        c.open++
        if (r.due_on < now) c.overdue++
      } else c.closed++
      counts.set(r.audit_id, c)
    }
    return counts
  }
}
export type AuditRegister = ReturnType<typeof createAuditRegister>

/** Open until closed by a passing retest or accepted as a risk. */
const isOpen = (status: FindingStatus) => status === 'open' || status === 'fixed'
