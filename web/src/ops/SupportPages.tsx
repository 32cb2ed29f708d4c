/**
 * @module Support desk pages: customers open tickets (reachable from the menu on every page, which
 * passes the page they came from) and follow them; staff work the queue with SLA clocks and an SLA
 * attainment chart, and answer tickets with notes, macros and the customer's linked records.
 */
import { useState } from 'react'
import { post } from '../platform/api.ts'
import { Link, navigate } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import {
  ActionButton,
  ActionForm,
  ErrorNote,
  formatTime,
  Page,
  Table,
  useAction,
  useLoaded,
} from '../platform/ui.tsx'
import { readFiles } from './files.ts'

type Attachment = { id: string; fileName: string; contentType: string; size: number }
type Message = {
  id: string
  kind: string
  via: string
  author: string | null
  body: string
  at: string
  attachments: Attachment[]
}
type TicketSummary = {
  id: string
  number: string
  type: string
  category: string
  subject: string
  status: string
  priority: string
  createdAt: string
}
type ClockState = 'running' | 'at_risk' | 'met' | 'breached'
type QueueRow = TicketSummary & {
  customerEmail: string
  assignee: string | null
  assigneeId: string | null
  firstResponseDueAt: string
  resolutionDueAt: string
  sla: { firstResponse: ClockState; resolution: ClockState }
}

const statusLabel: Record<string, string> = {
  open: 'Open',
  waiting_customer: 'Waiting for you',
  resolved: 'Resolved',
}
const typeLabel: Record<string, string> = {
  question: 'Question',
  frozen_account: 'Frozen account',
  p2p_dispute: 'P2P dispute',
}
const clockLabel: Record<ClockState, string> = {
  running: 'on time',
  at_risk: 'breach soon',
  met: 'met',
  breached: 'breached',
}

function Conversation({
  messages,
  files,
}: {
  messages: Message[]
  files: (m: Message, a: Attachment) => string
}) {
  return (
    <ol className="stack conversation" aria-label="Conversation">
      {messages.map((m) => (
        <li key={m.id} className={`card message-${m.kind}`}>
          <p>
            <strong>
              {m.kind === 'internal' ? `Internal note — ${m.author ?? ''}` : (m.author ?? 'Bulwark')}
            </strong>{' '}
            <small>
              {formatTime(m.at)}
              {m.via === 'email' ? ' · by email' : ''}
            </small>
          </p>
          <p style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{m.body}</p>
          {m.attachments.map((a) => (
            <a key={a.id} href={files(m, a)} download>
              {a.fileName} ({Math.ceil(a.size / 1024)} KB)
            </a>
          ))}
        </li>
      ))}
    </ol>
  )
}

export function SupportPage() {
  const { data, reload } = useLoaded<{ tickets: TicketSummary[] }>('/api/support/tickets')
  const from = new URLSearchParams(window.location.search).get('from') ?? ''
  const [category, setCategory] = useState('account')
  const [subject, setSubject] = useState('')
  const [body, setBody] = useState('')
  const [files, setFiles] = useState<FileList | null>(null)
  const action = useAction()
  return (
    <Page
      title="Support"
      intro="Ask us anything about your account. We answer here and by email; every email from us starts with your anti-phishing code."
    >
      <h2>New request</h2>
      <ActionForm
        action={action}
        submit="Send request"
        onSubmit={async () => {
          const created = await post<{ id: string }>('/api/support/tickets', {
            category,
            subject,
            body,
            sourcePage: from.slice(0, 200),
            attachments: await readFiles(files),
          })
          await reload()
          navigate(`/support/tickets/${created.id}`)
        }}
      >
        <label>
          Topic
          <select value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="account">My account</option>
            <option value="funds">Deposits and withdrawals</option>
            <option value="p2p">P2P trading</option>
            <option value="security">Security</option>
            <option value="other">Something else</option>
          </select>
        </label>
        <label>
          Subject
          <input
            required
            minLength={3}
            maxLength={200}
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
          />
        </label>
        <label>
          Message
          <textarea
            required
            maxLength={10000}
            rows={5}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </label>
        <label>
          Attachments (PNG, JPEG, PDF or text, up to 5 MB each, at most 2)
          <input
            type="file"
            multiple
            accept=".png,.jpg,.jpeg,.pdf,.txt"
            onChange={(e) => setFiles(e.target.files)}
          />
        </label>
      </ActionForm>
      <h2>My requests</h2>
      <Table columns={['#', 'Subject', 'Status', 'Opened']} empty="No requests yet.">
        {(data?.tickets ?? []).map((t) => (
          <tr key={t.id}>
            <td>{t.number}</td>
            <td>
              <Link to={`/support/tickets/${t.id}`}>{t.subject}</Link> <small>{typeLabel[t.type]}</small>
            </td>
            <td>{statusLabel[t.status] ?? t.status}</td>
            <td>{formatTime(t.createdAt)}</td>
          </tr>
        ))}
      </Table>
    </Page>
  )
}

