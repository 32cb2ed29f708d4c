/**
 * @module Staff management for security admins: invite, change role, disable/enable.
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { get, patch, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ConfirmButton, ErrorNote, formatTime, Page } from '../platform/ui.tsx'

const ROLES = [
  'support',
  'risk_analyst',
  'compliance_officer',
  'custody_approver',
  'security_admin',
  'auditor',
] as const

type Member = {
  id: string
  email: string
  role: string | null
  displayName: string
  status: string
  createdAt: string
}

export function StaffPage() {
  const { me } = useSession()
  const manage = can(me, 'staff.manage')
  const [members, setMembers] = useState<Member[]>([])
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')
  const [invite, setInvite] = useState({ email: '', displayName: '', role: 'support' })
  const [inviteUrl, setInviteUrl] = useState('')

  const load = useCallback(async () => {
    try {
      setMembers((await get<{ members: Member[] }>('/api/staff/members')).members)
    } catch (e) {
      setError(e)
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  async function change(member: Member, body: { role?: string; status?: string }) {
    setError(null)
    setNotice('')
    try {
      await patch(`/api/staff/members/${member.id}`, body)
      setNotice(
        `${member.email}: ${body.role ? `role changed to ${body.role.replace('_', ' ')}` : `account ${body.status === 'disabled' ? 'disabled' : 'enabled'}`}. Their sessions were ended.`,
      )
      await load()
    } catch (e) {
      setError(e)
    }
  }

  async function sendInvite(event: FormEvent) {
    event.preventDefault()
    setError(null)
    try {
      const result = await post<{ inviteUrl: string }>('/api/staff/members', invite)
      setInviteUrl(result.inviteUrl)
      setInvite({ email: '', displayName: '', role: 'support' })
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="Staff"
      intro="Who works on this exchange and what each role may do. Every change is recorded in the audit log."
    >
      <ErrorNote error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Since</th>
            {manage ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id} data-email={m.email}>
              <td>{m.displayName}</td>
              <td>{m.email}</td>
              <td>
                {manage && m.id !== me?.user.id ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role ?? ''}
                    onChange={(e) => void change(m, { role: e.target.value })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r.replace('_', ' ')}
                      </option>
                    ))}
                  </select>
                ) : (
                  m.role?.replace('_', ' ')
                )}
              </td>
              <td>{m.status}</td>
              <td>{formatTime(m.createdAt)}</td>
              {manage ? (
                <td>
                  {m.id !== me?.user.id ? (
                    m.status === 'disabled' ? (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void change(m, { status: 'active' })}
                      >
                        Enable
                      </button>
                    ) : (
                      <ConfirmButton
                        label="Disable"
                        title={`Disable ${m.displayName}?`}
                        consequence={`${m.displayName} (${m.email}) is signed out everywhere at once and can no longer sign in until a security admin enables the account again. The change is recorded in the audit log.`}
                        confirmLabel="Disable the account"
                        onConfirm={() => change(m, { status: 'disabled' })}
                      />
                    )
                  ) : (
                    <small>you</small>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {manage ? (
        <form onSubmit={sendInvite} className="stack narrow">
          <h2>Invite a staff member</h2>
          <label>
            Email
            <input
              type="email"
              required
              value={invite.email}
              onChange={(e) => setInvite({ ...invite, email: e.target.value })}
            />
          </label>
          <label>
            Name
            <input
              required
              maxLength={100}
              value={invite.displayName}
              onChange={(e) => setInvite({ ...invite, displayName: e.target.value })}
            />
          </label>
          <label>
            Role
            <select value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.target.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Create invitation</button>
          {inviteUrl ? (
            <p className="notice" role="status">
              Send this single-use link (valid 72 hours) to the new member over a trusted channel:{' '}
              <code className="break">{inviteUrl}</code>
            </p>
          ) : null}
        </form>
      ) : null}
    </Page>
  )
}
