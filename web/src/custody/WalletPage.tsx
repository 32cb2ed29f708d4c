/**
 * @module The customer's wallet: balances per asset, the deposit address of an asset with its QR
 * code (asked for on a click: the address is created on the first request), deposits with their
 * confirmations, and the latest ledger movements.
 */
import QRCode from 'qrcode'
import { useEffect, useState } from 'react'
import { get } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Page, Table, useLoaded } from '../platform/ui.tsx'
import {
  ASSETS,
  type Balance,
  type Deposit,
  type DepositAddress,
  type Movement,
  movementWords,
} from './types.ts'

/** Balances per asset: available, in P2P orders, reserved for withdrawals, deposits under review. */
export function BalancesTable({ balances }: { balances: Balance[] }) {
  return (
    <Table
      columns={['Asset', 'Available', 'In orders', 'Reserved for withdrawals', 'Under review']}
      className="custody-balances"
      empty="Nothing here yet. Deposit to your address below to get started."
    >
      {balances.map((b) => (
        <tr key={b.asset} data-asset={b.asset}>
          <th scope="row">{b.asset}</th>
          <td className="custody-available">{b.available}</td>
          <td>{b.locked}</td>
          <td>{b.pendingWithdrawal}</td>
          <td>{b.underReview}</td>
        </tr>
      ))}
    </Table>
  )
}

export function MovementsTable({ movements }: { movements: Movement[] }) {
  return (
    <Table columns={['When', 'What', 'Amount']} empty="No movements yet.">
      {movements.map((m) => (
        <tr key={m.id}>
          <td>{formatTime(m.at)}</td>
          <td>
            {movementWords(m.kind)}
            {m.account !== 'available' ? <small> ({m.account.replaceAll('_', ' ')})</small> : null}
          </td>
          <td>
            {m.amount.startsWith('-') ? m.amount : `+${m.amount}`} {m.asset}
          </td>
        </tr>
      ))}
    </Table>
  )
}

function DepositAddressCard() {
  const [asset, setAsset] = useState<string>('ETH')
  const [address, setAddress] = useState<DepositAddress | null>(null)
  const [qr, setQr] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    setQr(null)
    if (!address) return
    let live = true
    void QRCode.toDataURL(address.address, { margin: 1, width: 200 }).then((url) => {
      if (live) setQr(url)
    })
    return () => {
      live = false
    }
  }, [address])

  async function show() {
    setBusy(true)
    setError(null)
    setAddress(null)
    try {
      setAddress(
        (await get<{ depositAddress: DepositAddress }>(`/api/custody/deposit-address?asset=${asset}`))
          .depositAddress,
      )
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="wallet-deposit">
      <h2 id="wallet-deposit">Deposit</h2>
      <div className="row">
        <label>
          Asset{' '}
          <select
            value={asset}
            onChange={(e) => {
              setAsset(e.target.value)
              setAddress(null)
              setError(null)
            }}
          >
            {ASSETS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <button type="button" disabled={busy} onClick={() => void show()}>
          Show my deposit address
        </button>
      </div>
      <ErrorNote error={error} />
      {address ? (
        <div className="custody-address">
          <p>
            Send only <strong>{address.asset}</strong>
            {address.chain === 'evm' ? ' on Ethereum' : ' on Bitcoin'} to this address:
          </p>
          <p>
            <code className="break" data-testid="deposit-address">
              {address.address}
            </code>
          </p>
          {qr ? (
            <img src={qr} width={200} height={200} alt={`QR code of your ${address.asset} deposit address`} />
          ) : null}
          <p className="hint">
            {address.chain === 'evm' ? 'ETH, USDT and USDC share this address. ' : ''}A deposit counts once it
            has enough confirmations; you see it below as soon as we see it.
          </p>
        </div>
      ) : null}
    </section>
  )
}

const DEPOSIT_STATUS: Record<Deposit['status'], string> = {
  pending: 'waiting for confirmations',
  credited: 'credited',
  under_review: 'under review by our team',
  removed: 'removed from the chain (not credited)',
}

export function WalletPage() {
  const balances = useLoaded<{ balances: Balance[] }>('/api/custody/balances').data
  const deposits = useLoaded<{ deposits: Deposit[] }>('/api/custody/deposits').data
  const movements = useLoaded<{ movements: Movement[] }>('/api/custody/movements?limit=20').data
  return (
    <Page title="Wallet" intro="Your balances, your deposit addresses and everything that moved.">
      <p className="row">
        <Link to="/wallet/withdraw" className="button">
          Withdraw
        </Link>
        <Link to="/wallet/withdrawals">My withdrawals</Link>
      </p>
      <section aria-labelledby="wallet-balances">
        <h2 id="wallet-balances">Balances</h2>
        {balances ? <BalancesTable balances={balances.balances} /> : <p>Loading…</p>}
      </section>
      <DepositAddressCard />
      <section aria-labelledby="wallet-deposits">
        <h2 id="wallet-deposits">Deposits</h2>
        {deposits ? (
          <Table columns={['Seen', 'Amount', 'Confirmations', 'Status']} empty="No deposits yet.">
            {deposits.deposits.map((d) => (
              <tr key={d.id}>
                <td>{formatTime(d.seenAt)}</td>
                <td>
                  {d.amount} {d.asset}
                </td>
                <td>
                  {d.confirmations} of {d.requiredConfirmations}
                </td>
                <td>{DEPOSIT_STATUS[d.status]}</td>
              </tr>
            ))}
          </Table>
        ) : (
          <p>Loading…</p>
        )}
      </section>
      <section aria-labelledby="wallet-movements">
        <h2 id="wallet-movements">Recent movements</h2>
        {movements ? <MovementsTable movements={movements.movements} /> : <p>Loading…</p>}
      </section>
    </Page>
  )
}
