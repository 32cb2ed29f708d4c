/**
 * @module Third-party security audit pages: the public list of completed audits with finding
 * counts, and the staff register (audits with their report's SHA-256, findings, fixes, retests).
 */
import { useState } from 'react'
import { post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import { ActionButton, ActionForm, Field, Page, Table, useAction, useLoaded } from '../platform/ui.tsx'
import { readFiles } from './files.ts'

type PublicAudit = {
  id: string
  firm: string
  scope: string
  startedOn: string
  endedOn: string | null
  reportSha256: string | null
  openFindings: number
  closedFindings: number
}

export function PublicAuditsPage() {
  const { data } = useLoaded<{ audits: PublicAudit[] }>('/api/security-audits')
  return (
    <Page
      title="Third-party security audits"
      intro="Completed audits of this exchange, with how many of their findings are still open."
    >
      <Table
        columns={['Firm', 'Scope', 'Dates', 'Open findings', 'Closed findings', 'Report SHA-256']}
        empty="No completed audits yet."
      >
        {(data?.audits ?? []).map((a) => (
          <tr key={a.id}>
            <td>{a.firm}</td>
            <td>{a.scope}</td>
            <td>
              {a.startedOn} – {a.endedOn}
            </td>
            <td>{a.openFindings}</td>
            <td>{a.closedFindings}</td>
            <td>
              <code style={{ overflowWrap: 'anywhere' }}>{a.reportSha256 ?? '—'}</code>
            </td>
          </tr>
        ))}
      </Table>
    </Page>
  )
}

type StaffAudit = PublicAudit & { status: string; reportName: string | null; overdueFindings: number }

export function StaffAuditsPage() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ audits: StaffAudit[] }>('/api/staff/security-audits')
  const [form, setForm] = useState({ firm: '', scope: '', startedOn: '', endedOn: '', status: 'completed' })
  const [files, setFiles] = useState<FileList | null>(null)
  const action = useAction()
  const check = useAction()
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  return (
    <Page
      title="Security audits"
      intro="Audits by outside firms, their findings and retests. Security admins are emailed daily about overdue findings."
    >
      <Table columns={['Firm', 'Status', 'Dates', 'Open', 'Overdue', 'Closed']} empty="No audits recorded.">
        {(data?.audits ?? []).map((a) => (
          <tr key={a.id}>
            <td>
              <Link to={`/staff/security-audits/${a.id}`}>{a.firm}</Link>
            </td>
            <td>{a.status}</td>
            <td>
              {a.startedOn} – {a.endedOn ?? ''}
            </td>
            <td>{a.openFindings}</td>
            <td className={a.overdueFindings ? 'sla-breached' : ''}>{a.overdueFindings}</td>
            <td>{a.closedFindings}</td>
          </tr>
        ))}
      </Table>
      {can(me, 'ops.audits.manage') ? (
        <>
          <h2>Record an audit</h2>
          <ActionForm
            action={action}
            submit="Record audit"
            onSubmit={async () => {
              const [report] = await readFiles(files)
              await post('/api/staff/security-audits', {
                ...form,
                endedOn: form.endedOn || null,
                report: report ?? null,
              })
              await reload()
              return 'Audit recorded.'
            }}
          >
            <Field label="Firm" required maxLength={120} value={form.firm} onChange={set('firm')} />
            <Field label="Scope" required maxLength={2000} value={form.scope} onChange={set('scope')} />
            <Field
              label="Started on"
              type="date"
              required
              value={form.startedOn}
              onChange={set('startedOn')}
            />
            <Field label="Ended on" type="date" value={form.endedOn} onChange={set('endedOn')} />
            <label>
              Status
              <select value={form.status} onChange={(e) => set('status')(e.target.value)}>
                <option value="planned">planned</option>
                <option value="in_progress">in progress</option>
                <option value="completed">completed</option>
              </select>
            </label>
            <label>
              Report file
              <input type="file" onChange={(e) => setFiles(e.target.files)} />
            </label>
          </ActionForm>
          <ActionButton
            action={check}
            onClick={async () => {
              const r = await post<{ overdue: number; alerted: number; recipients: number }>(
                '/api/staff/security-audits/overdue-check',
              )
              return `${r.overdue} overdue finding(s); ${r.alerted} newly mailed to ${r.recipients} security admin(s).`
            }}
          >
            Alert overdue findings now
          </ActionButton>
          {check.status}
        </>
      ) : null}
    </Page>
  )
}

