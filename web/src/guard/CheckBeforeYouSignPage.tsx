/**
 * @module Public page "Check before you sign": paste a website, a destination address, a transaction
 * or signature request, or a token, and see the guard's verdict (allow / warn / block), a sentence
 * explaining it and each reason. Calls the public /api/guard routes.
 */
import { type CSSProperties, type FormEvent, useState } from 'react'
import { post } from '../platform/api.ts'
import { ErrorNote, formatTime, Page, useLoaded } from '../platform/ui.tsx'

type Reason = { code: string; detail: string }
type Result = {
  verdict?: 'allow' | 'warn' | 'block'
  summary?: string
  reasons?: Reason[]
  error?: string
  brand?: string
  lookalikeOf?: string
}
type Kind = 'site' | 'address' | 'tx' | 'token'

const LABEL: Record<NonNullable<Result['verdict']>, string> = {
  allow: 'No known risk',
  warn: 'Be careful',
  block: 'Do not continue',
}

/**
 * How each verdict looks: "Do not continue" is white on red and cannot be missed, "Be careful" is
 * amber, "No known risk" green. Inline so the page carries its own colours wherever it is embedded.
 */
const STYLE: Record<NonNullable<Result['verdict']>, CSSProperties> = {
  block: {
    background: '#b3261e',
    color: '#fff',
    border: '2px solid #8c1d18',
    padding: '12px 16px',
    borderRadius: 8,
    fontSize: '1.25em',
  },
  warn: {
    background: '#fff4ce',
    color: '#6b4400',
    border: '2px solid #e0a100',
    padding: '10px 14px',
    borderRadius: 8,
    fontSize: '1.1em',
  },
  allow: { color: '#1e6b34', padding: '4px 0' },
}

/** The line under the verdict: an official site says so; a lookalike names what it imitates. */
function brandNote(result: Result, v: NonNullable<Result['verdict']>): string {
  if (!result.brand) return ''
  if (v === 'allow')
    return result.reasons?.some((r) => r.code === 'OFFICIAL_DOMAIN')
      ? ` — official site of ${result.brand}`
      : ''
  return ` — imitates ${result.brand}`
}

