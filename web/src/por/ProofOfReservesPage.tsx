/**
 * @module Customer page "Proof of reserves": latest reserve ratio per asset with the insurance fund beside the
 * reserves, what the server verified about every reserve wallet (or, for declared figures, that they are not
 * verified and why), the ratio history, and "Verify my assets", which fetches the signed-in customer's proof (or
 * reads a dropped proof file) and verifies it here in the browser with src/por/verify: the server's word is never
 * taken for the result.
 */
import { type DragEvent, useEffect, useMemo, useState } from 'react'
import {
  type Check,
  fromHex,
  type PorProof,
  parseProofFile,
  type VerifyResult,
  verifyProof,
} from '../../../src/por/verify/index.ts'
import { ApiError, get } from '../platform/api.ts'
import { useSession } from '../platform/session.tsx'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { ZkBatchCheck } from './ZkBatchCheck.tsx'

type AssetView = {
  symbol: string
  decimals: number
  equity: string
  debt: string
  liabilities: string
  reserves: string | null
  ratioPercent: string | null
  belowFullReserve: boolean | null
  insuranceFund: string | null
}
type WalletCheck = {
  line: number
  chain: string
  address: string
  asset: string
  ok: boolean
  detail: string
}
type RoundView = {
  id: string
  publishedAt: string | null
  root: string | null
  depth: number | null
  assets: AssetView[]
  reserves: {
    status: 'verified' | 'declared' | 'unverified' | 'none'
    note: string | null
    problem: string | null
    wallets: WalletCheck[]
    snapshotBlocks: Record<string, { height: number; hash: string }>
  }
  insuranceFund: { at: string; assets: { symbol: string; amount: string }[] } | null
}
type Commitment = {
  root: string
  roundId: string
  totals: { symbol: string; equity: string; debt: string }[]
}

