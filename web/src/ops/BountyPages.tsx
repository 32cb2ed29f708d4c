/**
 * @module Bug bounty pages: the public security policy (rendered from SECURITY.md itself, so the
 * page and the file cannot disagree), the report form for researchers (no account), the email
 * confirmation, the hall of fame with disclosed reports, and the staff triage page.
 */
import { useEffect, useState } from 'react'
import policy from '../../../SECURITY.md?raw'
import { get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import {
  ActionButton,
  ActionForm,
  ErrorNote,
  Field,
  formatTime,
  OkNote,
  Page,
  Table,
  useAction,
  useLoaded,
} from '../platform/ui.tsx'
import { Markdown } from './markdown.tsx'

export function SecurityPolicyPage() {
  return (
    <Page title="Security policy and bug bounty">
      <p>
        <Link to="/security/report">Report a vulnerability</Link> ·{' '}
        <Link to="/security/hall-of-fame">Hall of fame and disclosed reports</Link> ·{' '}
        <Link to="/audits">Third-party audits</Link>
      </p>
      <div className="policy">
        <Markdown source={policy} skipTitle />
      </div>
    </Page>
  )
}

export function ReportPage() {
  const [form, setForm] = useState({ email: '', handle: '', title: '', affected: '', description: '' })
  const action = useAction()
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  return (
    <Page
      title="Report a vulnerability"
      intro="No account needed. We email you a link to confirm the report; it reaches our security team once you open it."
    >
      <ActionForm
        action={action}
        submit="Send report"
        onSubmit={async () => (await post<{ message: string }>('/api/bounty/reports', form)).message}
      >
        <Field
          label="Your email"
          type="email"
          required
          maxLength={254}
          value={form.email}
          onChange={set('email')}
        />
        <Field
          label="Name or handle for the hall of fame"
          required
          maxLength={60}
          value={form.handle}
          onChange={set('handle')}
        />
        <Field
          label="Title"
          required
          minLength={5}
          maxLength={200}
          value={form.title}
          onChange={set('title')}
        />
        <Field
          label="Affected route, page or component"
          maxLength={200}
          value={form.affected}
          onChange={set('affected')}
        />
        <label>
          Description: steps to reproduce and impact
          <textarea
            required
            minLength={20}
            maxLength={20000}
            rows={8}
            value={form.description}
            onChange={(e) => set('description')(e.target.value)}
          />
        </label>
      </ActionForm>
    </Page>
  )
}

export function ConfirmReportPage() {
  const [number, setNumber] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    const token = window.location.hash.slice(1)
    post<{ number: string }>('/api/bounty/reports/confirm', { token }).then(
      (r) => setNumber(r.number),
      setError,
    )
  }, [])
  return (
    <Page title="Confirm your report">
      <ErrorNote error={error} />
      <OkNote
        message={
          number
            ? `Report #${number} is confirmed and with our security team. We answer within 3 working days.`
            : null
        }
      />
    </Page>
  )
}

type PublicBounty = {
  hallOfFame: Array<{ handle: string; reports: number }>
  disclosed: Array<{
    number: string
    handle: string
    title: string
    severity: string | null
    cvssScore: number | null
    cvssVector: string | null
    disclosure: string
    disclosedAt: string
  }>
}

export function HallOfFamePage() {
  const { data } = useLoaded<PublicBounty>('/api/bounty/public')
  return (
    <Page
      title="Hall of fame"
      intro="Researchers whose reports we accepted, and the reports we have disclosed."
    >
      <Table columns={['Researcher', 'Accepted reports']} empty="No accepted reports yet.">
        {(data?.hallOfFame ?? []).map((f) => (
          <tr key={f.handle}>
            <td>{f.handle}</td>
            <td>{f.reports}</td>
          </tr>
        ))}
      </Table>
      <h2>Disclosed reports</h2>
      {(data?.disclosed ?? []).map((d) => (
        <article key={d.number} className="card">
          <h3>
            #{d.number} {d.title}
          </h3>
          <p>
            {d.severity} {d.cvssScore?.toFixed(1)} · by {d.handle} · disclosed {formatTime(d.disclosedAt)}
          </p>
          <p>
            <code style={{ overflowWrap: 'anywhere' }}>{d.cvssVector}</code>
          </p>
          <p style={{ whiteSpace: 'pre-wrap' }}>{d.disclosure}</p>
        </article>
      ))}
    </Page>
  )
}

type Report = {
  id: string
  number: string
  email: string
  handle: string
  title: string
  description: string
  affected: string
  status: string
  createdAt: string
  cvssVector: string | null
  cvssScore: number | null
  severity: string | null
  duplicateOf: string | null
  reward: string | null
  rewardProposedBy: string | null
  rewardApprovedBy: string | null
}

