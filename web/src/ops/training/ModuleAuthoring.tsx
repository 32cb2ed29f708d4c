/**
 * @module Training module authoring (staff with training.manage, on /staff/training): the list of
 * every module with an Edit button, and one form to create or edit a module: title, content, quiz
 * questions (choices one per line, the right one chosen), pass mark, the roles it is due for and in
 * how many days.
 */
import { useState } from 'react'
import { post, put } from '../../platform/api.ts'
import { ActionForm, Field, Table, useAction, useLoaded } from '../../platform/ui.tsx'

const ROLES = [
  'support',
  'risk_analyst',
  'compliance_officer',
  'custody_approver',
  'security_admin',
  'auditor',
] as const

type Question = { prompt: string; choices: string[]; answer: number }
type AuthoredModule = {
  id: string
  title: string
  body: string
  quiz: Question[]
  passMark: number
  due: Array<{ role: string; dueOn: string }>
}
type Draft = {
  id: string | null
  title: string
  body: string
  passMark: string
  dueDays: string
  roles: string[]
  questions: Array<{ prompt: string; choices: string; answer: number }>
}

const DAY_MS = 86_400_000
const blankQuestion = () => ({ prompt: '', choices: '', answer: 0 })
const blank = (): Draft => ({
  id: null,
  title: '',
  body: '',
  passMark: '80',
  dueDays: '14',
  roles: [],
  questions: [blankQuestion()],
})

function draftOf(m: AuthoredModule): Draft {
  const firstDue = m.due.map((d) => d.dueOn).sort()[0]
  const days = firstDue ? Math.max(0, Math.round((Date.parse(firstDue) - Date.now()) / DAY_MS)) : 14
  return {
    id: m.id,
    title: m.title,
    body: m.body,
    passMark: String(m.passMark),
    dueDays: String(days),
    roles: m.due.map((d) => d.role),
    questions: m.quiz.map((q) => ({ prompt: q.prompt, choices: q.choices.join('\n'), answer: q.answer })),
  }
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

export function ModuleAuthoring() {
  const { data, reload } = useLoaded<{ modules: AuthoredModule[] }>('/api/staff/training/modules/all')
  const [draft, setDraft] = useState<Draft>(blank)
  const action = useAction()
  const set = (change: Partial<Draft>) => setDraft({ ...draft, ...change })
  const setQuestion = (i: number, change: Partial<Draft['questions'][number]>) =>
    set({ questions: draft.questions.map((q, j) => (j === i ? { ...q, ...change } : q)) })

  return (
    <section aria-label="Module authoring">
      <h2>Training modules</h2>
      <Table columns={['Module', 'Due for', 'Questions', '']} empty="No modules yet.">
        {(data?.modules ?? []).map((m) => (
          <tr key={m.id}>
            <td>{m.title}</td>
            <td>{m.due.map((d) => `${d.role.replace('_', ' ')} by ${d.dueOn}`).join(', ') || 'nobody'}</td>
            <td>{m.quiz.length}</td>
            <td>
              <button type="button" aria-label={`Edit ${m.title}`} onClick={() => setDraft(draftOf(m))}>
                Edit
              </button>
            </td>
          </tr>
        ))}
      </Table>
      <h3>{draft.id ? `Edit “${draft.title}”` : 'New module'}</h3>
      <ActionForm
        action={action}
        submit={draft.id ? 'Save module' : 'Create module'}
        onSubmit={async () => {
          const dueOn = new Date(Date.now() + Number(draft.dueDays) * DAY_MS).toISOString().slice(0, 10)
          const body = {
            title: draft.title,
            body: draft.body,
            passMark: Number(draft.passMark),
            quiz: draft.questions.map((q) => ({
              prompt: q.prompt,
              choices: lines(q.choices),
              answer: q.answer,
            })),
            due: draft.roles.map((role) => ({ role, dueOn })),
          }
          if (draft.id) await put(`/api/staff/training/modules/${draft.id}`, body)
          else await post('/api/staff/training/modules', body)
          const saved = draft.title
          setDraft(blank())
          await reload()
          return `Saved “${saved}”.`
        }}
      >
        <Field
          label="Title"
          required
          maxLength={200}
          value={draft.title}
          onChange={(title) => set({ title })}
        />
        <label>
          Content
          <textarea
            required
            maxLength={20000}
            rows={6}
            value={draft.body}
            onChange={(e) => set({ body: e.target.value })}
          />
        </label>
        {draft.questions.map((q, i) => {
          const choices = lines(q.choices)
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: questions have no id until saved
            <fieldset key={i}>
              <legend>Question {i + 1}</legend>
              <Field
                label={`Question ${i + 1} prompt`}
                required
                maxLength={500}
                value={q.prompt}
                onChange={(prompt) => setQuestion(i, { prompt })}
              />
              <label>
                {`Question ${i + 1} choices (one per line)`}
                <textarea
                  required
                  rows={3}
                  value={q.choices}
                  onChange={(e) => setQuestion(i, { choices: e.target.value })}
                />
              </label>
              <label>
                {`Question ${i + 1} correct answer`}
                <select value={q.answer} onChange={(e) => setQuestion(i, { answer: Number(e.target.value) })}>
                  {choices.map((c, k) => (
                    <option key={c} value={k}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
              {draft.questions.length > 1 ? (
                <button
                  type="button"
                  onClick={() => set({ questions: draft.questions.filter((_, j) => j !== i) })}
                >
                  Remove question {i + 1}
                </button>
              ) : null}
            </fieldset>
          )
        })}
        <button type="button" onClick={() => set({ questions: [...draft.questions, blankQuestion()] })}>
          Add a question
        </button>
        <Field
          label="Pass mark (%)"
          type="number"
          required
          min={1}
          max={100}
          value={draft.passMark}
          onChange={(passMark) => set({ passMark })}
        />
        <fieldset>
          <legend>Due for roles</legend>
          {ROLES.map((role) => (
            <label key={role}>
              <input
                type="checkbox"
                checked={draft.roles.includes(role)}
                onChange={(e) =>
                  set({
                    roles: e.target.checked ? [...draft.roles, role] : draft.roles.filter((r) => r !== role),
                  })
                }
              />
              {role.replace('_', ' ')}
            </label>
          ))}
        </fieldset>
        <Field
          label="Due in days"
          type="number"
          required
          min={0}
          max={365}
          value={draft.dueDays}
          onChange={(dueDays) => set({ dueDays })}
        />
        {draft.id ? (
          <button type="button" onClick={() => setDraft(blank())}>
            Cancel editing
          </button>
        ) : null}
      </ActionForm>
    </section>
  )
}
