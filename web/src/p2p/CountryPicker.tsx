/**
 * @module Multi-select of countries and regions with a search box: "Trade with users from
 * selected countries or regions only". Nothing selected = everyone.
 */
import { useId, useState } from 'react'
import type { Country } from './types.ts'

export function CountryPicker({
  countries,
  value,
  onChange,
}: {
  countries: Country[]
  value: string[]
  onChange: (codes: string[]) => void
}) {
  const [query, setQuery] = useState('')
  const id = useId()
  const q = query.trim().toLowerCase()
  const shown = countries.filter((c) => !q || c.name.toLowerCase().includes(q) || c.code.toLowerCase() === q)
  const toggle = (code: string) =>
    onChange(value.includes(code) ? value.filter((c) => c !== code) : [...value, code].sort())
  const nameOf = (code: string) => countries.find((c) => c.code === code)?.name ?? code
  return (
    <fieldset className="p2p-picker">
      <legend>Trade with users from selected countries or regions only</legend>
      <p className="p2p-hint">
        {value.length === 0
          ? 'None selected: users from every country and region can take this ad.'
          : `Only users verified in these ${value.length} countries or regions can take this ad.`}
      </p>
      <ul className="p2p-chips" aria-label="Selected countries and regions">
        {value.map((code) => (
          <li key={code}>
            {nameOf(code)}{' '}
            <button
              type="button"
              className="secondary"
              aria-label={`Remove ${nameOf(code)}`}
              onClick={() => toggle(code)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <label htmlFor={`${id}-search`}>Search countries and regions</label>
      <input
        id={`${id}-search`}
        type="search"
        placeholder="Search countries and regions"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="p2p-picker-list">
        {shown.map((c) => (
          <label key={c.code} className="p2p-check">
            <input type="checkbox" checked={value.includes(c.code)} onChange={() => toggle(c.code)} />
            {c.name}
            {c.kind === 'region' ? <small> (region)</small> : null}
          </label>
        ))}
        {shown.length === 0 ? <p>No country or region matches “{query}”.</p> : null}
      </div>
    </fieldset>
  )
}