function ReportCard({
  report,
  reports,
  reload,
}: {
  report: Report
  reports: Report[]
  reload: () => Promise<void>
}) {
  const { me } = useSession()
  const [vector, setVector] = useState(
    report.cvssVector ?? 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
  )
  const [preview, setPreview] = useState<string>('')
  const [usd, setUsd] = useState('')
  const [of, setOf] = useState('')
  const [disclosure, setDisclosure] = useState('')
  const action = useAction()
  const act =
    (path: string, body: unknown = {}) =>
    async () => {
      await post(`/api/staff/bounty/reports/${report.id}/${path}`, body)
      await reload()
    }
  const triage = can(me, 'bounty.reports.triage')
  return (
    <article className="card" aria-label={`Report ${report.number}`}>
      <h3>
        #{report.number} {report.title} <small>({report.status})</small>
      </h3>
      <p>
        {report.handle} &lt;{report.email}&gt; · {formatTime(report.createdAt)} · {report.affected}
      </p>
      <p style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{report.description}</p>
      {report.cvssScore !== null ? (
        <p>
          CVSS 4.0: <strong>{report.cvssScore.toFixed(1)}</strong> ({report.severity}){' '}
          <code style={{ overflowWrap: 'anywhere' }}>{report.cvssVector}</code>
        </p>
      ) : null}
      {report.reward ? (
        <p>
          Reward USD {report.reward}: {report.rewardApprovedBy ? 'approved' : 'waiting for a second approver'}
        </p>
      ) : null}
      {action.status}
      {triage && (report.status === 'new' || report.status === 'triaged') ? (
        <div className="stack">
          <label>
            CVSS 4.0 vector
            <input
              value={vector}
              maxLength={200}
              onChange={(e) => {
                setVector(e.target.value)
                get<{ score: number; severity: string }>(
                  `/api/bounty/cvss?vector=${encodeURIComponent(e.target.value)}`,
                ).then(
                  (r) => setPreview(`${r.score.toFixed(1)} ${r.severity}`),
                  () => setPreview('not a valid CVSS 4.0 base vector'),
                )
              }}
            />
          </label>
          {preview ? <p role="status">Score: {preview}</p> : null}
          <div className="row">
            <ActionButton action={action} onClick={act('triage', { vector })}>
              Triage with this score
            </ActionButton>
            <select aria-label="Original report" value={of} onChange={(e) => setOf(e.target.value)}>
              <option value="">Duplicate of…</option>
              {reports
                .filter((r) => r.id !== report.id && r.status !== 'duplicate')
                .map((r) => (
                  <option key={r.id} value={r.id}>
                    #{r.number} {r.title}
                  </option>
                ))}
            </select>
            <ActionButton action={action} disabled={!of} onClick={act('duplicate', { of })}>
              Mark duplicate
            </ActionButton>
          </div>
        </div>
      ) : null}
      {triage && report.status === 'triaged' ? (
        <ActionButton action={action} onClick={act('fixed')}>
          Mark fixed
        </ActionButton>
      ) : null}
      {report.status === 'fixed' ? (
        <div className="row">
          {triage ? (
            <>
              <input
                aria-label="Reward in USD"
                placeholder="USD"
                value={usd}
                onChange={(e) => setUsd(e.target.value)}
              />
              <ActionButton action={action} onClick={act('reward', { usd })}>
                Propose reward
              </ActionButton>
            </>
          ) : null}
          {report.reward && can(me, 'bounty.rewards.approve') ? (
            <ActionButton action={action} onClick={act('reward/approve')}>
              Approve reward
            </ActionButton>
          ) : null}
        </div>
      ) : null}
      {triage && (report.status === 'fixed' || report.status === 'rewarded') ? (
        <div className="stack">
          <label>
            Public write-up
            <textarea rows={3} value={disclosure} onChange={(e) => setDisclosure(e.target.value)} />
          </label>
          <ActionButton action={action} onClick={act('disclose', { disclosure })}>
            Disclose
          </ActionButton>
        </div>
      ) : null}
    </article>
  )
}

export function StaffBountyPage() {
  const { data, reload } = useLoaded<{ reports: Report[] }>('/api/staff/bounty/reports')
  return (
    <Page
      title="Bug bounty reports"
      intro="new → triaged → fixed → rewarded → disclosed. A reward needs a second staff member's approval."
    >
      {(data?.reports ?? []).length === 0 ? <p className="empty">No confirmed reports.</p> : null}
      {(data?.reports ?? []).map((r) => (
        <ReportCard
          key={`${r.id}-${r.status}-${r.reward}`}
          report={r}
          reports={data?.reports ?? []}
          reload={reload}
        />
      ))}
    </Page>
  )
}
