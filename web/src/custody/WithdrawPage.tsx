/**
 * @module The withdraw form: asset, amount, network, destination address and the authenticator
 * code (the step-up every session withdrawal needs). The pipeline's answer is shown in plain words:
 * waiting for approval, held for review, or, when it refuses, why ("delayed until …, because you
 * changed your password"). One idempotency key per attempt, so a double click sends one withdrawal.
 */
import { type FormEvent, useState } from 'react'
import { post } from '../platform/api.ts'
import { fieldErrors } from '../platform/fields.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, Field, Page } from '../platform/ui.tsx'
import { WITHDRAWAL_NETWORKS, type Withdrawal } from './types.ts'
import { StepList } from './WithdrawalsPage.tsx'

const newKey = () =>
  `web-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`

const FIELDS = ['asset', 'amount', 'network', 'address', 'totpCode']

export function WithdrawPage() {
  const [asset, setAsset] = useState('ETH')
  const [amount, setAmount] = useState('')
  const [address, setAddress] = useState('')
  const [code, setCode] = useState('')
  const [key, setKey] = useState(newKey)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [result, setResult] = useState<Withdrawal | null>(null)
  const network = WITHDRAWAL_NETWORKS[asset]!
  const byField = fieldErrors(error)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      const { withdrawal } = await post<{ withdrawal: Withdrawal }>('/api/custody/withdrawals', {
        asset,
        amount: amount.trim(),
        network: network.value,
        address: address.trim(),
        idempotencyKey: key,
        totpCode: code,
      })
      setResult(withdrawal)
      setKey(newKey())
      setAmount('')
      setAddress('')
    } catch (e) {
      setError(e)
      // A refused request moved nothing: the next attempt may reuse nothing of it.
      setKey(newKey())
    } finally {
      setCode('')
      setBusy(false)
    }
  }

  return (
    <Page
      title="Withdraw"
      intro="Send crypto to an address outside Bulwark. Check the address on the recipient's side: a withdrawal cannot be undone once sent."
    >
      <form className="stack narrow" onSubmit={(e) => void submit(e)}>
        <label>
          Asset
          <select name="asset" value={asset} onChange={(e) => setAsset(e.target.value)}>
            {Object.keys(WITHDRAWAL_NETWORKS).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <Field
          label={`Amount (${asset})`}
          name="amount"
          inputMode="decimal"
          required
          maxLength={40}
          value={amount}
          onChange={setAmount}
          error={byField.amount}
        />
        <label>
          Network
          <select name="network" key={asset} defaultValue={network.value}>
            <option value={network.value}>{network.label}</option>
          </select>
        </label>
        <Field
          label="Destination address"
          name="address"
          required
          maxLength={128}
          autoComplete="off"
          spellCheck={false}
          value={address}
          onChange={setAddress}
          error={byField.address}
        />
        <p className="hint">
          Sending to an account at another exchange, or to your own wallet? Say whose the address is first
          under <Link to="/travel-rule/destinations">Travel Rule destinations</Link>: the law asks us to send
          the recipient's name with it, or to check that the wallet is yours.
        </p>
        <Field
          label="Authenticator code"
          name="totpCode"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          value={code}
          onChange={(v) => setCode(v.replace(/\D/g, ''))}
          error={byField.totpCode}
        />
        <p className="hint">
          Bitcoin withdrawals are signed by our offline (cold) wallet, so they take longer to leave. The fee
          is taken from your balance on top of the amount.
        </p>
        <ErrorNote error={error} fields={FIELDS} />
        <button type="submit" disabled={busy}>
          Withdraw
        </button>
      </form>
      {result ? (
        <section className="card" aria-labelledby="withdraw-result" data-status={result.status}>
          <h2 id="withdraw-result">
            {result.amount} {result.asset} to <span className="break">{result.address}</span>
          </h2>
          <p role="status" className="custody-status">
            {result.statusText}
          </p>
          <p>
            Fee: {result.fee} {result.asset}
          </p>
          <StepList steps={result.steps} />
          <Link to="/wallet/withdrawals">All my withdrawals</Link>
        </section>
      ) : null}
    </Page>
  )
}
