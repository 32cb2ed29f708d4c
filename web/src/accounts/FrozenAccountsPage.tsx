/**
 * @module Support's queue of accounts frozen by "This wasn't me": review, then unfreeze with a note.
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, formatTime, Page, Table } from '../platform/ui.tsx'

type Frozen = {
  id: string
  email: string
  displayName: string
  frozenAt: string | null
  reason: string | null
}

export function FrozenAccountsPage() {
  const { me } = useSession()
  const [accounts, setAccounts] = useState<Frozen[]>([])
  const [notes, setNotes] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const load = useCallback(
    () =>
      get<{ accounts: Frozen[] }>('/api/staff/accounts/frozen').then(
        (r) => setAccounts(r.accounts),
        setError,
      ),
    [],
  )
  useEffect(() => {
    void load()
  }, [load])
  return (
    <Page
      title="Frozen accounts"
      intro="Customers who pressed &quot;This wasn't me&quot;. Contact them through a verified channel, review the audit log, then unfreeze. Withdrawal locks keep running."
    >
      <ErrorNote error={error} />
      <Table
        columns={['Customer', 'Frozen', 'Reason', '']}
        empty="No frozen accounts. An account appears here when its owner presses “This wasn't me” on a security alert."
      >
        {accounts.map((a) => (
          <tr key={a.id}>
            <td>
              {a.displayName} <small>{a.email}</small>
            </td>
            <td>{a.frozenAt ? formatTime(a.frozenAt) : ''}</td>
            <td>{a.reason}</td>
            <td>
              {can(me, 'accounts.unfreeze') ? (
                <form
                  className="row"
                  onSubmit={(e) => {
                    e.preventDefault()
                    post(`/api/staff/accounts/${a.id}/unfreeze`, { note: notes[a.id] ?? '' }).then(
                      load,
                      setError,
                    )
                  }}
                >
                  <input
                    required
                    minLength={3}
                    placeholder="Review note"
                    value={notes[a.id] ?? ''}
                    onChange={(e) => setNotes({ ...notes, [a.id]: e.target.value })}
                  />
                  <button type="submit">Unfreeze</button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
    </Page>
  )
}
