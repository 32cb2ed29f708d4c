/**
 * @module Post or edit an ad, with the country/region restriction picker. An edit applies to new
 * orders at once; open orders keep the terms they were placed under.
 */
import { type FormEvent, useEffect, useState } from 'react'
import { api, get, post } from '../platform/api.ts'
import { fieldErrors } from '../platform/fields.ts'
import { Link, navigate } from '../platform/router.tsx'
import { ErrorNote, FieldError, Page } from '../platform/ui.tsx'
import { CountryPicker } from './CountryPicker.tsx'
import { type Ad, useReference } from './types.ts'

type Form = {
  side: 'buy' | 'sell'
  asset: string
  fiat: string
  priceType: 'fixed' | 'floating'
  fixedPrice: string
  marginPercent: string
  minOrder: string
  maxOrder: string
  availableAmount: string
  paymentMethods: string[]
  terms: string
  allowedCountries: string[]
  paymentWindowMinutes: number
}

const empty: Form = {
  side: 'sell',
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice: '',
  marginPercent: '0',
  minOrder: '',
  maxOrder: '',
  availableAmount: '',
  paymentMethods: [],
  terms: '',
  allowedCountries: [],
  paymentWindowMinutes: 15,
}

type MeP2p = {
  identity: { status: string } | null
  advertiser: { verifiedIdentity: boolean; secondFactor: boolean }
}

/** What each field's error says, in words; the server's messages name the same fields. */
const WORDS = {
  paymentMethods: 'Choose at least one payment method.',
  fixedPrice: 'Enter the price as a number, like 0.92.',
  marginBps: 'Enter the margin in percent, like 1.5 or -0.5.',
  availableAmount: 'Enter the total amount as a number, like 500.',
  minOrder: 'Enter the smallest order as a number, like 10.',
  maxOrder: 'Enter the largest order as a number, at least the minimum.',
  terms: 'Keep the terms to 2000 characters.',
}

