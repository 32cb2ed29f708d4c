/**
 * @module The staff training page (/staff/training): the modules due for my role, each with its
 * text and quiz (scored by the server); for those who may read it, completion per role as an
 * inline SVG bar chart; for security admins, module authoring (ModuleAuthoring.tsx) and a form
 * that sends a phishing drill to chosen staff and shows who clicked and who reported it.
 */
import { useState } from 'react'
import { get, post } from '../../platform/api.ts'
import { can, useSession } from '../../platform/session.tsx'
import {
  ActionButton,
  ActionForm,
  Field,
  formatTime,
  Page,
  Table,
  useAction,
  useLoaded,
} from '../../platform/ui.tsx'
import { ModuleAuthoring } from './ModuleAuthoring.tsx'

type Module = {
  id: string
  title: string
  body: string
  passMark: number
  dueOn: string
  status: 'due' | 'overdue' | 'passed'
  questions: Array<{ prompt: string; choices: string[] }>
}
type RoleCompletion = { role: string; staff: number; modules: number; complete: number; overdue: number }

function ModuleCard({ module, reload }: { module: Module; reload: () => Promise<void> }) {
  const [answers, setAnswers] = useState<Array<number | undefined>>([])
  const action = useAction()
  return (
    <section aria-label={module.title}>
      <h2>{module.title}</h2>
      <p>
        Due {module.dueOn} · <strong>{module.status}</strong> · pass mark {module.passMark}%
      </p>
      <p style={{ whiteSpace: 'pre-wrap' }}>{module.body}</p>
      <ActionForm
        action={action}
        submit="Submit answers"
        onSubmit={async () => {
          const result = await post<{ score: number; passMark: number; passed: boolean }>(
            `/api/staff/training/modules/${module.id}/attempts`,
            { answers: module.questions.map((_, i) => answers[i] ?? -1) },
          )
          await reload()
          return result.passed
            ? `Passed with ${result.score}%.`
            : `Not passed: ${result.score}% (pass mark ${result.passMark}%). Read the text again and retry.`
        }}
      >
        {module.questions.map((q, i) => (
          <fieldset key={q.prompt}>
            <legend>{q.prompt}</legend>
            {q.choices.map((choice, c) => (
              <label key={choice}>
                <input
                  type="radio"
                  name={`${module.id}-${i}`}
                  required
                  checked={answers[i] === c}
                  onChange={() => {
                    const next = [...answers]
                    next[i] = c
                    setAnswers(next)
                  }}
                />
                {choice}
              </label>
            ))}
          </fieldset>
        ))}
      </ActionForm>
    </section>
  )
}

/** One bar per role: the share of its staff who passed every module due for the role. */
function CompletionChart({ roles }: { roles: RoleCompletion[] }) {
  const rowHeight = 28
  const width = 480
  const labelWidth = 150
  const barWidth = width - labelWidth - 60
  return (
    <svg
      role="img"
      aria-label="Training completion per role"
      style={{ maxWidth: '100%', height: 'auto' }}
      width={width}
      height={roles.length * rowHeight + 10}
      viewBox={`0 0 ${width} ${roles.length * rowHeight + 10}`}
    >
      {roles.map((r, i) => {
        const share = r.staff === 0 ? 0 : r.complete / r.staff
        const y = i * rowHeight + 5
        return (
          <g key={r.role}>
            <text x={0} y={y + 17} fontSize={13}>
              {r.role.replace('_', ' ')}
            </text>
            <rect x={labelWidth} y={y} width={barWidth} height={20} fill="#e5e7eb" />
            <rect x={labelWidth} y={y} width={barWidth * share} height={20} fill="#15803d">
              <title>{`${r.role}: ${r.complete} of ${r.staff} complete, ${r.overdue} overdue`}</title>
            </rect>
            <text x={labelWidth + barWidth + 6} y={y + 15} fontSize={12}>
              {r.staff === 0 ? '—' : `${Math.round(share * 100)}%`}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

export function TrainingPage() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ modules: Module[] }>('/api/staff/training/modules')
  const mayRead = can(me, 'training.read')
  return (
    <Page
      title="Security training"
      intro="The modules due for your role. Pass each quiz by its due date: with the training gate on, overdue staff cannot use sensitive actions."
    >
      {data && data.modules.length === 0 ? <p>No training is due for your role.</p> : null}
      {(data?.modules ?? []).map((m) => (
        <ModuleCard key={m.id} module={m} reload={reload} />
      ))}
      {mayRead ? <Completion /> : null}
      {can(me, 'training.manage') ? <ModuleAuthoring /> : null}
      {can(me, 'training.manage') && can(me, 'staff.read') ? <DrillForm /> : null}
    </Page>
  )
}

function Completion() {
  const { data } = useLoaded<{ roles: RoleCompletion[] }>('/api/staff/training/completion')
  if (!data) return null
  return (
    <>
      <h2>Completion per role</h2>
      <CompletionChart roles={data.roles} />
    </>
  )
}

type Member = { id: string; displayName: string; email: string; role: string | null; status: string }
type DrillResults = {
  id: string
  subject: string
  sentAt: string
  recipients: Array<{
    staffId: string
    name: string
    role: string
    clickedAt: string | null
    reportedAt: string | null
  }>
}

function DrillForm() {
  const { data } = useLoaded<{ members: Member[] }>('/api/staff/members')
  const [subject, setSubject] = useState('Your mailbox is almost full')
  const [chosen, setChosen] = useState<string[]>([])
  const [drill, setDrill] = useState<DrillResults | null>(null)
  const action = useAction()
  const refresh = useAction()
  const load = async (id: string) => setDrill(await get<DrillResults>(`/api/staff/training/drills/${id}`))
  return (
    <>
      <h2>Phishing drill</h2>
      <ActionForm
        action={action}
        submit="Send drill"
        onSubmit={async () => {
          const sent = await post<{ id: string; recipients: number }>('/api/staff/training/drills', {
            subject,
            staffIds: chosen,
          })
          await load(sent.id)
          return `Drill sent to ${sent.recipients} staff.`
        }}
      >
        <Field label="Email subject" required maxLength={200} value={subject} onChange={setSubject} />
        <fieldset>
          <legend>Recipients</legend>
          {(data?.members ?? [])
            .filter((m) => m.status === 'active')
            .map((m) => (
              <label key={m.id}>
                <input
                  type="checkbox"
                  checked={chosen.includes(m.id)}
                  onChange={(e) =>
                    setChosen(e.target.checked ? [...chosen, m.id] : chosen.filter((x) => x !== m.id))
                  }
                />
                {m.displayName} ({m.role?.replace('_', ' ')})
              </label>
            ))}
        </fieldset>
      </ActionForm>
      {drill ? (
        <>
          <h3>
            “{drill.subject}”, sent {formatTime(drill.sentAt)}
          </h3>
          <ActionButton action={refresh} onClick={() => load(drill.id)}>
            Refresh results
          </ActionButton>
          <Table columns={['Recipient', 'Role', 'Clicked', 'Reported']} empty="No recipients.">
            {drill.recipients.map((r) => (
              <tr key={r.staffId}>
                <td>{r.name}</td>
                <td>{r.role.replace('_', ' ')}</td>
                <td>{r.clickedAt ? formatTime(r.clickedAt) : 'no'}</td>
                <td>{r.reportedAt ? formatTime(r.reportedAt) : 'no'}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
    </>
  )
}
