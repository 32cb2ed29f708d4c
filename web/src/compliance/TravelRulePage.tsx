/**
 * @module The Travel Rule pages. Staff (/staff/travel-rule): the compliance queue of transfers to
 * and from other VASPs with their state, deposits held for missing data (release or keep held),
 * retry or reject of unanswered transfers, the thresholds per jurisdiction (compliance officers set
 * a new one from a time) and the VASP directory. Customers
 * (/travel-rule/destinations): say whose a withdrawal address is — a customer of another exchange,
 * or their own wallet proven with a signed message.
 */
import { useState } from 'react'
import { get, post, put } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import {
  ActionButton,
  ActionForm,
  Field,
  formatTime,
  Page,
  Table,
  useAction,
  useLoaded,
} from '../platform/ui.tsx'

type Transfer = {
  id: string
  transferId: string
  direction: 'outbound' | 'inbound'
  vaspName: string
  asset: string
  amount: string
  destination: string
  status: 'pending' | 'accepted' | 'rejected'
  reason: string | null
  lastError: string | null
  txHash: string | null
  withdrawalStatus: string | null
  originator: string
  beneficiary: string
  createdAt: string
}
type HeldDeposit = {
  depositId: string
  vaspName: string
  status: 'held' | 'released' | 'rejected'
  note: string | null
  decidedBy: string | null
  asset: string
  amount: string
  txid: string
  address: string
  heldAt: string
}
type Vasp = {
  id: string
  name: string
  baseUrl: string
  publicKey: string
  jurisdiction: string
  addresses: string[]
  status: 'active' | 'disabled'
}

type ThresholdInForce = {
  jurisdiction: string
  amount: string
  currency: string
  source: 'config' | 'staff'
  effectiveFrom: string | null
}
type ThresholdVersion = {
  jurisdiction: string
  amount: string
  currency: string
  effectiveFrom: string
  note: string | null
  createdAt: string
}

const STATE_WORDS: Record<Transfer['status'], string> = {
  pending: 'waiting for the other VASP',
  accepted: 'accepted',
  rejected: 'rejected',
}

function TransferActions({ t, reload }: { t: Transfer; reload: () => Promise<void> }) {
  const [note, setNote] = useState('')
  const action = useAction()
  return (
    <div className="row">
      <ActionButton
        action={action}
        onClick={async () => {
          const r = await post<{ status: string; lastError: string | null }>(
            `/api/staff/travel-rule/transfers/${t.id}/retry`,
          )
          await reload()
          return r.status === 'pending' ? `Still no answer: ${r.lastError ?? ''}` : `Transfer ${r.status}.`
        }}
      >
        Send again
      </ActionButton>
      <input
        aria-label={`Reason to reject transfer ${t.transferId}`}
        placeholder="reason"
        maxLength={1000}
        value={note}
        onChange={(e) => setNote(e.target.value)}
      />
      <ActionButton
        action={action}
        disabled={!note.trim()}
        onClick={async () => {
          await post(`/api/staff/travel-rule/transfers/${t.id}/reject`, { note })
          await reload()
          return 'Rejected; the withdrawal was rejected and the funds returned.'
        }}
      >
        Reject
      </ActionButton>
      {action.status}
    </div>
  )
}

function DepositActions({ d, reload }: { d: HeldDeposit; reload: () => Promise<void> }) {
  const [note, setNote] = useState('')
  const action = useAction()
  const decide = (decision: 'release' | 'reject') => async () => {
    await post(`/api/staff/travel-rule/deposits/${d.depositId}/decision`, { decision, note })
    await reload()
    return decision === 'release' ? 'Released to the customer.' : 'Kept on hold.'
  }
  return (
    <div className="row">
      <input
        aria-label={`Decision note for deposit ${d.txid}`}
        placeholder="note"
        maxLength={1000}
        value={note}
        onChange={(e) => setNote(e.target.value)}
      />
      <ActionButton action={action} disabled={!note.trim()} onClick={decide('release')}>
        Release
      </ActionButton>
      <ActionButton action={action} disabled={!note.trim()} onClick={decide('reject')}>
        Keep held
      </ActionButton>
      {action.status}
    </div>
  )
}

