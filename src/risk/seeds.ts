/**
 * @module Loads seed labels for risk propagation from list files the operator configures (never
 * bundled): OFAC sanctioned addresses (one per line, `sanctioned_addresses_<ASSET>.txt`) and
 * drainer/phishing address lists (JSON array of addresses). Each address keeps the list it came from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { normaliseAddress, type SeedLabel } from './propagation.ts'

/**
 * Reads every known list under `dir` (the layout of the shared `addresses/` folder):
 * `ofac/sanctioned_addresses_*.txt` and `scamsniffer_drainer_addresses.json`.
 */
export function loadSeedLists(dir: string): Map<string, SeedLabel> {
  const seeds = new Map<string, SeedLabel>()
  const ofac = join(dir, 'ofac')
  if (existsSync(ofac)) {
    for (const f of readdirSync(ofac)) {
      const m = /^sanctioned_addresses_([A-Z]+)\.txt$/.exec(f)
      if (!m) continue
      for (const line of readFileSync(join(ofac, f), 'utf8').split('\n')) {
        const a = line.trim()
        if (a) seeds.set(normaliseAddress(a), { label: 'sanctioned', source: `ofac:${m[1]}` })
      }
    }
  }
  const drainers = join(dir, 'scamsniffer_drainer_addresses.json')
  if (existsSync(drainers)) {
    const list = JSON.parse(readFileSync(drainers, 'utf8')) as unknown
    if (Array.isArray(list))
      for (const a of list)
        if (typeof a === 'string' && !seeds.has(normaliseAddress(a)))
          seeds.set(normaliseAddress(a), { label: 'drainer', source: 'scamsniffer' })
  }
  return seeds
}
