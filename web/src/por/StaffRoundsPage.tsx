/**
 * @module Staff page to run proof-of-reserves rounds: create, draw the reserve challenge the wallets sign, upload
 * the input files (with upload progress), build (the server verifies every reserve wallet), see what was verified,
 * record an exemption for unverified reserves, review (someone other than the builder), publish, and download the
 * auditor package; prove a built round in zero knowledge as a server job with progress (ZkProvePanel).
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { ApiError, get, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ConfirmButton, ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { ZkProvePanel } from './ZkProvePanel.tsx'

type Round = {
  id: string
  status: 'created' | 'imported' | 'built' | 'reviewed' | 'published'
  createdAt: string
  publishedAt: string | null
  root: string | null
  depth: number | null
  users: number | null
  reserves: {
    status: 'verified' | 'declared' | 'unverified' | 'none'
    note: string | null
    problem: string | null
    wallets: { line: number; ok: boolean }[]
    challenge: { message: string; snapshots: Record<string, number> } | null
  }
}

/** `ethereum=21000000, bitcoin=870000` as { chain: height }. */
function parseSnapshots(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of text.split(',')) {
    const [chain = '', height = ''] = part.split('=').map((p) => p.trim())
    if (chain) out[chain] = Number(height)
  }
  return out
}

/** The reserve check of a round in one line. */
function reservesLine(r: Round): string {
  const { status, note, problem, wallets } = r.reserves
  const ok = wallets.filter((w) => w.ok).length
  if (status === 'verified') return `verified: ${ok} of ${wallets.length} wallets`
  if (status === 'declared') return `declared, not verified: ${note}`
  if (status === 'unverified') return `NOT verified (publishing is refused): ${problem}`
  return r.status === 'built' || r.status === 'reviewed' ? 'no reserves file' : ''
}

const KINDS = ['assets', 'liabilities', 'reserves', 'exemptions'] as const

function csrf(): string {
  const match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?bulwark_csrf=([^;]+)/)
  return match ? decodeURIComponent(match[1]!) : ''
}

/** Uploads a file as text/csv with progress (XMLHttpRequest: fetch has no upload progress). */
function upload(url: string, file: File, onProgress: (pct: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', url)
    xhr.setRequestHeader('content-type', 'text/csv')
    xhr.setRequestHeader('x-csrf-token', csrf())
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((100 * e.loaded) / e.total))
    xhr.onload = () => {
      if (xhr.status < 300) resolve()
      else {
        const body = JSON.parse(xhr.responseText || '{}')
        reject(new ApiError(xhr.status, body.code ?? 'ERROR', body.message ?? xhr.statusText))
      }
    }
    xhr.onerror = () => reject(new Error('upload failed'))
    xhr.send(file)
  })
}