function Thresholds() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{
    jurisdiction: string | null
    inForce: ThresholdInForce[]
    versions: ThresholdVersion[]
  }>('/api/staff/travel-rule/thresholds')
  const [form, setForm] = useState({
    jurisdiction: '',
    amount: '',
    currency: '',
    effectiveFrom: '',
    note: '',
  })
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  const action = useAction()
  const now = Date.now()
  const upcoming = (data?.versions ?? []).filter((v) => Date.parse(v.effectiveFrom) > now)
  return (
    <>
      <h2>Thresholds</h2>
      <p>
        A withdrawal needs Travel Rule data at or above the threshold of our jurisdiction (
        <strong>{data?.jurisdiction ?? 'none set: TRAVEL_RULE_JURISDICTION'}</strong>) in force when it is
        requested.
      </p>
      <Table
        aria-label="Travel Rule thresholds"
        columns={['Jurisdiction', 'Threshold', 'Set by']}
        empty="None."
      >
        {(data?.inForce ?? []).map((t) => (
          <tr key={t.jurisdiction}>
            <td>
              {t.jurisdiction}
              {t.jurisdiction === data?.jurisdiction ? ' (ours)' : ''}
            </td>
            <td>
              {t.amount} {t.currency}
            </td>
            <td>
              {t.source === 'config'
                ? 'configuration (default)'
                : `compliance, since ${formatTime(t.effectiveFrom ?? '')}`}
            </td>
          </tr>
        ))}
      </Table>
      {upcoming.length > 0 ? (
        <Table
          aria-label="Upcoming Travel Rule thresholds"
          columns={['Jurisdiction', 'Threshold', 'From', 'Note']}
        >
          {upcoming.map((v) => (
            <tr key={`${v.jurisdiction}:${v.createdAt}:${v.effectiveFrom}`}>
              <td>{v.jurisdiction}</td>
              <td>
                {v.amount} {v.currency}
              </td>
              <td>{formatTime(v.effectiveFrom)}</td>
              <td>{v.note ?? ''}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {can(me, 'travel_rule.thresholds.manage') ? (
        <ActionForm
          action={action}
          submit="Set threshold"
          onSubmit={async () => {
            await post('/api/staff/travel-rule/thresholds', {
              jurisdiction: form.jurisdiction.trim().toUpperCase(),
              amount: form.amount.trim(),
              currency: form.currency.trim().toUpperCase(),
              ...(form.effectiveFrom ? { effectiveFrom: new Date(form.effectiveFrom).toISOString() } : {}),
              ...(form.note.trim() ? { note: form.note.trim() } : {}),
            })
            await reload()
            return form.effectiveFrom
              ? 'Saved; it applies from the time you chose.'
              : 'Saved; it applies now.'
          }}
        >
          <Field
            label="Threshold jurisdiction"
            required
            maxLength={2}
            placeholder="EU"
            value={form.jurisdiction}
            onChange={set('jurisdiction')}
          />
          <Field
            label="Threshold amount"
            required
            maxLength={24}
            inputMode="decimal"
            placeholder="1000"
            value={form.amount}
            onChange={set('amount')}
          />
          <Field
            label="Threshold currency"
            required
            maxLength={3}
            placeholder="EUR"
            value={form.currency}
            onChange={set('currency')}
          />
          <Field
            label="Takes effect (empty: now)"
            type="datetime-local"
            value={form.effectiveFrom}
            onChange={set('effectiveFrom')}
          />
          <Field label="Reason for the change" maxLength={500} value={form.note} onChange={set('note')} />
        </ActionForm>
      ) : null}
    </>
  )
}

function Directory() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{
    vasps: Vasp[]
    self: { id: string; name: string; publicKey: string | null }
  }>('/api/staff/travel-rule/vasps')
  const [form, setForm] = useState({
    id: '',
    name: '',
    baseUrl: '',
    publicKey: '',
    jurisdiction: '',
    addresses: '',
  })
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  const action = useAction()
  return (
    <>
      <h2>VASP directory</h2>
      <p style={{ overflowWrap: 'anywhere' }}>
        We are <strong>{data?.self.name}</strong> (id <code>{data?.self.id}</code>), Ed25519 key{' '}
        <code>{data?.self.publicKey ?? 'not configured (TRAVEL_RULE_SIGNING_KEY)'}</code>.
      </p>
      <Table
        columns={['VASP', 'Base URL', 'Key', 'Jurisdiction', 'Sends from', 'Status']}
        empty="No VASPs yet."
      >
        {(data?.vasps ?? []).map((v) => (
          <tr key={v.id}>
            <td>
              <strong>{v.name}</strong>
              <br />
              <code>{v.id}</code>
            </td>
            <td>{v.baseUrl}</td>
            <td>
              <code>{v.publicKey.slice(0, 16)}…</code>
            </td>
            <td>{v.jurisdiction}</td>
            <td>{v.addresses.join(', ')}</td>
            <td>{v.status}</td>
          </tr>
        ))}
      </Table>
      {can(me, 'travel_rule.directory.manage') ? (
        <ActionForm
          action={action}
          submit="Save VASP"
          onSubmit={async () => {
            await put(`/api/staff/travel-rule/vasps/${encodeURIComponent(form.id)}`, {
              name: form.name,
              baseUrl: form.baseUrl,
              publicKey: form.publicKey,
              jurisdiction: form.jurisdiction,
              addresses: form.addresses
                .split(/[\s,]+/)
                .map((a) => a.trim())
                .filter(Boolean),
            })
            await reload()
            return 'Saved.'
          }}
        >
          <Field label="Id (LEI)" required maxLength={64} value={form.id} onChange={set('id')} />
          <Field label="Name" required maxLength={120} value={form.name} onChange={set('name')} />
          <Field label="Base URL" required maxLength={300} value={form.baseUrl} onChange={set('baseUrl')} />
          <Field
            label="Ed25519 public key (hex)"
            required
            maxLength={64}
            value={form.publicKey}
            onChange={set('publicKey')}
          />
          <Field
            label="Jurisdiction"
            required
            maxLength={2}
            value={form.jurisdiction}
            onChange={set('jurisdiction')}
          />
          <Field
            label="Addresses it sends from"
            maxLength={5000}
            value={form.addresses}
            onChange={set('addresses')}
          />
        </ActionForm>
      ) : null}
    </>
  )
}

export function TravelRuleQueuePage() {
  const { me } = useSession()
  const { data, reload } = useLoaded<{ transfers: Transfer[]; deposits: HeldDeposit[] }>(
    '/api/staff/travel-rule/queue',
  )
  const decider = can(me, 'travel_rule.decide')
  return (
    <Page
      title="Travel Rule"
      intro="Originator and beneficiary data (IVMS101) exchanged with other VASPs, signed both ways. A withdrawal to another VASP waits until that VASP accepts; a deposit from a VASP without data waits here."
    >
      <h2>Transfers</h2>
      <Table
        aria-label="Travel Rule transfers"
        columns={[
          'When',
          'Direction',
          'VASP',
          'Amount',
          'Originator → beneficiary',
          'State',
          'Withdrawal',
          '',
        ]}
        empty="No Travel Rule transfers yet."
      >
        {(data?.transfers ?? []).map((t) => (
          <tr key={t.id} data-state={t.status}>
            <td>{formatTime(t.createdAt)}</td>
            <td>{t.direction === 'outbound' ? 'sent' : 'received'}</td>
            <td>{t.vaspName}</td>
            <td>
              {t.amount} {t.asset}
              <br />
              <code>{t.destination}</code>
            </td>
            <td>
              {t.originator} → {t.beneficiary}
            </td>
            <td>
              {STATE_WORDS[t.status]}
              {t.reason ? ` (${t.reason})` : ''}
              {t.lastError ? <div className="sla-breached">last attempt: {t.lastError}</div> : null}
              {t.txHash ? (
                <div>
                  tx <code>{t.txHash.slice(0, 18)}…</code>
                </div>
              ) : null}
            </td>
            <td>{t.withdrawalStatus?.replaceAll('_', ' ') ?? ''}</td>
            <td>
              {decider && t.direction === 'outbound' && t.status === 'pending' ? (
                <TransferActions t={t} reload={reload} />
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <h2>Deposits held for missing data</h2>
      <Table
        aria-label="Deposits held for Travel Rule data"
        columns={['Held since', 'From VASP', 'Amount', 'Transaction', 'State', '']}
        empty="No deposits held."
      >
        {(data?.deposits ?? []).map((d) => (
          <tr key={d.depositId}>
            <td>{formatTime(d.heldAt)}</td>
            <td>{d.vaspName}</td>
            <td>
              {d.amount} {d.asset}
            </td>
            <td>
              <code>{d.txid.slice(0, 18)}…</code>
            </td>
            <td>
              {d.status}
              {d.note ? ` (${d.note})` : ''}
            </td>
            <td>{decider && d.status === 'held' ? <DepositActions d={d} reload={reload} /> : null}</td>
          </tr>
        ))}
      </Table>
      <Thresholds />
      <Directory />
    </Page>
  )
}

type Destination = {
  network: string
  address: string
  kind: 'vasp' | 'self_hosted'
  vaspName: string | null
  proofMethod: string | null
  declaredAt: string
}

export function TravelRuleDestinationsPage() {
  const { data, reload } = useLoaded<{ destinations: Destination[] }>('/api/travel-rule/destinations')
  const vasps = useLoaded<{ vasps: Array<{ id: string; name: string }> }>('/api/travel-rule/vasps').data
  const [kind, setKind] = useState<'vasp' | 'self_hosted'>('vasp')
  const [form, setForm] = useState({
    address: '',
    vaspId: '',
    firstName: '',
    lastName: '',
    company: '',
    signature: '',
  })
  const [message, setMessage] = useState<string | null>(null)
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v })
  const action = useAction()
  return (
    <Page
      title="Travel Rule destinations"
      intro="The law asks us to send the sender’s and recipient’s names with a withdrawal to another exchange, and to check that a private wallet is yours. Say here whose an address is before you withdraw to it."
    >
      <Table columns={['Address', 'Belongs to', 'Declared']} empty="No destinations declared.">
        {(data?.destinations ?? []).map((d) => (
          <tr key={`${d.network}:${d.address}`}>
            <td>
              <code>{d.address}</code> ({d.network})
            </td>
            <td>
              {d.kind === 'vasp'
                ? `a customer of ${d.vaspName}`
                : `my own wallet (proven by ${d.proofMethod})`}
            </td>
            <td>{formatTime(d.declaredAt)}</td>
          </tr>
        ))}
      </Table>
      <h2>Declare an address</h2>
      <ActionForm
        action={action}
        submit="Declare"
        onSubmit={async () => {
          const body =
            kind === 'vasp'
              ? {
                  kind,
                  network: 'ethereum',
                  address: form.address,
                  vaspId: form.vaspId,
                  beneficiary: form.company
                    ? { kind: 'legal', name: form.company }
                    : { kind: 'natural', firstName: form.firstName, lastName: form.lastName },
                }
              : { kind, network: 'ethereum', address: form.address, signature: form.signature }
          await post('/api/travel-rule/destinations', body)
          await reload()
          return 'Declared. You can now withdraw to this address.'
        }}
      >
        <label>
          Whose address is it?
          <select value={kind} onChange={(e) => setKind(e.target.value as 'vasp' | 'self_hosted')}>
            <option value="vasp">An account at another exchange</option>
            <option value="self_hosted">My own wallet</option>
          </select>
        </label>
        <Field
          label="Ethereum address"
          required
          maxLength={128}
          value={form.address}
          onChange={set('address')}
        />
        {kind === 'vasp' ? (
          <>
            <label>
              Exchange
              <select required value={form.vaspId} onChange={(e) => set('vaspId')(e.target.value)}>
                <option value="">choose…</option>
                {(vasps?.vasps ?? []).map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                  </option>
                ))}
              </select>
            </label>
            <Field
              label="Recipient first name"
              maxLength={100}
              value={form.firstName}
              onChange={set('firstName')}
            />
            <Field
              label="Recipient last name"
              maxLength={100}
              value={form.lastName}
              onChange={set('lastName')}
            />
            <Field label="Or company name" maxLength={100} value={form.company} onChange={set('company')} />
          </>
        ) : (
          <>
            <button
              type="button"
              onClick={() =>
                void get<{ message: string }>(
                  `/api/travel-rule/ownership-message?network=ethereum&address=${encodeURIComponent(form.address)}`,
                ).then((r) => setMessage(r.message))
              }
            >
              Show the message to sign
            </button>
            {message ? (
              <p>
                Sign exactly this with the address (personal_sign): <code>{message}</code>
              </p>
            ) : null}
            <Field
              label="Signature"
              required
              maxLength={2000}
              value={form.signature}
              onChange={set('signature')}
            />
          </>
        )}
      </ActionForm>
    </Page>
  )
}
