/**
 * @module Staff custody console: the approval and review queue (each withdrawal's payload and its
 * hash, the risk reasons, the policy that applied and the approvals so far) with approve, reject and
 * release behind confirm dialogs; the exchange's wallet accounts and insurance fund; the policy
 * versions, with proposals another staff member approves (four-eyes).
 */
import { useState } from 'react'
import { post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ConfirmButton, formatTime, Page, Table, useAction, useLoaded } from '../platform/ui.tsx'
import {
  accountWords,
  conditionWords,
  humanize,
  outcomeWords,
  type Policy,
  type StaffWithdrawal,
  verdictWords,
} from './types.ts'

function QueueItem({ w, onChange }: { w: StaffWithdrawal; onChange: () => Promise<void> }) {
  const { me } = useSession()
  const action = useAction()
  const [note, setNote] = useState('')
  const decision = w.policyDecision
  const valid = w.approvals.filter((a) => a.valid).length
  const act = (verb: 'approve' | 'reject' | 'release', body: object, done: string) =>
    action.run(async () => {
      await post(`/api/staff/custody/withdrawals/${w.id}/${verb}`, body)
      await onChange()
      return done
    })
  const noteMissing = note.trim().length === 0
  return (
    <article className="card custody-queue-item" data-status={w.status} data-hash={w.payloadHash}>
      <h3>
        {w.amount} {w.asset} to <span className="break">{w.address}</span>
      </h3>
      <p className="custody-status">
        {w.status === 'held_for_review' ? 'Held for review' : 'Waiting for approval'} · asked{' '}
        {formatTime(w.createdAt)} {w.via === 'api_key' ? 'with an API key' : 'in the web app'}
      </p>
      <dl className="kv">
        <div>
          <dt>Payload</dt>
          <dd>
            {w.payload.amount} smallest units of {w.payload.asset} on {w.payload.network} to{' '}
            <span className="break">{w.payload.address}</span>
          </dd>
        </div>
        <div>
          <dt>Payload hash</dt>
          <dd>
            <code className="break">{w.payloadHash}</code>
          </dd>
        </div>
        <div>
          <dt>Risk</dt>
          <dd>
            {w.riskReasons.length === 0
              ? `No risk reasons (score ${decision?.facts?.riskScore ?? 0}).`
              : w.riskReasons.map((r) => r.text).join('; ')}
          </dd>
        </div>
        <div>
          <dt>Policy</dt>
          <dd>
            Version {w.policyVersion ?? '–'}: {decision ? outcomeWords(decision) : 'not evaluated'}
            {decision?.matched?.length ? ` (rules ${decision.matched.join(', ')})` : ' (no rule matched)'}
          </dd>
        </div>
        <div>
          <dt>Approvals</dt>
          <dd>
            {valid} of {w.requiredApprovals}
            {w.approvals.length
              ? ` — ${w.approvals.map((a) => `${humanize(a.role)}${a.valid ? '' : ' (no longer counts)'}`).join(', ')}`
              : ''}
          </dd>
        </div>
      </dl>
      <details>
        <summary>Checks and steps</summary>
        <ol className="custody-steps">
          {w.steps.map((s) => (
            <li key={`${s.step} ${s.at} ${s.verdict} ${s.detail ?? ''}`}>
              {humanize(s.step)}: <strong>{verdictWords(s.verdict)}</strong>
              {s.detail ? <small> ({s.detail})</small> : null}
            </li>
          ))}
        </ol>
      </details>
      {action.status}
      <div className="row">
        {w.status === 'awaiting_approval' && can(me, 'custody.withdrawals.approve') ? (
          <ConfirmButton
            label="Approve"
            className=""
            title="Approve this withdrawal?"
            consequence={`You approve sending ${w.amount} ${w.asset} to ${w.address}. Your approval counts only for this exact payload (hash ${w.payloadHash.slice(0, 12)}…) and only for a limited time.`}
            confirmLabel="Approve"
            disabled={action.busy}
            onConfirm={() => act('approve', { payloadHash: w.payloadHash }, 'Approved.')}
          />
        ) : null}
        {can(me, 'custody.withdrawals.reject') ||
        (w.status === 'held_for_review' && can(me, 'custody.holds.manage')) ? (
          <input
            aria-label="Note for the decision"
            placeholder="Why (kept in the audit log)"
            maxLength={500}
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        ) : null}
        {w.status === 'held_for_review' && can(me, 'custody.holds.manage') ? (
          <ConfirmButton
            label="Release"
            className="secondary"
            title="Release this withdrawal from review?"
            consequence="It continues with the outcome its policy gave it (approval, or signing)."
            confirmLabel="Release"
            disabled={action.busy || noteMissing}
            onConfirm={() => act('release', { note: note.trim() }, 'Released from review.')}
          />
        ) : null}
        {can(me, 'custody.withdrawals.reject') ? (
          <ConfirmButton
            label="Reject"
            title="Reject this withdrawal?"
            consequence={`${w.amount} ${w.asset} and the fee go back to the customer's available balance. Nothing is sent.`}
            confirmLabel="Reject"
            disabled={action.busy || noteMissing}
            onConfirm={() =>
              act('reject', { note: note.trim() }, 'Rejected; the funds are back with the customer.')
            }
          />
        ) : null}
      </div>
    </article>
  )
}

