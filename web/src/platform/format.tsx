/**
 * @module Showing stored values as people read them: ids shortened with the full id on hover,
 * people by name and email, amounts in smallest units with their asset and decimals, and a
 * record of details as key/value pairs instead of JSON.
 */
import { useEffect, useState } from 'react'
import { get } from './api.ts'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/** Text with every UUID shortened to its first 8 characters (the whole text stays in `title`). */
export function Ids({ text }: { text: string }) {
  if (!text.match(UUID)) return <>{text}</>
  return <span title={text}>{shortIds(text)}</span>
}

export const shortIds = (text: string) => text.replace(UUID, (id) => `${id.slice(0, 8)}…`)

export type People = Record<string, { name: string; email: string }>

/** An actor or target: the person's name and email when known (the `kind:id` on hover). */
export function PersonRef({ value, people }: { value: string; people: People }) {
  const person = people[value]
  if (person)
    return (
      <span title={value}>
        {person.name} <small>{person.email}</small>
      </span>
    )
  return <Ids text={value.replace(/^(\w+):/, '$1 ')} />
}

let decimalsCache: Promise<Record<string, number>> | null = null

/** Decimals of every asset and currency the server knows (fetched once); {} until loaded. */
export function useDecimals(): Record<string, number> {
  const [decimals, setDecimals] = useState<Record<string, number>>({})
  useEffect(() => {
    decimalsCache ??= get<{ decimals: Record<string, number> }>('/api/p2p/reference').then((r) => r.decimals)
    decimalsCache.then(setDecimals).catch((error: unknown) => {
      decimalsCache = null
      console.error(error)
    })
  }, [])
  return decimals
}

/** "100000000" with 8 decimals -> "1"; "1234500" with 6 -> "1.2345". Exact (bigint), no rounding. */
export function formatUnits(units: string, decimals: number): string {
  if (!/^-?\d+$/.test(units)) return units
  const negative = units.startsWith('-')
  const digits = (negative ? units.slice(1) : units).padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '')
  const grouped = BigInt(whole).toLocaleString('en-US')
  return `${negative ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`
}

const AMOUNT_KEY = /amount|balance|total|liabilit|value|fee/i

const label = (key: string) => {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replaceAll('_', ' ')
    .toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function show(
  key: string,
  value: unknown,
  record: Record<string, unknown>,
  decimals: Record<string, number>,
) {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  const asset = typeof record.asset === 'string' ? record.asset : null
  if (AMOUNT_KEY.test(key) && asset && decimals[asset] !== undefined && /^-?\d+$/.test(String(value)))
    return `${formatUnits(String(value), decimals[asset])} ${asset}`
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'object' ? summary(v) : String(v))).join(', ')
  if (typeof value === 'object') return summary(value)
  return String(value)
}

const summary = (value: unknown): string =>
  value && typeof value === 'object'
    ? Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${label(k).toLowerCase()} ${typeof v === 'object' ? summary(v) : String(v)}`)
        .join(', ')
    : String(value)

/** A record of details as a small list of "Key: value" pairs; nothing when it is empty. */
export function Details({
  details,
  decimals = {},
}: {
  details: Record<string, unknown>
  decimals?: Record<string, number>
}) {
  const entries = Object.entries(details)
  if (entries.length === 0) return null
  return (
    <dl className="kv">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{label(key)}</dt>
          <dd>
            <Ids text={show(key, value, details, decimals)} />
          </dd>
        </div>
      ))}
    </dl>
  )
}

const UUID_ONLY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const known = new Map<string, { name: string; email: string } | null>()

/**
 * Names and emails for the account ids a staff page shows (asked for in one request per new
 * batch, remembered for the page's life). Ids that are not accounts stay unnamed.
 */
export function usePeople(
  values: Array<string | null | undefined>,
): Record<string, { name: string; email: string }> {
  const ids = [...new Set(values.filter((v): v is string => !!v && UUID_ONLY.test(v)))].sort()
  const key = ids.join(',')
  const [, setVersion] = useState(0)
  useEffect(() => {
    const missing = key ? key.split(',').filter((id) => !known.has(id)) : []
    if (missing.length === 0) return
    for (const id of missing) known.set(id, null)
    get<{ people: Record<string, { name: string; email: string }> }>(
      `/api/staff/people?ids=${missing.slice(0, 100).join(',')}`,
    )
      .then((r) => {
        for (const [id, p] of Object.entries(r.people)) known.set(id, p)
        setVersion((v) => v + 1)
      })
      .catch((error: unknown) => console.error(error))
  }, [key])
  const out: Record<string, { name: string; email: string }> = {}
  for (const id of ids) {
    const p = known.get(id)
    if (p) out[id] = p
  }
  return out
}

/** An account id as a person (name, email; the id on hover), or the id shortened when unknown. */
export function Account({
  id,
  people,
}: {
  id: string
  people: Record<string, { name: string; email: string }>
}) {
  const person = people[id]
  if (person)
    return (
      <span title={id}>
        {person.name} <small>{person.email}</small>
      </span>
    )
  return <Ids text={id} />
}
