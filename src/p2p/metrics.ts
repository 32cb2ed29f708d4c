/**
 * @module P2P metrics, per ad and overall: views, orders, completed, abnormal orders (appealed,
 * cancelled, expired), completion rate and conversion (orders / views). Each ad's figures are also
 * split by allowlist version (every change of its country/region restriction starts one), with the
 * order attempts the restriction refused, so an advertiser sees what a restriction changed.
 *
 * Completion rate = released / finished orders (released + cancelled + expired + refunded): open
 * orders are not counted for or against it.
 */
import { sql } from 'kysely'
import type { Db } from '../platform/db/index.ts'
import { ratio } from './money.ts'

export type Counts = {
  views: number
  blocked: number
  orders: number
  open: number
  completed: number
  cancelled: number
  expired: number
  appealed: number
  refunded: number
}

export type Metrics = Counts & {
  abnormal: number
  completionRate: string | null
  conversion: string | null
}

export type AdMetrics = Metrics & {
  adId: string
  byAllowlist: Array<Metrics & { allowlistVersion: number; allowedCountries: string[]; since: string }>
}

const zero = (): Counts => ({
  views: 0,
  blocked: 0,
  orders: 0,
  open: 0,
  completed: 0,
  cancelled: 0,
  expired: 0,
  appealed: 0,
  refunded: 0,
})

function finish(c: Counts): Metrics {
  // An order that was appealed and then cancelled/expired counts once as abnormal.
  const abnormal = c.cancelled + c.expired + c.appealed
  const finished = c.completed + c.cancelled + c.expired + c.refunded
  return {
    ...c,
    abnormal,
    completionRate: ratio(c.completed, finished),
    conversion: ratio(c.orders, c.views),
  }
}

function add(a: Counts, b: Counts): Counts {
  const out = zero()
  for (const k of Object.keys(out) as (keyof Counts)[]) out[k] = a[k] + b[k]
  return out
}

/** Metrics of the given ads (all ads when `adIds` is omitted), per ad and summed. */
export async function adMetrics(db: Db, adIds?: string[]): Promise<{ ads: AdMetrics[]; overall: Metrics }> {
  if (adIds && adIds.length === 0) return { ads: [], overall: finish(zero()) }
  let stats = db.selectFrom('p2p_ad_stats').selectAll().orderBy('ad_id').orderBy('allowlist_version')
  if (adIds) stats = stats.where('ad_id', 'in', adIds)
  let orders = db
    .selectFrom('p2p_orders')
    .select([
      'ad_id',
      'allowlist_version',
      sql<string>`count(*)`.as('orders'),
      sql<string>`count(*) filter (where status in ('pending_payment', 'paid'))`.as('open'),
      sql<string>`count(*) filter (where status = 'released')`.as('completed'),
      sql<string>`count(*) filter (where status = 'cancelled')`.as('cancelled'),
      sql<string>`count(*) filter (where status = 'expired')`.as('expired'),
      sql<string>`count(*) filter (where appealed_at is not null)`.as('appealed'),
      sql<string>`count(*) filter (where status = 'refunded')`.as('refunded'),
    ])
    .groupBy(['ad_id', 'allowlist_version'])
  if (adIds) orders = orders.where('ad_id', 'in', adIds)
  const [statRows, orderRows] = await Promise.all([stats.execute(), orders.execute()])
  const byKey = new Map(orderRows.map((r) => [`${r.ad_id}/${r.allowlist_version}`, r]))
  const perAd = new Map<string, AdMetrics['byAllowlist']>()
  for (const s of statRows) {
    const o = byKey.get(`${s.ad_id}/${s.allowlist_version}`)
    const counts: Counts = {
      views: Number(s.views),
      blocked: Number(s.blocked),
      orders: Number(o?.orders ?? 0),
      open: Number(o?.open ?? 0),
      completed: Number(o?.completed ?? 0),
      cancelled: Number(o?.cancelled ?? 0),
      expired: Number(o?.expired ?? 0),
      appealed: Number(o?.appealed ?? 0),
      refunded: Number(o?.refunded ?? 0),
    }
    const list = perAd.get(s.ad_id) ?? []
    list.push({
      ...finish(counts),
      allowlistVersion: s.allowlist_version,
      allowedCountries: s.allowed_countries,
      since: s.since.toISOString(),
    })
    perAd.set(s.ad_id, list)
  }
  let total = zero()
  const ads: AdMetrics[] = []
  for (const [adId, versions] of perAd) {
    const sum = versions.reduce((acc, v) => add(acc, v), zero())
    total = add(total, sum)
    ads.push({ adId, ...finish(sum), byAllowlist: versions })
  }
  return { ads, overall: finish(total) }
}
