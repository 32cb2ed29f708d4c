/**
 * @module The customer's withdrawals, newest first: the status in plain words, each step of the
 * pipeline with its verdict, any hold on the account, and "Cancel" while it is not signed yet.
 */
import { post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ConfirmButton, formatTime, Page, useAction, useLoaded } from '../platform/ui.tsx'
import { type Step, verdictWords, type Withdrawal } from './types.ts'

const CANCELLABLE = new Set(['requested', 'held_for_review', 'awaiting_approval', 'approved'])

/** The pipeline's steps, each with its verdict (and the detail the customer may see). */
export function StepList({ steps }: { steps: Step[] }) {
  return (
    <ol className="custody-steps">
      {steps.map((s) => (
        <li key={`${s.step} ${s.at} ${s.verdict} ${s.detail ?? ''}`} data-verdict={s.verdict}>
          {s.label ?? s.step}: <strong>{verdictWords(s.verdict)}</strong>
          {s.detail ? <small> ({s.detail.replaceAll('_', ' ')})</small> : null}
        </li>
      ))}
    </ol>
  )
}

type Listing = { withdrawals: Withdrawal[]; holds: { since: string; text: string }[] }

export function WithdrawalsPage() {
  const { data, reload } = useLoaded<Listing>('/api/custody/withdrawals')
  const action = useAction()
  return (
    <Page title="My withdrawals" intro="Every withdrawal you asked for, and where each one is now.">
      <p>
        <Link to="/wallet/withdraw" className="button">
          New withdrawal
        </Link>
      </p>
      {data?.holds.map((h) => (
        <p key={h.since} className="warning" role="alert">
          {h.text} (since {formatTime(h.since)})
        </p>
      ))}
      {action.status}
      {!data ? (
        <p>Loading…</p>
      ) : data.withdrawals.length === 0 ? (
        <p className="empty">No withdrawals yet.</p>
      ) : (
        data.withdrawals.map((w) => (
          <article key={w.id} className="card custody-withdrawal" data-status={w.status}>
            <h2>
              {w.amount} {w.asset} to <span className="break">{w.address}</span>
            </h2>
            <p className="custody-status">{w.statusText}</p>
            <p className="hint">
              Asked {formatTime(w.createdAt)} · fee {w.fee} {w.asset} · network {w.network}
              {w.txHash ? (
                <>
                  {' '}
                  · transaction <code className="break">{w.txHash}</code>
                </>
              ) : null}
            </p>
            <details>
              <summary>Checks and steps</summary>
              <StepList steps={w.steps} />
            </details>
            {CANCELLABLE.has(w.status) ? (
              <ConfirmButton
                label="Cancel withdrawal"
                title="Cancel this withdrawal?"
                consequence={`${w.amount} ${w.asset} and the fee go back to your available balance. Nothing is sent.`}
                confirmLabel="Cancel withdrawal"
                disabled={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    await post(`/api/custody/withdrawals/${w.id}/cancel`)
                    await reload()
                    return `Cancelled: ${w.amount} ${w.asset} is back in your balance.`
                  })
                }
              />
            ) : null}
          </article>
        ))
      )}
    </Page>
  )
}