export function TicketPage({ id }: { id: string }) {
  const { data, reload } = useLoaded<{ ticket: TicketSummary; messages: Message[] }>(
    `/api/support/tickets/${id}`,
  )
  const [body, setBody] = useState('')
  const [files, setFiles] = useState<FileList | null>(null)
  const action = useAction()
  if (!data) return <Page title="Support request">Loading…</Page>
  return (
    <Page title={`#${data.ticket.number} ${data.ticket.subject}`}>
      <p>
        Status: <strong>{statusLabel[data.ticket.status] ?? data.ticket.status}</strong> ·{' '}
        {typeLabel[data.ticket.type]}
      </p>
      <Conversation
        messages={data.messages}
        files={(_, a) => `/api/support/tickets/${id}/attachments/${a.id}`}
      />
      <ActionForm
        action={action}
        submit="Send reply"
        onSubmit={async () => {
          await post(`/api/support/tickets/${id}/replies`, { body, attachments: await readFiles(files) })
          setBody('')
          await reload()
          return 'Sent.'
        }}
      >
        <label>
          Your reply
          <textarea
            required
            rows={4}
            maxLength={10000}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </label>
        <label>
          Attachments
          <input
            type="file"
            multiple
            accept=".png,.jpg,.jpeg,.pdf,.txt"
            onChange={(e) => setFiles(e.target.files)}
          />
        </label>
      </ActionForm>
      <p>
        <Link to="/support">All my requests</Link>
      </p>
    </Page>
  )
}

type Week = {
  week: string
  tickets: number
  firstResponseMet: number
  firstResponseDecided: number
  resolutionMet: number
  resolutionDecided: number
}