function Verdict({ result }: { result: Result }) {
  if (result.error)
    return (
      <p className="error" role="alert">
        {result.error}
      </p>
    )
  const v = result.verdict ?? 'allow'
  return (
    <div className="card" data-testid="guard-verdict" data-verdict={v}>
      <p role={v === 'block' ? 'alert' : undefined} style={STYLE[v]} data-testid="guard-verdict-label">
        <strong>{LABEL[v]}</strong>
        {brandNote(result, v)}
      </p>
      {result.summary ? <p>{result.summary}</p> : null}
      {result.reasons && result.reasons.length > 0 ? (
        <ul>
          {result.reasons.map((r) => (
            <li key={r.code + r.detail}>
              <code className="code">{r.code}</code> {r.detail}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}

type ListsReport = {
  loadedAt: string | null
  domains: { blocklist: number; brands: number }
  tokens: number
  addresses: number
  sources?: {
    name: string
    source: string
    licence: string
    date: string
    entries: number | null
    shipped: boolean
  }[]
}

/** What the server checks against, so a "no known risk" is read for what it is. */
function ListsInForce() {
  const { data } = useLoaded<ListsReport>('/api/guard/lists')
  if (!data) return null
  const n = (x: number) => x.toLocaleString('en')
  return (
    <p className="intro" data-testid="guard-lists">
      {data.loadedAt
        ? `Checked against ${n(data.domains.blocklist)} listed phishing domains, ${n(data.tokens)} known tokens and ${n(data.addresses)} listed addresses (lists loaded ${formatTime(data.loadedAt)}), plus lookalike checks for ${n(data.domains.brands)} protected brands.`
        : `No phishing lists are configured on this server: checks use lookalike rules for ${n(data.domains.brands)} protected brands, address-poisoning patterns and transaction decoding only.`}
      {data.sources && data.sources.length > 0 ? (
        <span data-testid="guard-sources">
          {' '}
          Lists:{' '}
          {data.sources
            .map(
              (s) =>
                `${s.name} (${s.source}; licence ${s.licence}; ${s.date}${s.entries === null ? '' : `; ${n(s.entries)} entries`})`,
            )
            .join(', ')}
          .
        </span>
      ) : null}
    </p>
  )
}

async function check(kind: Kind, form: Record<string, string>): Promise<Result> {
  if (kind === 'site') {
    const r = await post<{ results: Result[] }>('/api/guard/domains', { inputs: [form.site ?? ''] })
    return r.results[0] ?? { error: 'No result' }
  }
  if (kind === 'address') {
    const known = (form.known ?? '').split(/[\s,]+/).filter(Boolean)
    return post<Result>('/api/guard/address', { to: (form.to ?? '').trim(), known })
  }
  if (kind === 'token') {
    const body = {
      chainId: Number(form.chainId || 1),
      address: (form.tokenAddress ?? '').trim(),
      symbol: form.symbol ?? '',
      ...(form.name ? { name: form.name } : {}),
    }
    const r = await post<{ results: Result[] }>('/api/guard/tokens', { tokens: [body] })
    return r.results[0] ?? { error: 'No result' }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(form.tx ?? '')
  } catch {
    return {
      error:
        'Paste the request as JSON: {"to","data","value"} for a transaction, or the EIP-712 typed data for a signature.',
    }
  }
  const body =
    typeof parsed === 'object' && parsed !== null && 'primaryType' in parsed ? { typedData: parsed } : parsed
  return post<Result>('/api/guard/tx', body)
}

export function CheckBeforeYouSignPage() {
  const [kind, setKind] = useState<Kind>('site')
  const [form, setForm] = useState<Record<string, string>>({ chainId: '1' })
  const [result, setResult] = useState<Result | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const field = (name: string) => ({
    name,
    value: form[name] ?? '',
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  })
  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      setResult(await check(kind, form))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const tabs: [Kind, string][] = [
    ['site', 'Website'],
    ['address', 'Address'],
    ['tx', 'Transaction or signature'],
    ['token', 'Token'],
  ]
  return (
    <Page
      title="Check before you sign"
      intro="Before you connect your wallet, send funds or sign, check what you are about to trust. Checks run on this server against phishing lists, brand lookalikes, address-poisoning patterns and counterfeit tokens; nothing is stored."
    >
      <div className="row" role="tablist" aria-label="What to check">
        {tabs.map(([k, label]) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={kind === k}
            className={kind === k ? 'button' : 'link'}
            onClick={() => {
              setKind(k)
              setResult(null)
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <form className="stack" onSubmit={submit}>
        {kind === 'site' ? (
          <label>
            Website or link
            <input
              {...field('site')}
              placeholder="https://app.example.xyz/claim"
              required
              autoComplete="off"
            />
          </label>
        ) : null}
        {kind === 'address' ? (
          <>
            <label>
              Destination address
              <input {...field('to')} placeholder="0x…" required autoComplete="off" />
            </label>
            <label>
              Addresses you already use (address book, past recipients), one per line
              <textarea {...field('known')} rows={4} />
            </label>
          </>
        ) : null}
        {kind === 'tx' ? (
          <label>
            Transaction ({'{"chainId","to","data","value"}'}) or EIP-712 typed data, as JSON
            <textarea {...field('tx')} rows={8} required spellCheck={false} />
          </label>
        ) : null}
        {kind === 'token' ? (
          <>
            <label>
              Chain id
              <input {...field('chainId')} inputMode="numeric" />
            </label>
            <label>
              Token contract
              <input {...field('tokenAddress')} placeholder="0x…" required />
            </label>
            <label>
              Symbol as shown
              <input {...field('symbol')} required />
            </label>
            <label>
              Name as shown (optional)
              <input {...field('name')} />
            </label>
          </>
        ) : null}
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Checking…' : 'Check'}
        </button>
      </form>
      <ErrorNote error={error} />
      {result ? <Verdict result={result} /> : null}
      <ListsInForce />
    </Page>
  )
}
