/**
 * @module The zk proving job of one round on the staff rounds page: start it (batch size, cores), watch batches
 * done / total, users/s and the ETA (polled from the server), stop it, and see the zk hashes the round records
 * once proved. The job is kept by the server's database: one whose server stopped (restart, crash) shows as
 * "interrupted — resume", and a stopped or interrupted job resumes from its proved batches (docs/por-zk.md).
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { ErrorNote } from '../platform/ui.tsx'

type Progress = {
  state: 'running' | 'done' | 'failed' | 'stopped' | 'interrupted'
  batchSize: number
  cores: number
  done: number
  total: number
  reused: number
  usersPerSecond: number | null
  etaSeconds: number | null
  error: { code: string; message: string } | null
}
type Recorded = {
  vkHash: string
  setupHash: string
  circuitHash: string
  topRoot: string
  setupInsecure: boolean
}

const BATCH_SIZES = ['2', '4', '64', '256', '512', '1024']

function eta(seconds: number | null): string {
  if (seconds === null) return 'estimating…'
  if (seconds < 90) return `${seconds} s left`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min left`
  return `${(seconds / 3600).toFixed(1)} h left`
}

export function ZkProvePanel({
  roundId,
  canProve,
  status,
}: {
  roundId: string
  canProve: boolean
  status: string
}) {
  const [progress, setProgress] = useState<Progress | null>(null)
  const [recorded, setRecorded] = useState<Recorded | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [batchSize, setBatchSize] = useState('256')
  const [cores, setCores] = useState('1')

  const poll = useCallback(async () => {
    try {
      const r = await get<{ progress: Progress | null; recorded: Recorded | null }>(
        `/api/por/staff/rounds/${roundId}/zk/progress`,
      )
      setProgress(r.progress)
      setRecorded(r.recorded)
    } catch (e) {
      setError(e)
    }
  }, [roundId])
  useEffect(() => {
    void poll()
  }, [poll])
  const running = progress?.state === 'running'
  // Resuming keeps the proved batches only with the same batch size: offer the job's own size by default.
  const jobBatchSize = progress?.batchSize
  useEffect(() => {
    if (jobBatchSize !== undefined && BATCH_SIZES.includes(String(jobBatchSize)))
      setBatchSize(String(jobBatchSize))
  }, [jobBatchSize])
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => void poll(), 1000)
    return () => clearInterval(timer)
  }, [running, poll])

  async function act(path: string, body?: unknown) {
    setError(null)
    try {
      setProgress(await post<Progress>(`/api/por/staff/rounds/${roundId}/zk/${path}`, body))
    } catch (e) {
      setError(e)
    }
  }

  const provable = ['built', 'reviewed'].includes(status)
  if (!provable && !recorded) return null
  const pct = progress && progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 0
  return (
    <section className="stack" aria-label={`Zero-knowledge proof of round ${roundId}`} data-testid="zk-job">
      <strong>Zero-knowledge proof of liabilities</strong>
      {progress ? (
        <div data-testid="zk-progress">
          <progress max={Math.max(1, progress.total)} value={progress.done} />{' '}
          {progress.state === 'interrupted' ? 'interrupted — resume' : progress.state}: {progress.done} /{' '}
          {progress.total || '…'} batches ({pct}%)
          {progress.reused > 0 ? `, ${progress.reused} kept from an earlier run` : ''}
          {progress.usersPerSecond !== null ? `, ${progress.usersPerSecond.toFixed(1)} users/s` : ''}
          {running ? `, ${eta(progress.etaSeconds)}` : ''}
          {progress.error ? <p className="error">{progress.error.message}</p> : null}
        </div>
      ) : null}
      {recorded ? (
        <small data-testid="zk-recorded">
          Recorded: verification key <code>{recorded.vkHash.slice(0, 16)}…</code>, setup{' '}
          <code>{recorded.setupHash.slice(0, 16)}…</code>
          {recorded.setupInsecure ? ' (INSECURE test setup: proves nothing)' : ''}, top root{' '}
          <code>{recorded.topRoot.slice(0, 18)}…</code>
        </small>
      ) : null}
      {canProve && provable ? (
        running ? (
          <button type="button" onClick={() => void act('stop')}>
            Stop proving (proved batches are kept)
          </button>
        ) : (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault()
              void act('prove', { batchSize: Number(batchSize), cores: Number(cores) })
            }}
          >
            <label>
              Users per batch{' '}
              <select value={batchSize} onChange={(e) => setBatchSize(e.target.value)}>
                {BATCH_SIZES.map((n) => (
                  <option key={n}>{n}</option>
                ))}
              </select>
            </label>
            <label>
              Cores{' '}
              <input
                type="number"
                min={1}
                max={64}
                value={cores}
                onChange={(e) => setCores(e.target.value)}
              />
            </label>
            <button type="submit">
              {progress && progress.state !== 'done' ? 'Resume proving' : 'Prove in zk'}
            </button>
          </form>
        )
      ) : null}
      <ErrorNote error={error} />
    </section>
  )
}