export function AdFormPage({ id }: { id?: string }) {
  const reference = useReference()
  const [form, setForm] = useState<Form | null>(id ? null : empty)
  const [me, setMe] = useState<MeP2p | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    get<MeP2p>('/api/p2p/me').then(setMe).catch(setError)
    if (!id) return
    get<{ ad: Ad }>(`/api/p2p/ads/${id}`)
      .then(({ ad }) =>
        setForm({
          side: ad.side,
          asset: ad.asset,
          fiat: ad.fiat,
          priceType: ad.priceType,
          fixedPrice: ad.priceType === 'fixed' ? (ad.price ?? '') : '',
          marginPercent: String((ad.marginBps ?? 0) / 100),
          minOrder: ad.minOrder,
          maxOrder: ad.maxOrder,
          availableAmount: ad.availableAmount,
          paymentMethods: ad.paymentMethods,
          terms: ad.terms,
          allowedCountries: ad.allowedCountries,
          paymentWindowMinutes: ad.paymentWindowMinutes,
        }),
      )
      .catch(setError)
  }, [id])

  if (!form) return <Page title="Edit ad">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch })

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (!form) return
    setError(null)
    setBusy(true)
    const body = {
      side: form.side,
      asset: form.asset,
      fiat: form.fiat,
      priceType: form.priceType,
      fixedPrice: form.priceType === 'fixed' ? form.fixedPrice.trim() : null,
      // Percent with up to two decimals → basis points, without floating-point rounding surprises.
      marginBps: form.priceType === 'floating' ? Math.round(Number(form.marginPercent) * 100) : null,
      minOrder: form.minOrder.trim(),
      maxOrder: form.maxOrder.trim(),
      availableAmount: form.availableAmount.trim(),
      paymentMethods: form.paymentMethods,
      terms: form.terms,
      allowedCountries: form.allowedCountries,
      paymentWindowMinutes: form.paymentWindowMinutes,
    }
    try {
      if (id) await api('PUT', `/api/p2p/ads/${id}`, body)
      else await post('/api/p2p/ads', body)
      navigate('/p2p/my-ads')
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const needs = me && (!me.advertiser.verifiedIdentity || !me.advertiser.secondFactor)
  const errors = fieldErrors(error, WORDS)
  const err = (field: keyof typeof WORDS) => <FieldError id={`ad-${field}-error`} message={errors[field]} />
  return (
    <Page
      title={id ? 'Edit ad' : 'Post an ad'}
      intro={
        id
          ? 'Changes apply to new orders at once; orders already open keep the terms they were placed under.'
          : undefined
      }
    >
      {needs ? (
        <p className="warn" role="status">
          To post ads you need{' '}
          {!me.advertiser.verifiedIdentity ? (
            <>
              a <Link to="/p2p/identity">verified country or region</Link>
            </>
          ) : null}
          {!me.advertiser.verifiedIdentity && !me.advertiser.secondFactor ? ' and ' : null}
          {!me.advertiser.secondFactor ? (
            <Link to="/security/two-factor">two-factor authentication</Link>
          ) : null}
          .
        </p>
      ) : null}
      <form className="stack p2p-adform" onSubmit={submit}>
        <div className="row">
          <label>
            I want to
            <select
              value={form.side}
              disabled={Boolean(id)}
              onChange={(e) => set({ side: e.target.value as Form['side'] })}
            >
              <option value="sell">Sell crypto</option>
              <option value="buy">Buy crypto</option>
            </select>
          </label>
          <label>
            Asset
            <select
              value={form.asset}
              disabled={Boolean(id)}
              onChange={(e) => set({ asset: e.target.value })}
            >
              {(reference?.assets ?? ['USDT']).map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
          <label>
            Fiat
            <select value={form.fiat} disabled={Boolean(id)} onChange={(e) => set({ fiat: e.target.value })}>
              {(reference?.fiats ?? ['EUR']).map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
        </div>
        <div className="row">
          <label>
            Price type
            <select
              value={form.priceType}
              onChange={(e) => set({ priceType: e.target.value as Form['priceType'] })}
            >
              <option value="fixed">Fixed</option>
              <option value="floating">Floating (reference price ± margin)</option>
            </select>
          </label>
          {form.priceType === 'fixed' ? (
            <label>
              Price ({form.fiat} per {form.asset})
              <input
                name="price"
                required
                inputMode="decimal"
                value={form.fixedPrice}
                onChange={(e) => set({ fixedPrice: e.target.value })}
              />
              {err('fixedPrice')}
            </label>
          ) : (
            <label>
              Margin over the reference price (%)
              <input
                name="margin"
                required
                inputMode="decimal"
                value={form.marginPercent}
                onChange={(e) => set({ marginPercent: e.target.value })}
              />
              {err('marginBps')}
            </label>
          )}
        </div>
        <div className="row">
          <label>
            Total amount ({form.asset})
            <input
              name="availableAmount"
              required
              inputMode="decimal"
              value={form.availableAmount}
              onChange={(e) => set({ availableAmount: e.target.value })}
            />
            {err('availableAmount')}
          </label>
          <label>
            Minimum order ({form.fiat})
            <input
              name="minOrder"
              required
              inputMode="decimal"
              value={form.minOrder}
              onChange={(e) => set({ minOrder: e.target.value })}
            />
            {err('minOrder')}
          </label>
          <label>
            Maximum order ({form.fiat})
            <input
              name="maxOrder"
              required
              inputMode="decimal"
              value={form.maxOrder}
              onChange={(e) => set({ maxOrder: e.target.value })}
            />
            {err('maxOrder')}
          </label>
          <label>
            Payment window
            <select
              value={form.paymentWindowMinutes}
              onChange={(e) => set({ paymentWindowMinutes: Number(e.target.value) })}
            >
              {[15, 30, 45, 60].map((m) => (
                <option key={m} value={m}>
                  {m} minutes
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset>
          <legend>Payment methods</legend>
          <div className="row">
            {(reference?.paymentMethods ?? []).map((m) => (
              <label key={m} className="p2p-check">
                <input
                  type="checkbox"
                  checked={form.paymentMethods.includes(m)}
                  onChange={() =>
                    set({
                      paymentMethods: form.paymentMethods.includes(m)
                        ? form.paymentMethods.filter((x) => x !== m)
                        : [...form.paymentMethods, m],
                    })
                  }
                />
                {m}
              </label>
            ))}
          </div>
          {err('paymentMethods')}
        </fieldset>
        <label>
          Terms
          <textarea
            name="terms"
            maxLength={2000}
            rows={3}
            value={form.terms}
            onChange={(e) => set({ terms: e.target.value })}
          />
          {err('terms')}
        </label>
        <CountryPicker
          countries={reference?.countries ?? []}
          value={form.allowedCountries}
          onChange={(allowedCountries) => set({ allowedCountries })}
        />
        <ErrorNote error={error} fields={Object.keys(WORDS)} />
        <button type="submit" disabled={busy}>
          {id ? 'Save changes' : 'Post ad'}
        </button>
      </form>
    </Page>
  )
}