function formatUnits(units: bigint, decimals: number): string {
  const s = units.toString().padStart(decimals + 1, '0')
  const frac = s.slice(s.length - decimals).replace(/0+$/, '')
  return s.slice(0, s.length - decimals) + (frac ? `.${frac}` : '')
}

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`

function RatioChart({ rounds, symbol }: { rounds: RoundView[]; symbol: string }) {
  const points = [...rounds]
    .reverse()
    .map((r) => ({
      id: r.id,
      ratio: Number(r.assets.find((a) => a.symbol === symbol)?.ratioPercent ?? Number.NaN),
      declared: r.reserves.status === 'declared',
    }))
    .filter((p) => Number.isFinite(p.ratio))
  if (points.length === 0) return <p className="intro">No reserve figures for {symbol} yet.</p>
  const w = 640
  const h = 220
  const pad = 40
  const max = Math.max(110, ...points.map((p) => p.ratio))
  const min = Math.min(90, ...points.map((p) => p.ratio))
  const x = (i: number) =>
    pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (points.length - 1))
  const y = (v: number) => h - pad - ((v - min) / (max - min)) * (h - 2 * pad)
  const anyDeclared = points.some((p) => p.declared)
  return (
    <>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`Reserve ratio history for ${symbol}`}
        style={{ maxWidth: w }}
      >
        <line
          x1={pad}
          x2={w - pad}
          y1={y(100)}
          y2={y(100)}
          stroke="currentColor"
          strokeDasharray="4 4"
          opacity={0.5}
        />
        <text x={w - pad + 4} y={y(100) + 4} fontSize="11">
          100%
        </text>
        <polyline
          fill="none"
          stroke="currentColor"
          strokeWidth={2}
          points={points.map((p, i) => `${x(i)},${y(p.ratio)}`).join(' ')}
        />
        {points.map((p, i) => (
          <g key={p.id}>
            <circle
              cx={x(i)}
              cy={y(p.ratio)}
              r={4}
              fill={p.declared ? 'white' : p.ratio < 100 ? 'crimson' : 'seagreen'}
              stroke={p.ratio < 100 ? 'crimson' : 'seagreen'}
              strokeWidth={2}
              data-declared={p.declared}
            />
            <text x={x(i)} y={h - pad + 16} fontSize="11" textAnchor="middle">
              {p.id}
            </text>
            <text x={x(i)} y={y(p.ratio) - 8} fontSize="11" textAnchor="middle">
              {p.ratio.toFixed(2)}%
            </text>
          </g>
        ))}
      </svg>
      {anyDeclared ? (
        <p className="hint" data-testid="history-declared">
          Hollow points are rounds whose reserves were declared, not verified.
        </p>
      ) : null}
    </>
  )
}

/** What the server verified about the round's reserves, said plainly; declared figures say they are not verified. */
function ReservesStatus({ round }: { round: RoundView }) {
  const { status, note, wallets, snapshotBlocks } = round.reserves
  const blocks = Object.entries(snapshotBlocks)
    .map(([chain, b]) => `${chain} block ${b.height}`)
    .join(', ')
  const fund = round.insuranceFund
  return (
    <div className="stack">
      {status === 'verified' ? (
        <p className="notice ok" data-testid="reserves-status">
          Reserves verified by our server when the round was built: each of the {wallets.length} wallets below
          signed this round's challenge, and its balance was read from the chain at the snapshot
          {blocks ? ` (${blocks})` : ''}.
        </p>
      ) : status === 'declared' ? (
        <p className="notice" data-testid="reserves-status">
          Reserves declared, not verified: {note}
        </p>
      ) : (
        <p className="notice" data-testid="reserves-status">
          No reserve figures were published for this round.
        </p>
      )}
      <p data-testid="insurance-fund">
        Insurance fund (custody ledger{fund ? `, ${formatTime(fund.at)}` : ''}):{' '}
        {fund && fund.assets.length > 0
          ? fund.assets.map((a) => `${a.amount} ${a.symbol}`).join(', ')
          : 'empty'}
      </p>
      {wallets.length > 0 ? (
        <details open={status !== 'verified'}>
          <summary>
            Reserve wallets: {wallets.filter((w) => w.ok).length} of {wallets.length} verified
          </summary>
          <table>
            <thead>
              <tr>
                <th>Chain</th>
                <th>Address</th>
                <th>Asset</th>
                <th>Verification</th>
              </tr>
            </thead>
            <tbody>
              {wallets.map((w) => (
                <tr key={w.line} data-wallet={w.address} data-ok={w.ok}>
                  <td>{w.chain}</td>
                  <td>
                    <code className="break">{w.address}</code>
                  </td>
                  <td>{w.asset}</td>
                  <td className={w.ok ? 'ok' : 'error'}>
                    {w.ok ? '✓' : '✗'} {w.detail}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </div>
  )
}

function CheckList({ checks }: { checks: Check[] }) {
  return (
    <ul className="stack" aria-label="Verification checks">
      {checks.map((c) => (
        <li
          key={`${c.name}/${c.piece ?? ''}/${c.asset ?? ''}/${c.detail}`}
          className={c.ok ? 'ok' : 'error'}
          data-check={c.name}
          data-ok={c.ok}
        >
          {c.ok ? '✓' : '✗'} <strong>{c.name}</strong>: {c.detail}
        </li>
      ))}
    </ul>
  )
}

function VerificationView({ proof, result }: { proof: PorProof; result: VerifyResult }) {
  const piece = result.pieces[0]
  return (
    <div className="stack" data-testid="verification">
      <p className={result.ok ? 'notice ok' : 'error'} role="status">
        {result.ok
          ? `Verified in your browser: your balances are included in round ${result.roundId}.`
          : `Verification FAILED: ${result.failed?.detail}`}
      </p>
      <CheckList checks={result.checks} />
      <ZkBatchCheck proof={proof} />
      {result.pieces.length > 0 ? (
        <>
          <h3>Your balances in this round</h3>
          <table>
            <thead>
              <tr>
                <th>Asset</th>
                <th>Balance</th>
                <th>Debt</th>
              </tr>
            </thead>
            <tbody>
              {proof.assets.map((a, k) => {
                const equity = result.pieces.reduce((s, p) => s + p.balances[k]!.equity, 0n)
                const debt = result.pieces.reduce((s, p) => s + p.balances[k]!.debt, 0n)
                if (equity === 0n && debt === 0n) return null
                return (
                  <tr key={a.symbol}>
                    <td>{a.symbol}</td>
                    <td>{formatUnits(equity, a.decimals)}</td>
                    <td>{debt === 0n ? '' : formatUnits(debt, a.decimals)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </>
      ) : null}
      {piece ? (
        <details>
          <summary>
            Path from your leaf (position {piece.position}) to the root: {piece.path.length} levels
          </summary>
          <p>
            Your commitment <code>{short(piece.userHash)}</code>, leaf <code>{short(piece.leafHash)}</code>
          </p>
          <table>
            <thead>
              <tr>
                <th>Level</th>
                <th>You are</th>
                <th>Sibling hash</th>
                <th>Parent hash (computed)</th>
              </tr>
            </thead>
            <tbody>
              {piece.path.map((step) => (
                <tr key={step.level}>
                  <td>{step.level}</td>
                  <td>{step.side}</td>
                  <td>
                    <code>{short(step.siblingHash)}</code>
                  </td>
                  <td>
                    <code>{short(step.parentHash)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </div>
  )
}

export function ProofOfReservesPage() {
  const { me } = useSession()
  const [rounds, setRounds] = useState<RoundView[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [symbol, setSymbol] = useState('BTC')
  const [verification, setVerification] = useState<{ proof: PorProof; result: VerifyResult } | null>(null)
  const [verifyError, setVerifyError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [rootOverride, setRootOverride] = useState('')

  useEffect(() => {
    get<{ rounds: RoundView[] }>('/api/por/rounds')
      .then((r) => {
        setRounds(r.rounds)
        const first = r.rounds[0]?.assets[0]?.symbol
        if (first && !r.rounds[0]!.assets.some((a) => a.symbol === 'BTC')) setSymbol(first)
      })
      .catch(setError)
  }, [])
  const latest = rounds?.[0]
  // The home page links to "#verify": scroll there once the rounds above it have loaded.
  useEffect(() => {
    if (rounds && window.location.hash === '#verify') document.getElementById('verify')?.scrollIntoView()
  }, [rounds])
  const symbols = useMemo(() => latest?.assets.map((a) => a.symbol) ?? [], [latest])

  async function verify(proof: PorProof) {
    // The root to check against comes from the round's public commitment (or one the user pastes from
    // elsewhere), never from the proof itself.
    let root = rootOverride.trim().toLowerCase()
    let totals: Commitment['totals'] | undefined
    if (!root) {
      const commitment = await get<Commitment>(
        `/api/por/rounds/${encodeURIComponent(proof.roundId)}/commitment`,
      )
      root = commitment.root
      totals = commitment.totals
    }
    const result = verifyProof(proof, {
      expectedRoot: fromHex(root),
      ...(totals
        ? {
            publishedTotals: totals.map((t) => ({
              symbol: t.symbol,
              equity: BigInt(t.equity),
              debt: BigInt(t.debt),
            })),
          }
        : {}),
    })
    setVerification({ proof, result })
  }

  async function verifyMine() {
    setBusy(true)
    setVerifyError(null)
    setVerification(null)
    try {
      const response = await fetch('/api/por/rounds/latest/my-proof', { credentials: 'same-origin' })
      const bytes = new Uint8Array(await response.arrayBuffer())
      if (!response.ok) {
        const body = JSON.parse(new TextDecoder().decode(bytes))
        throw new ApiError(response.status, body.code ?? 'ERROR', body.message ?? response.statusText)
      }
      await verify(parseProofFile(bytes))
    } catch (e) {
      setVerifyError(e)
    } finally {
      setBusy(false)
    }
  }

  async function verifyFile(file: File) {
    setVerifyError(null)
    setVerification(null)
    try {
      await verify(parseProofFile(new Uint8Array(await file.arrayBuffer())))
    } catch (e) {
      setVerifyError(e)
    }
  }

  function onDrop(event: DragEvent) {
    event.preventDefault()
    const file = event.dataTransfer.files[0]
    if (file) void verifyFile(file)
  }

  return (
    <Page
      title="Proof of reserves"
      intro="Each month we publish what we owe our customers per asset, what we hold, and a Merkle sum tree of every account. Check that your balance was counted, here in your browser."
    >
      <ErrorNote error={error} />
      {latest ? (
        <section aria-labelledby="latest">
          <h2 id="latest">
            Latest round {latest.id}
            {latest.publishedAt ? ` — published ${formatTime(latest.publishedAt)}` : ''}
          </h2>
          <p>
            Root commitment <code className="break">{latest.root}</code>
          </p>
          <table>
            <thead>
              <tr>
                <th>Asset</th>
                <th>Customer liabilities</th>
                <th>
                  {latest.reserves.status === 'declared' ? 'Reserves (declared, not verified)' : 'Reserves'}
                </th>
                <th>Ratio</th>
                <th>Insurance fund</th>
              </tr>
            </thead>
            <tbody>
              {latest.assets.map((a) => (
                <tr key={a.symbol} data-asset={a.symbol}>
                  <td>{a.symbol}</td>
                  <td>{a.liabilities}</td>
                  <td>
                    {a.reserves ?? '—'}
                    {a.reserves !== null && latest.reserves.status === 'declared' ? ' (declared)' : ''}
                  </td>
                  <td className={a.belowFullReserve ? 'error' : 'ok'}>
                    {a.ratioPercent ? `${a.ratioPercent}%` : '—'}
                    {a.belowFullReserve ? ' (below 100%)' : ''}
                  </td>
                  <td>{a.insuranceFund ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ReservesStatus round={latest} />
        </section>
      ) : rounds ? (
        <p className="empty">
          No round has been published yet. Rounds appear here once a month when staff publish them; then you
          can verify that your balance was counted.
        </p>
      ) : null}

      {rounds && rounds.length > 0 ? (
        <section aria-labelledby="history">
          <h2 id="history">History</h2>
          <label>
            Asset{' '}
            <select value={symbol} onChange={(e) => setSymbol(e.target.value)}>
              {symbols.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <RatioChart rounds={rounds} symbol={symbol} />
        </section>
      ) : null}

      <section aria-labelledby="verify">
        <h2 id="verify">Verify my assets</h2>
        <p className="intro">
          The check runs in this page with an open-source verifier; the server only provides the proof. You
          can also download your proof file, check it with any verifier, or drop it below later, and paste the
          root from an independent source.
        </p>
        <div className="row">
          {me?.user.kind === 'customer' ? (
            <>
              <button type="button" onClick={() => void verifyMine()} disabled={busy}>
                {busy ? 'Verifying…' : 'Verify my assets'}
              </button>
              <a
                className="button secondary"
                href="/api/por/rounds/latest/my-proof"
                download={`bulwark-proof-${latest?.id ?? 'latest'}.proof`}
              >
                Download my proof
              </a>
            </>
          ) : (
            <p>
              <a href="/signin">Sign in</a> to verify your own assets, or drop a proof file below.
            </p>
          )}
        </div>
        <label>
          Root to check against (optional, 64 hex digits; default: the published commitment)
          <input value={rootOverride} onChange={(e) => setRootOverride(e.target.value)} spellCheck={false} />
        </label>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a shortcut; the file input inside is the accessible way */}
        <div
          className="card"
          onDragOver={(e) => e.preventDefault()}
          onDrop={onDrop}
          style={{ padding: '1.5rem', border: '2px dashed currentColor' }}
        >
          Drop a proof file (.proof or .json) here, or{' '}
          <input
            type="file"
            aria-label="Proof file"
            onChange={(e) => {
              const file = e.target.files?.[0]
              if (file) void verifyFile(file)
            }}
          />
        </div>
        <ErrorNote error={verifyError} />
        {verification ? <VerificationView proof={verification.proof} result={verification.result} /> : null}
      </section>
    </Page>
  )
}