/** Weekly SLA attainment as an inline SVG bar chart: first response and resolution, per cent of decided clocks. */
export function SlaChart({ weeks }: { weeks: Week[] }) {
  const width = 320
  const height = 140
  const band = width / Math.max(weeks.length, 1)
  const pct = (met: number, decided: number) => (decided === 0 ? null : Math.round((met / decided) * 100))
  return (
    <figure className="sla-chart">
      <svg
        viewBox={`0 0 ${width} ${height + 30}`}
        role="img"
        aria-label="SLA attainment per week"
        style={{ width: '100%', maxWidth: 480, height: 'auto' }}
      >
        <line x1="0" y1={height} x2={width} y2={height} stroke="currentColor" strokeWidth="1" />
        {weeks.map((w, i) => {
          const first = pct(w.firstResponseMet, w.firstResponseDecided)
          const resolution = pct(w.resolutionMet, w.resolutionDecided)
          const x = i * band
          const bar = Math.max(band / 2 - 4, 2)
          return (
            <g key={w.week}>
              <title>{`Week of ${w.week}: first response ${first ?? '–'}%, resolution ${resolution ?? '–'}% (${w.tickets} tickets)`}</title>
              {first !== null ? (
                <rect
                  x={x + 2}
                  y={height - (first / 100) * height}
                  width={bar}
                  height={(first / 100) * height}
                  fill="#2f6fde"
                />
              ) : null}
              {resolution !== null ? (
                <rect
                  x={x + 2 + bar + 2}
                  y={height - (resolution / 100) * height}
                  width={bar}
                  height={(resolution / 100) * height}
                  fill="#1f9d6b"
                />
              ) : null}
              <text x={x + band / 2} y={height + 14} fontSize="9" textAnchor="middle" fill="currentColor">
                {w.week.slice(5)}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption>
        <span style={{ color: '#2f6fde' }}>■</span> first response within target ·{' '}
        <span style={{ color: '#1f9d6b' }}>■</span> resolved within target (% of tickets whose clock stopped
        or ran out, by week opened)
      </figcaption>
      <Table columns={['Week', 'Tickets', 'First response', 'Resolution']}>
        {weeks.map((w) => (
          <tr key={w.week}>
            <td>{w.week}</td>
            <td>{w.tickets}</td>
            <td>{pct(w.firstResponseMet, w.firstResponseDecided) ?? '–'}%</td>
            <td>{pct(w.resolutionMet, w.resolutionDecided) ?? '–'}%</td>
          </tr>
        ))}
      </Table>
    </figure>
  )
}

export function StaffSupportPage() {
  const { me } = useSession()
  const [view, setView] = useState('open')
  const { data } = useLoaded<{ tickets: QueueRow[] }>(`/api/staff/support/tickets?view=${view}`)
  const sla = useLoaded<{ weeks: Week[] }>('/api/staff/support/sla?weeks=8')
  const macros = useLoaded<{ macros: Array<{ id: string; title: string; body: string }> }>(
    '/api/staff/support/macros',
  )
  const [title, setTitle] = useState('')
  const [body, setBody] = useState('')
  const action = useAction()
  return (
    <Page
      title="Support queue"
      intro="Tickets by priority, oldest first. “Breach soon” means less than a quarter of the SLA time is left."
    >
      <fieldset className="row" aria-label="Queue">
        {['open', 'mine', 'unassigned', 'breached', 'resolved'].map((v) => (
          <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
            {v[0]!.toUpperCase() + v.slice(1)}
          </button>
        ))}
      </fieldset>
      <Table
        columns={['#', 'Ticket', 'Priority', 'First response', 'Resolution', 'Assignee']}
        empty="No tickets in this queue."
      >
        {(data?.tickets ?? []).map((t) => (
          <tr key={t.id}>
            <td>{t.number}</td>
            <td>
              <Link to={`/staff/support/tickets/${t.id}`}>{t.subject}</Link>
              <br />
              <small>
                {typeLabel[t.type]} · {t.customerEmail}
              </small>
            </td>
            <td>{t.priority}</td>
            <td className={`sla-${t.sla.firstResponse}`}>{clockLabel[t.sla.firstResponse]}</td>
            <td className={`sla-${t.sla.resolution}`}>{clockLabel[t.sla.resolution]}</td>
            <td>{t.assignee ?? '—'}</td>
          </tr>
        ))}
      </Table>
      <h2>SLA attainment</h2>
      {sla.data ? <SlaChart weeks={sla.data.weeks} /> : null}
      <h2>Macros</h2>
      <ul>
        {(macros.data?.macros ?? []).map((m) => (
          <li key={m.id}>
            <strong>{m.title}</strong>: {m.body}
          </li>
        ))}
      </ul>
      {can(me, 'support.macros.manage') ? (
        <ActionForm
          action={action}
          submit="Add macro"
          onSubmit={async () => {
            await post('/api/staff/support/macros', { title, body })
            setTitle('')
            setBody('')
            await macros.reload()
            return 'Macro added.'
          }}
        >
          <label>
            Macro title
            <input required maxLength={100} value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label>
            Macro text
            <textarea
              required
              maxLength={5000}
              rows={3}
              value={body}
              onChange={(e) => setBody(e.target.value)}
            />
          </label>
        </ActionForm>
      ) : null}
    </Page>
  )
}

type StaffTicket = {
  ticket: Omit<QueueRow, 'customerEmail' | 'assignee'> & { p2pOrderId: string | null; sourcePage: string }
  customer: { id: string; email: string; displayName: string; status: string; createdAt: string }
  alerts: Array<{ id: string; kind: string; at: string; wasntMe: boolean }>
  orders: Array<{
    id: string
    status: string
    asset: string
    fiat: string
    createdAt: string
    disputed: boolean
  }>
  cases: Array<{ id: string; status: string; resolution: string | null; createdAt: string }>
  messages: Message[]
}

export function StaffTicketPage({ id }: { id: string }) {
  const { me } = useSession()
  const { data, reload } = useLoaded<StaffTicket>(`/api/staff/support/tickets/${id}`)
  const macros = useLoaded<{ macros: Array<{ id: string; title: string }> }>('/api/staff/support/macros')
  const [body, setBody] = useState('')
  const [macroId, setMacroId] = useState('')
  const [internal, setInternal] = useState(false)
  const [resolve, setResolve] = useState(false)
  const action = useAction()
  const assign = useAction()
  if (!data) return <Page title="Ticket">Loading…</Page>
  const t = data.ticket
  const handle = can(me, 'support.tickets.handle')
  return (
    <Page title={`#${t.number} ${t.subject}`}>
      <p>
        {typeLabel[t.type]} · {t.priority} · {statusLabel[t.status] ?? t.status} · first response{' '}
        <strong className={`sla-${t.sla.firstResponse}`}>{clockLabel[t.sla.firstResponse]}</strong> (due{' '}
        {formatTime(t.firstResponseDueAt)}) · resolution{' '}
        <strong className={`sla-${t.sla.resolution}`}>{clockLabel[t.sla.resolution]}</strong> (due{' '}
        {formatTime(t.resolutionDueAt)}){t.sourcePage ? ` · opened from ${t.sourcePage}` : ''}
      </p>
      {handle && me ? (
        <div className="row">
          <ActionButton
            action={assign}
            onClick={async () => {
              await post(`/api/staff/support/tickets/${id}/assign`, { assigneeId: me.user.id })
              await reload()
            }}
          >
            Assign to me
          </ActionButton>
          <ErrorNote error={assign.error} />
        </div>
      ) : null}
      <section aria-label="Customer">
        <h2>Customer</h2>
        <p>
          {data.customer.displayName} ({data.customer.email}) · account {data.customer.status}
          {data.customer.status === 'frozen' ? (
            <>
              {' '}
              · <Link to="/staff/frozen">Frozen accounts</Link>
            </>
          ) : null}
        </p>
        <details>
          <summary>
            Alerts ({data.alerts.length}), P2P orders ({data.orders.length}), risk cases ({data.cases.length})
          </summary>
          <ul>
            {data.alerts.map((a) => (
              <li key={a.id}>
                Alert {a.kind} {formatTime(a.at)} {a.wasntMe ? '(“This wasn’t me”)' : ''}
              </li>
            ))}
            {data.orders.map((o) => (
              <li key={o.id}>
                P2P order {o.id.slice(0, 8)} {o.asset}/{o.fiat} {o.status}
                {o.disputed ? (
                  <>
                    {' '}
                    · <Link to="/staff/p2p/disputes">disputed</Link>
                  </>
                ) : null}
              </li>
            ))}
            {data.cases.map((c) => (
              <li key={c.id}>
                <Link to={`/staff/risk/cases/${c.id}`}>Risk case {c.id.slice(0, 8)}</Link> {c.status}
              </li>
            ))}
          </ul>
        </details>
      </section>
      <Conversation
        messages={data.messages}
        files={(_, a) => `/api/staff/support/tickets/${id}/attachments/${a.id}`}
      />
      {handle ? (
        <ActionForm
          action={action}
          submit={internal ? 'Add internal note' : 'Send answer'}
          onSubmit={async () => {
            await post(`/api/staff/support/tickets/${id}/replies`, {
              body,
              internal,
              resolve: !internal && resolve,
              ...(macroId ? { macroId } : {}),
            })
            setBody('')
            setMacroId('')
            await reload()
            return internal ? 'Note added.' : 'Answer sent.'
          }}
        >
          <label>
            Macro
            <select value={macroId} onChange={(e) => setMacroId(e.target.value)}>
              <option value="">(none)</option>
              {(macros.data?.macros ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            Message
            <textarea rows={4} maxLength={10000} value={body} onChange={(e) => setBody(e.target.value)} />
          </label>
          <label>
            <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} />{' '}
            Internal note (never shown to the customer)
          </label>
          <label>
            <input
              type="checkbox"
              checked={resolve}
              disabled={internal}
              onChange={(e) => setResolve(e.target.checked)}
            />{' '}
            Resolve with this answer
          </label>
        </ActionForm>
      ) : null}
    </Page>
  )
}
