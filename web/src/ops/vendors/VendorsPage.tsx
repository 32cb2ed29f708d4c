/**
 * @module The vendor register page (/staff/vendors): vendors with the data they access, risk tier,
 * questionnaire, expiry reminders and status; a form to register one; approve or reject buttons
 * for compliance officers.
 */
import { useState } from 'react'
import { post } from '../../platform/api.ts'
import { can, useSession } from '../../platform/session.tsx'
import { ActionButton, ActionForm, Field, Page, Table, useAction, useLoaded } from '../../platform/ui.tsx'

type Vendor = {
  id: string
  name: string
  service: string
  dataAccessed: string[]
  riskTier: string
  questionnaire: Record<string, boolean | number>
  certification: string | null
  certificationExpiresOn: string | null
  contractExpiresOn: string
  nextReviewOn: string
  status: 'pending' | 'approved' | 'rejected'
  decisionNote: string | null
  reminders: string[]
}

const DATA_KINDS = ['personal', 'kyc_documents', 'financial', 'credentials', 'infrastructure', 'none']
const REMINDER_WORDS: Record<string, string> = {
  contract_expiring: 'contract expires within 30 days',
  contract_expired: 'contract expired',
  certification_expiring: 'certification expires within 30 days',
  certification_expired: 'certification expired',
  review_due: 'review due',
}
const QUESTIONS: Array<[string, string]> = [
  ['encryptsAtRest', 'Encrypts our data at rest'],
  ['enforcesMfa', 'Enforces MFA for its staff'],
  ['hasIncidentResponsePlan', 'Has an incident response plan'],
  ['usesSubprocessors', 'Uses subprocessors'],
]

function DecisionButtons({ vendor, reload }: { vendor: Vendor; reload: () => Promise<void> }) {
  const [note, setNote] = useState('')
  const action = useAction()
  const decide = (decision: 'approved' | 'rejected') => async () => {
    await post(`/api/staff/vendors/${vendor.id}/decision`, { decision, note })
    await reload()
    return `Vendor ${decision}.`
  }
  return (
    <div className="row">
      <input
        aria-label={`Decision note for ${vendor.name}`}
        placeholder="note"
        maxLength={1000}
        value={note}
        onChange={(e) => setNote(e.target.value)}
      />
      <ActionButton action={action} disabled={!note.trim()} onClick={decide('approved')}>
        Approve
      </ActionButton>
      <ActionButton action={action} disabled={!note.trim()} onClick={decide('rejected')}>
        Reject
      </ActionButton>
      {action.status}
    </div>
  )
}

export function VendorsPage() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ vendors: Vendor[] }>('/api/staff/vendors')
  const [form, setForm] = useState({
    name: '',
    service: '',
    riskTier: 'medium',
    certification: '',
    certificationExpiresOn: '',
    contractExpiresOn: '',
    nextReviewOn: '',
    breachNoticeHours: '72',
  })
  const [kinds, setKinds] = useState<string[]>([])
  const [answers, setAnswers] = useState<Record<string, boolean>>({})
  const action = useAction()
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  return (
    <Page
      title="Vendors"
      intro="Third parties that touch our data or systems. A new or changed vendor waits for a compliance officer other than the person who changed it."
    >
      <Table
        columns={['Vendor', 'Data', 'Risk', 'Contract', 'Review', 'Status', 'Reminders', '']}
        empty="No vendors registered."
      >
        {(data?.vendors ?? []).map((v) => (
          <tr key={v.id}>
            <td>
              <strong>{v.name}</strong>
              <br />
              {v.service}
            </td>
            <td>{v.dataAccessed.join(', ')}</td>
            <td>{v.riskTier}</td>
            <td>{v.contractExpiresOn}</td>
            <td>{v.nextReviewOn}</td>
            <td>
              {v.status}
              {v.decisionNote ? ` (${v.decisionNote})` : ''}
            </td>
            <td className={v.reminders.length ? 'sla-breached' : ''}>
              {v.reminders.map((r) => REMINDER_WORDS[r] ?? r).join('; ')}
            </td>
            <td>
              {v.status === 'pending' && can(me, 'vendors.approve') ? (
                <DecisionButtons vendor={v} reload={reload} />
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      {can(me, 'vendors.manage') ? (
        <>
          <h2>Register a vendor</h2>
          <ActionForm
            action={action}
            submit="Register vendor"
            onSubmit={async () => {
              await post('/api/staff/vendors', {
                name: form.name,
                service: form.service,
                dataAccessed: kinds,
                riskTier: form.riskTier,
                questionnaire: {
                  encryptsAtRest: answers.encryptsAtRest === true,
                  enforcesMfa: answers.enforcesMfa === true,
                  hasIncidentResponsePlan: answers.hasIncidentResponsePlan === true,
                  usesSubprocessors: answers.usesSubprocessors === true,
                  breachNoticeHours: Number(form.breachNoticeHours),
                },
                certification: form.certification || null,
                certificationExpiresOn: form.certificationExpiresOn || null,
                contractExpiresOn: form.contractExpiresOn,
                nextReviewOn: form.nextReviewOn,
              })
              await reload()
              return 'Vendor registered; it waits for approval.'
            }}
          >
            <Field label="Name" required maxLength={120} value={form.name} onChange={set('name')} />
            <Field label="Service" required maxLength={500} value={form.service} onChange={set('service')} />
            <fieldset>
              <legend>Data it accesses</legend>
              {DATA_KINDS.map((k) => (
                <label key={k}>
                  <input
                    type="checkbox"
                    checked={kinds.includes(k)}
                    onChange={(e) =>
                      setKinds(e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k))
                    }
                  />
                  {k.replace('_', ' ')}
                </label>
              ))}
            </fieldset>
            <label>
              Risk tier
              <select value={form.riskTier} onChange={(e) => set('riskTier')(e.target.value)}>
                <option value="critical">critical</option>
                <option value="high">high</option>
                <option value="medium">medium</option>
                <option value="low">low</option>
              </select>
            </label>
            <fieldset>
              <legend>Questionnaire</legend>
              {QUESTIONS.map(([key, text]) => (
                <label key={key}>
                  <input
                    type="checkbox"
                    checked={answers[key] === true}
                    onChange={(e) => setAnswers({ ...answers, [key]: e.target.checked })}
                  />
                  {text}
                </label>
              ))}
              <Field
                label="Breach notice (hours)"
                type="number"
                min={0}
                max={8760}
                required
                value={form.breachNoticeHours}
                onChange={set('breachNoticeHours')}
              />
            </fieldset>
            <Field
              label="Certification"
              maxLength={120}
              value={form.certification}
              onChange={set('certification')}
            />
            <Field
              label="Certification expires on"
              type="date"
              value={form.certificationExpiresOn}
              onChange={set('certificationExpiresOn')}
            />
            <Field
              label="Contract expires on"
              type="date"
              required
              value={form.contractExpiresOn}
              onChange={set('contractExpiresOn')}
            />
            <Field
              label="Next review on"
              type="date"
              required
              value={form.nextReviewOn}
              onChange={set('nextReviewOn')}
            />
          </ActionForm>
        </>
      ) : null}
    </Page>
  )
}