type Finding = {
  id: string
  title: string
  severity: string
  owner: string
  dueOn: string
  status: string
  fixCommit: string | null
  overdue: boolean
  retests: Array<{ id: string; result: string; note: string; at: string; by: string }>
}

function FindingRow({ f, reload }: { f: Finding; reload: () => Promise<void> }) {
  const { me } = useSession()
  const [commit, setCommit] = useState(f.fixCommit ?? '')
  const action = useAction()
  const manage = can(me, 'ops.audits.manage')
  return (
    <article className="card" aria-label={`Finding ${f.title}`}>
      <h3>
        [{f.severity}] {f.title}
      </h3>
      <p>
        {f.status} · owner {f.owner} · due {f.dueOn}{' '}
        {f.overdue ? <strong className="sla-breached">overdue</strong> : null}
        {f.fixCommit ? (
          <>
            {' '}
            · fix <code>{f.fixCommit}</code>
          </>
        ) : null}
      </p>
      <ul>
        {f.retests.map((r) => (
          <li key={r.id}>
            Retest {r.result} by {r.by}: {r.note}
          </li>
        ))}
      </ul>
      {action.status}
      {manage ? (
        <div className="row">
          <input
            aria-label="Fix commit"
            placeholder="fix commit"
            value={commit}
            onChange={(e) => setCommit(e.target.value)}
          />
          <ActionButton
            action={action}
            onClick={async () => {
              await post(`/api/staff/security-audit-findings/${f.id}`, { status: 'fixed', fixCommit: commit })
              await reload()
            }}
          >
            Mark fixed
          </ActionButton>
          <ActionButton
            action={action}
            onClick={async () => {
              await post(`/api/staff/security-audit-findings/${f.id}/retests`, {
                result: 'pass',
                note: 'Retest passed.',
              })
              await reload()
            }}
          >
            Retest passed
          </ActionButton>
          <ActionButton
            action={action}
            onClick={async () => {
              await post(`/api/staff/security-audit-findings/${f.id}/retests`, {
                result: 'fail',
                note: 'Retest failed.',
              })
              await reload()
            }}
          >
            Retest failed
          </ActionButton>
        </div>
      ) : null}
    </article>
  )
}

export function StaffAuditPage({ id }: { id: string }) {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ audit: StaffAudit; findings: Finding[] }>(
    `/api/staff/security-audits/${id}`,
  )
  const [form, setForm] = useState({ title: '', severity: 'high', owner: '', dueOn: '' })
  const action = useAction()
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  if (!data) return <Page title="Audit">Loading…</Page>
  return (
    <Page title={`Audit by ${data.audit.firm}`}>
      <p>
        {data.audit.scope} · {data.audit.startedOn} – {data.audit.endedOn ?? ''} · {data.audit.status}
      </p>
      {data.audit.reportSha256 ? (
        <p>
          <a href={`/api/staff/security-audits/${id}/report`} download>
            {data.audit.reportName}
          </a>{' '}
          SHA-256 <code style={{ overflowWrap: 'anywhere' }}>{data.audit.reportSha256}</code>
        </p>
      ) : null}
      {data.findings.map((f) => (
        <FindingRow key={`${f.id}-${f.status}-${f.retests.length}`} f={f} reload={reload} />
      ))}
      {can(me, 'ops.audits.manage') ? (
        <>
          <h2>Add a finding</h2>
          <ActionForm
            action={action}
            submit="Add finding"
            onSubmit={async () => {
              await post(`/api/staff/security-audits/${id}/findings`, form)
              await reload()
              return 'Finding added.'
            }}
          >
            <Field label="Finding" required maxLength={200} value={form.title} onChange={set('title')} />
            <label>
              Severity
              <select value={form.severity} onChange={(e) => set('severity')(e.target.value)}>
                {['critical', 'high', 'medium', 'low', 'info'].map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            <Field label="Owner" required maxLength={120} value={form.owner} onChange={set('owner')} />
            <Field label="Due on" type="date" required value={form.dueOn} onChange={set('dueOn')} />
          </ActionForm>
        </>
      ) : null}
    </Page>
  )
}
