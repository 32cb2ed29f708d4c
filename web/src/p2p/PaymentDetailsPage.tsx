/**
 * @module The seller's payment details, one set per method (IBAN for SEPA, the account or tag for
 * the others). Only the buyer of an open order on one of my ads sees them, never the market.
 */
import { useState } from 'react'
import { withReauth } from '../accounts/reauth.tsx'
import { api } from '../platform/api.ts'
import { fieldErrors } from '../platform/fields.ts'
import { Link } from '../platform/router.tsx'
import { ConfirmButton, ErrorNote, Field, Page, Table, useAction, useLoaded } from '../platform/ui.tsx'
import { useReference } from './types.ts'

export type PaymentDetails = {
  method: string
  holder: string
  account: string
  note: string
  updatedAt: string
}

const WORDS = {
  holder: 'Enter the name on the account (at most 100 characters).',
  note: 'Keep the note to 300 characters.',
}

export const accountLabel = (method: string) =>
  method.startsWith('SEPA')
    ? 'IBAN'
    : method === 'Cash in person'
      ? 'Where to meet'
      : 'Account, tag, email or phone'

export function PaymentDetailsPage() {
  const reference = useReference()
  const { data, reload } = useLoaded<{ details: PaymentDetails[] }>('/api/p2p/payment-details')
  const [form, setForm] = useState({ method: 'SEPA', holder: '', account: '', note: '' })
  const save = useAction()
  const remove = useAction()
  const errors = fieldErrors(save.error, WORDS)
  const details = data?.details ?? []
  return (
    <Page
      title="Payment details"
      intro="Where buyers pay you, per payment method. A buyer sees the details of the methods your ad lists, only while their order is open; nobody else ever sees them."
    >
      <Table
        columns={['Method', 'Name on the account', 'Pay to', 'Note', '']}
        empty="No payment details yet: add the account you want to be paid to below, so buyers know where to pay."
      >
        {details.map((d) => (
          <tr key={d.method}>
            <td>{d.method}</td>
            <td>{d.holder}</td>
            <td className="break">{d.account}</td>
            <td>{d.note || '–'}</td>
            <td>
              <ConfirmButton
                label="Remove"
                title={`Remove your ${d.method} details?`}
                consequence={`Buyers of your open orders paying by ${d.method} will no longer see where to pay. You can add them again at any time.`}
                confirmLabel="Remove"
                onConfirm={() =>
                  remove.run(async () => {
                    await withReauth(() =>
                      api('DELETE', `/api/p2p/payment-details/${encodeURIComponent(d.method)}`),
                    )
                    await reload()
                    return `${d.method} details removed.`
                  })
                }
              />
            </td>
          </tr>
        ))}
      </Table>
      {remove.status}
      <h2>Add or replace details</h2>
      <form
        className="stack narrow"
        noValidate
        onSubmit={save.handleSubmit(async () => {
          await withReauth(() => api('PUT', '/api/p2p/payment-details', form))
          await reload()
          setForm({ ...form, holder: '', account: '', note: '' })
          return `${form.method} details saved. Buyers of your open orders now see them.`
        })}
      >
        <label>
          Payment method
          <select value={form.method} onChange={(e) => setForm({ ...form, method: e.target.value })}>
            {(reference?.paymentMethods ?? ['SEPA']).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <Field
          label="Name on the account"
          maxLength={100}
          value={form.holder}
          error={errors.holder}
          onChange={(holder) => setForm({ ...form, holder })}
        />
        <Field
          label={accountLabel(form.method)}
          maxLength={100}
          value={form.account}
          error={errors.account}
          placeholder={form.method.startsWith('SEPA') ? 'DE89 3704 0044 0532 0130 00' : ''}
          onChange={(account) => setForm({ ...form, account })}
        />
        <Field
          label="Note for the buyer (optional)"
          maxLength={300}
          value={form.note}
          error={errors.note}
          onChange={(note) => setForm({ ...form, note })}
        />
        <ErrorNote error={save.error} fields={['holder', 'account', 'note', 'method']} />
        <button type="submit" disabled={save.busy}>
          Save details
        </button>
      </form>
      {save.error ? null : save.status}
      <p>
        <Link to="/p2p/my-ads">Back to my ads</Link>
      </p>
    </Page>
  )
}
