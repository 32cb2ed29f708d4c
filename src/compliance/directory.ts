/**
 * @module The directory of counterparty VASPs that compliance officers keep: id (LEI or directory
 * id), name, base URL (https, or http on loopback), Ed25519 public key, jurisdiction, the on-chain
 * addresses it sends from, active or disabled. Every change is audit-logged.
 */
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
import type { TravelRuleContext, VaspRow } from './context.ts'

export type VaspInput = {
  id: string
  name: string
  baseUrl: string
  publicKey: string
  jurisdiction: string
  addresses: string[]
  status: 'active' | 'disabled'
}

/** Checks a base URL: https, or http on the loopback interface (a test or a local peer). */
function checkBaseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw errors.invalidInput('The base URL must be an absolute URL such as https://vasp.example.', {
      field: 'baseUrl',
    })
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw errors.invalidInput('The base URL must use https (http only on 127.0.0.1 for local tests).', {
      field: 'baseUrl',
    })
  if (url.username || url.password || url.search || url.hash)
    throw errors.invalidInput('The base URL has no credentials, query or fragment.', { field: 'baseUrl' })
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** @example const directory = vaspDirectory(ctx); await directory.saveVasp(staffId, input) */
export function vaspDirectory(ctx: TravelRuleContext) {
  const { db, clock, me } = ctx
  return {
    async listVasps(activeOnly = false): Promise<VaspRow[]> {
      let q = db.selectFrom('travel_rule_vasps').selectAll().orderBy('name')
      if (activeOnly) q = q.where('status', '=', 'active')
      return (await q.execute()) as VaspRow[]
    },

    /** Adds or changes a directory entry. */
    async saveVasp(staffId: string, input: VaspInput) {
      const baseUrl = checkBaseUrl(input.baseUrl)
      if (input.id === me) throw errors.invalidInput('That is our own VASP id.', { field: 'id' })
      const addresses = [
        ...new Set(
          input.addresses
            .map((a) => a.trim())
            .filter(Boolean)
            .map((a) => (a.startsWith('0x') ? a.toLowerCase() : a)),
        ),
      ]
      const at = clock.now()
      const existing = await ctx.vasp(input.id)
      await db
        .insertInto('travel_rule_vasps')
        .values({
          id: input.id,
          name: input.name,
          base_url: baseUrl,
          public_key: input.publicKey.toLowerCase(),
          jurisdiction: input.jurisdiction,
          addresses: JSON.stringify(addresses),
          status: input.status,
          changed_by: staffId,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            name: input.name,
            base_url: baseUrl,
            public_key: input.publicKey.toLowerCase(),
            jurisdiction: input.jurisdiction,
            addresses: JSON.stringify(addresses),
            status: input.status,
            changed_by: staffId,
            updated_at: at,
          }),
        )
        .execute()
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: existing ? 'travel_rule.vasp_changed' : 'travel_rule.vasp_added',
        target: `vasp:${input.id}`,
        details: {
          name: input.name,
          baseUrl,
          publicKey: input.publicKey.toLowerCase(),
          status: input.status,
          ...(existing && existing.public_key !== input.publicKey.toLowerCase() ? { keyChanged: true } : {}),
        },
        at,
      })
    },
  }
}