function Queue() {
  const { data, reload } = useLoaded<{ withdrawals: StaffWithdrawal[] }>('/api/staff/custody/withdrawals')
  return (
    <section aria-labelledby="custody-queue">
      <h2 id="custody-queue">Approval and review queue</h2>
      {!data ? (
        <p>Loading…</p>
      ) : data.withdrawals.length === 0 ? (
        <p className="empty">
          Nothing waits: no withdrawal needs an approval or a review. They appear here as soon as the policy
          or the risk checks send one.
        </p>
      ) : (
        data.withdrawals.map((w) => <QueueItem key={w.id} w={w} onChange={reload} />)
      )}
    </section>
  )
}

function Wallets() {
  const { data } = useLoaded<{ accounts: { asset: string; kind: string; balance: string }[] }>(
    '/api/staff/custody/wallets',
  )
  const insurance = data?.accounts.filter((a) => a.kind === 'insurance_fund') ?? []
  return (
    <section aria-labelledby="custody-wallets">
      <h2 id="custody-wallets">Wallets and insurance fund</h2>
      <p className="hint">
        Ledger balances of the exchange's own accounts. Wallet and clearing accounts are negative: they mirror
        what customers hold (see the custody documentation).
      </p>
      {!data ? (
        <p>Loading…</p>
      ) : (
        <>
          <p data-testid="insurance-fund">
            Insurance fund:{' '}
            {insurance.length === 0
              ? 'empty (it receives a share of every withdrawal fee).'
              : insurance.map((a) => `${a.balance} ${a.asset}`).join(', ')}
          </p>
          <Table columns={['Account', 'Asset', 'Balance']} empty="No wallet account has moved yet.">
            {data.accounts.map((a) => (
              <tr key={`${a.kind}-${a.asset}`}>
                <td>{accountWords(a.kind)}</td>
                <td>{a.asset}</td>
                <td>{a.balance}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  )
}

function PolicyCard({ p, onChange }: { p: Policy; onChange: () => Promise<void> }) {
  const { me } = useSession()
  const action = useAction()
  return (
    <article className="card" data-policy-version={p.version} data-policy-status={p.status}>
      <h3>
        Version {p.version} · {p.status}
      </h3>
      <p className="hint">
        {p.note} · proposed {formatTime(p.proposedAt)}
        {p.approvedAt ? ` · approved ${formatTime(p.approvedAt)}` : ''}
      </p>
      <ul>
        {p.document.rules.map((r) => (
          <li key={r.id}>
            <strong>{r.id}</strong>: {conditionWords(r.when)} → {outcomeWords(r.outcome)}
            {r.description ? <small> ({r.description})</small> : null}
          </li>
        ))}
        <li>
          Fees:{' '}
          {Object.entries(p.document.fees)
            .map(([a, f]) => `${f} ${a}`)
            .join(', ')}
          ; insurance fund share {p.document.insuranceShareBps / 100} %
        </li>
        <li>
          Hot wallet signs up to:{' '}
          {Object.entries(p.document.hotWalletMax)
            .map(([a, f]) => `${f} ${a}`)
            .join(', ')}
        </li>
      </ul>
      {action.status}
      {p.status === 'proposed' && can(me, 'custody.policy.approve') ? (
        <ConfirmButton
          label="Approve and activate"
          className=""
          title={`Activate policy version ${p.version}?`}
          consequence="It replaces the active policy for every new withdrawal. You cannot approve your own proposal."
          confirmLabel="Activate"
          disabled={action.busy}
          onConfirm={() =>
            action.run(async () => {
              await post(`/api/staff/custody/policies/${p.version}/approve`)
              await onChange()
              return `Version ${p.version} is now the active policy.`
            })
          }
        />
      ) : null}
    </article>
  )
}

function ProposeForm({ active, onChange }: { active: Policy | undefined; onChange: () => Promise<void> }) {
  const action = useAction()
  const [text, setText] = useState(() => (active ? JSON.stringify(active.document, null, 2) : ''))
  const [note, setNote] = useState('')
  return (
    <details>
      <summary>Propose a change</summary>
      <form
        className="stack"
        onSubmit={action.handleSubmit(async () => {
          let document: unknown
          try {
            document = JSON.parse(text)
          } catch {
            throw new Error('The policy is not valid JSON: check the brackets and quotes.')
          }
          const { policy } = await post<{ policy: Policy }>('/api/staff/custody/policies', {
            document,
            note: note.trim(),
          })
          await onChange()
          return `Version ${policy.version} proposed; another staff member must approve it.`
        })}
      >
        <label>
          Policy document (the policy language is in the custody documentation)
          <textarea rows={16} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
        </label>
        <label>
          Why this change
          <input required maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        {action.status}
        <button type="submit" disabled={action.busy}>
          Propose
        </button>
      </form>
    </details>
  )
}

function Policies() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ policies: Policy[] }>('/api/staff/custody/policies')
  const shown = data?.policies.filter((p) => p.status === 'active' || p.status === 'proposed') ?? []
  return (
    <section aria-labelledby="custody-policies">
      <h2 id="custody-policies">Withdrawal policy</h2>
      {!data ? (
        <p>Loading…</p>
      ) : (
        <>
          {shown.map((p) => (
            <PolicyCard key={p.version} p={p} onChange={reload} />
          ))}
          {can(me, 'custody.policy.manage') ? (
            <ProposeForm active={data.policies.find((p) => p.status === 'active')} onChange={reload} />
          ) : null}
        </>
      )}
    </section>
  )
}

export function StaffCustodyPage() {
  const { me } = useSession()
  return (
    <Page
      title="Custody"
      intro="Withdrawals waiting for a decision, the exchange's wallets and the policy that decides."
    >
      <Queue />
      {can(me, 'custody.read') ? <Wallets /> : null}
      <Policies />
    </Page>
  )
}