export function StaffRoundsPage() {
  const { me } = useSession()
  const [rounds, setRounds] = useState<Round[]>([])
  const [error, setError] = useState<unknown>(null)
  const [newId, setNewId] = useState(new Date().toISOString().slice(0, 7))
  const [progress, setProgress] = useState<Record<string, number>>({})
  const [busy, setBusy] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      setRounds((await get<{ rounds: Round[] }>('/api/por/staff/rounds')).rounds)
    } catch (e) {
      setError(e)
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  async function run(label: string, action: () => Promise<unknown>) {
    setError(null)
    setBusy(label)
    try {
      await action()
      await load()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }

  const [buildState, setBuildState] = useState('')

  /** Starts a build and polls its progress until the build request returns. */
  async function buildWithProgress(id: string) {
    let finished = false
    const poll = async () => {
      while (!finished) {
        try {
          const { progress } = await get<{ progress: { phase: string; percent: number } | null }>(
            `/api/por/staff/rounds/${id}/progress`,
          )
          if (progress && !finished) setBuildState(`${progress.phase} ${progress.percent}%`)
        } catch {
          // progress is best effort; the build request reports the outcome
        }
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    void poll()
    try {
      await post(`/api/por/staff/rounds/${id}/build`)
    } finally {
      finished = true
      setBuildState('')
    }
  }

  const [snapshots, setSnapshots] = useState<Record<string, string>>({})
  const [reasons, setReasons] = useState<Record<string, string>>({})

  function create(event: FormEvent) {
    event.preventDefault()
    void run('create', () => post('/api/por/staff/rounds', { id: newId }))
  }

  return (
    <Page title="Proof-of-reserves rounds" intro="create → import files → build → review → publish">
      <ErrorNote error={error} />
      {can(me, 'por.rounds.manage') ? (
        <form onSubmit={create} className="row">
          <label>
            Round id <input value={newId} onChange={(e) => setNewId(e.target.value)} />
          </label>
          <button type="submit" disabled={busy !== null}>
            Create round
          </button>
        </form>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Round</th>
            <th>Status</th>
            <th>Users</th>
            <th>Root</th>
            <th>Reserves</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rounds.length === 0 ? (
            <tr>
              <td colSpan={6} className="empty">
                No rounds yet.{' '}
                {can(me, 'por.rounds.manage')
                  ? 'Create one above, then upload its balances and reserves.'
                  : 'A custody approver creates the first one.'}
              </td>
            </tr>
          ) : null}
          {rounds.map((r) => (
            <tr key={r.id} data-round={r.id}>
              <td>
                {r.id}
                <br />
                <small>{formatTime(r.publishedAt ?? r.createdAt)}</small>
              </td>
              <td>{r.status}</td>
              <td>{r.users ?? ''}</td>
              <td>
                <code className="break">{r.root ? `${r.root.slice(0, 16)}…` : ''}</code>
              </td>
              <td data-testid="round-reserves">
                {reservesLine(r)}
                {r.reserves.challenge ? (
                  <details>
                    <summary>Challenge every wallet signs</summary>
                    <pre className="break">{r.reserves.challenge.message}</pre>
                  </details>
                ) : null}
              </td>
              <td className="stack">
                {can(me, 'por.rounds.manage') && ['created', 'imported', 'built'].includes(r.status) ? (
                  <form
                    className="row"
                    onSubmit={(e) => {
                      e.preventDefault()
                      void run('challenge', () =>
                        post(`/api/por/staff/rounds/${r.id}/challenge`, {
                          snapshots: parseSnapshots(snapshots[r.id] ?? ''),
                        }),
                      )
                    }}
                  >
                    <label>
                      Snapshot blocks (chain=height, …){' '}
                      <input
                        value={snapshots[r.id] ?? ''}
                        placeholder="ethereum=21000000"
                        onChange={(e) => setSnapshots((m) => ({ ...m, [r.id]: e.target.value }))}
                      />
                    </label>
                    <button type="submit" disabled={busy !== null}>
                      {r.reserves.challenge ? 'Draw a new challenge' : 'Draw challenge'}
                    </button>
                  </form>
                ) : null}
                {can(me, 'por.rounds.manage') && ['created', 'imported', 'built'].includes(r.status)
                  ? KINDS.map((kind) => (
                      <label key={kind}>
                        {kind}
                        {progress[`${r.id}/${kind}`] !== undefined
                          ? ` (${progress[`${r.id}/${kind}`]}%)`
                          : ''}{' '}
                        <input
                          type="file"
                          accept=".csv,text/csv,text/plain"
                          onChange={(e) => {
                            const file = e.target.files?.[0]
                            if (!file) return
                            void run(`upload ${kind}`, () =>
                              upload(`/api/por/staff/rounds/${r.id}/files/${kind}`, file, (pct) =>
                                setProgress((p) => ({ ...p, [`${r.id}/${kind}`]: pct })),
                              ),
                            )
                          }}
                        />
                      </label>
                    ))
                  : null}
                {can(me, 'por.rounds.manage') && ['imported', 'built'].includes(r.status) ? (
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => void run('build', () => buildWithProgress(r.id))}
                  >
                    {busy === 'build' ? `Building… ${buildState}` : 'Build'}
                  </button>
                ) : null}
                {can(me, 'por.rounds.publish') &&
                ['built', 'reviewed'].includes(r.status) &&
                ['unverified', 'declared'].includes(r.reserves.status) ? (
                  <form
                    className="row"
                    onSubmit={(e) => {
                      e.preventDefault()
                      void run('exempt', () =>
                        post(`/api/por/staff/rounds/${r.id}/reserves-exemption`, {
                          reason: reasons[r.id] ?? '',
                        }),
                      )
                    }}
                  >
                    <label>
                      Why publish these reserves unverified?{' '}
                      <input
                        value={reasons[r.id] ?? ''}
                        maxLength={500}
                        onChange={(e) => setReasons((m) => ({ ...m, [r.id]: e.target.value }))}
                      />
                    </label>
                    <button type="submit" disabled={busy !== null}>
                      Record exemption
                    </button>
                  </form>
                ) : null}
                {can(me, 'por.rounds.review') && r.status === 'built' ? (
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => void run('review', () => post(`/api/por/staff/rounds/${r.id}/review`))}
                  >
                    Mark reviewed
                  </button>
                ) : null}
                {can(me, 'por.rounds.publish') && r.status === 'reviewed' ? (
                  <ConfirmButton
                    label="Publish"
                    title="Publish this reserves round?"
                    consequence="Its totals, liabilities root and proofs become public at once, signed under the audit log's current head. A published round cannot be changed or withdrawn: a mistake needs a new round."
                    confirmLabel="Publish for good"
                    disabled={busy !== null}
                    onConfirm={() => run('publish', () => post(`/api/por/staff/rounds/${r.id}/publish`))}
                  />
                ) : null}
                {['built', 'reviewed', 'published'].includes(r.status) ? (
                  <ZkProvePanel roundId={r.id} status={r.status} canProve={can(me, 'por.rounds.prove')} />
                ) : null}
                {['built', 'reviewed', 'published'].includes(r.status) && r.depth !== null ? (
                  <span>
                    Auditor package:{' '}
                    <a href={`/api/por/staff/rounds/${r.id}/auditor-package.tar`}>all files (.tar)</a>
                    {' · '}
                    {['round.json', 'auditor.json', 'leaves.bin'].map((f) => (
                      <a key={f} href={`/api/por/staff/rounds/${r.id}/auditor-package/${f}`}>
                        {f}{' '}
                      </a>
                    ))}
                    + level-NN.bin for levels 4…{r.depth}
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  )
}
