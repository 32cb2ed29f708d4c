/**
 * @module Ads: create, edit, pause, close, and the market list. An edit bumps the ad's version and
 * takes effect at once for new orders; open orders keep the snapshot of terms they were placed
 * under (see orders.ts). A change of the country/region allowlist also starts a new "allowlist
 * version", so metrics can compare views, blocked attempts and orders before and after.
 */
import { type Selectable, sql, type Transaction } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Database } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { isCountryCode } from './countries.ts'
import type { P2pDeps } from './deps.ts'
import {
  type Asset,
  assets,
  type Fiat,
  fiatForAmount,
  fiats,
  floatingPrice,
  formatPrice,
  formatUnits,
  isAsset,
  isFiat,
  parsePrice,
  parseUnits,
} from './money.ts'
import { regionDecision, type VerifiedIdentity, verifiedCountry } from './regions.ts'
import type { P2pAdsTable } from './tables.ts'

export const paymentMethods = [
  'SEPA',
  'SEPA Instant',
  'Bank transfer',
  'Revolut',
  'Wise',
  'PayPal',
  'Cash in person',
  'FPS',
  'JKO Pay',
  'LINE Pay',
  'BLIK',
  'Twint',
] as const

export type AdInput = {
  side: 'buy' | 'sell'
  asset: string
  fiat: string
  priceType: 'fixed' | 'floating'
  /** Decimal string, for fixed ads. */
  fixedPrice?: string | null | undefined
  /** Basis points over the reference price, for floating ads. */
  marginBps?: number | null | undefined
  /** Fiat decimal strings. */
  minOrder: string
  maxOrder: string
  /** Asset decimal string. */
  availableAmount: string
  paymentMethods: string[]
  terms: string
  /** ISO codes; empty = everyone. */
  allowedCountries: string[]
  paymentWindowMinutes?: number | undefined
}

export type AdRow = Selectable<P2pAdsTable>

export type Eligibility = { ok: true } | { ok: false; code: string; reason: string }

export type AdView = {
  id: string
  side: 'buy' | 'sell'
  asset: Asset
  fiat: Fiat
  priceType: 'fixed' | 'floating'
  price: string | null
  marginBps: number | null
  minOrder: string
  maxOrder: string
  availableAmount: string
  paymentMethods: string[]
  terms: string
  allowedCountries: string[]
  paymentWindowMinutes: number
  status: 'active' | 'paused' | 'closed'
  version: number
  advertiser: { id: string; displayName: string; country: string | null }
  eligibility: Eligibility
  updatedAt: string
}

export type AdFilters = {
  side?: 'buy' | 'sell'
  asset?: string
  fiat?: string
  /** Fiat amount the user wants to trade (decimal string): ads whose limits include it. */
  amount?: string
  paymentMethod?: string
  /** Only ads the user's verified country may take, same-country advertisers first. */
  localOnly?: boolean
}

type Tx = Transaction<Database>

/** Validates an ad's fields and converts them to stored form. */
export function normaliseAd(input: AdInput) {
  if (!isAsset(input.asset)) throw errors.invalidInput(`Unknown asset ${input.asset}.`, { field: 'asset' })
  if (!isFiat(input.fiat))
    throw errors.invalidInput(`Unknown fiat currency ${input.fiat}.`, { field: 'fiat' })
  const fiatDecimals = fiats[input.fiat]
  const field = <T>(name: string, parse: () => T): T => {
    try {
      return parse()
    } catch (error) {
      throw errors.invalidInput(error instanceof Error ? error.message : String(error), { field: name })
    }
  }
  const minOrder = field('minOrder', () => parseUnits(input.minOrder, fiatDecimals, 'minimum order'))
  const maxOrder = field('maxOrder', () => parseUnits(input.maxOrder, fiatDecimals, 'maximum order'))
  const available = field('availableAmount', () =>
    parseUnits(input.availableAmount, assets[input.asset as Asset], 'available amount'),
  )
  if (minOrder <= 0n)
    throw errors.invalidInput('The minimum order must be above zero.', { field: 'minOrder' })
  if (maxOrder < minOrder)
    throw errors.invalidInput('The maximum order must be at least the minimum order.', { field: 'maxOrder' })
  let fixedPrice: string | null = null
  let marginBps: number | null = null
  if (input.priceType === 'fixed') {
    const price = field('fixedPrice', () => parsePrice(input.fixedPrice ?? ''))
    if (price <= 0n) throw errors.invalidInput('The price must be above zero.', { field: 'fixedPrice' })
    fixedPrice = formatPrice(price)
  } else {
    marginBps = input.marginBps ?? 0
    field('marginBps', () => floatingPrice(1n, marginBps!))
  }
  const methods = [...new Set(input.paymentMethods)]
  if (methods.length === 0)
    throw errors.invalidInput('Choose at least one payment method.', { field: 'paymentMethods' })
  for (const m of methods) {
    if (!(paymentMethods as readonly string[]).includes(m))
      throw errors.invalidInput(`Unknown payment method ${m}.`, { field: 'paymentMethods' })
  }
  const countries = [...new Set(input.allowedCountries)]
  for (const c of countries) {
    if (!isCountryCode(c))
      throw errors.invalidInput(`${JSON.stringify(c)} is not an ISO 3166 country or region code.`, {
        field: 'allowedCountries',
      })
  }
  return {
    side: input.side,
    asset: input.asset as Asset,
    fiat: input.fiat as Fiat,
    price_type: input.priceType,
    fixed_price: fixedPrice,
    margin_bps: marginBps,
    min_order_fiat: minOrder.toString(),
    max_order_fiat: maxOrder.toString(),
    available_amount: available.toString(),
    payment_methods: methods,
    terms: input.terms.trim(),
    allowed_countries: countries.sort(),
    payment_window_minutes: input.paymentWindowMinutes ?? 15,
  }
}

export function createAds(deps: Pick<P2pDeps, 'db' | 'clock' | 'ledger' | 'secondFactor' | 'outflow'>) {
  const { db, clock } = deps

  /** An advertiser must have a verified identity and a second factor switched on. */
  async function assertAdvertiserEligible(userId: string) {
    const identity = await db
      .selectFrom('p2p_identities')
      .select(['status', 'country'])
      .where('user_id', '=', userId)
      .executeTakeFirst()
    if (identity?.status !== 'verified') {
      throw new AppError(
        'P2P_ADVERTISER_NOT_ELIGIBLE',
        403,
        'Posting ads needs a verified identity: submit your country or region for review first.',
        { details: { requirement: 'verified_identity' } },
      )
    }
    if (!(await deps.secondFactor.isEnabled(userId))) {
      throw new AppError(
        'P2P_ADVERTISER_NOT_ELIGIBLE',
        403,
        'Posting ads needs two-factor authentication: switch on an authenticator app or a passkey first.',
        { details: { requirement: 'second_factor' } },
      )
    }
  }

  /** A sell ad may not offer more than the advertiser holds now (orders re-check at escrow time). */
  async function assertCanFund(advertiserId: string, asset: Asset, amount: bigint) {
    const held =
      (await deps.ledger.balances(db, advertiserId)).find((b) => b.asset === asset)?.available ?? 0n
    if (held < amount) {
      throw new AppError(
        'P2P_INSUFFICIENT_BALANCE',
        409,
        `You hold ${formatUnits(held, assets[asset])} ${asset} available for P2P, less than the ${formatUnits(amount, assets[asset])} ${asset} this ad offers.`,
        { details: { field: 'availableAmount' } },
      )
    }
  }

  /** Offering to sell puts the advertiser's funds on the way out: the outflow gate decides. */
  async function assertSellAllowed(advertiserId: string, asset: Asset, amount: bigint, ref: string, tx?: Tx) {
    if (amount <= 0n) return
    await deps.outflow({ userId: advertiserId, kind: 'p2p_sell_ad', asset, amount, ref: `p2p:ad:${ref}` }, tx)
  }

  async function lockOwnAd(tx: Tx, advertiserId: string, adId: string) {
    const ad = await tx
      .selectFrom('p2p_ads')
      .selectAll()
      .where('id', '=', adId)
      .forUpdate()
      .executeTakeFirst()
    if (!ad || ad.advertiser_id !== advertiserId) throw errors.notFound('The ad')
    return ad
  }

  return {
    assertAdvertiserEligible,

    async create(advertiserId: string, input: AdInput): Promise<string> {
      const values = normaliseAd(input)
      await assertAdvertiserEligible(advertiserId)
      const now = clock.now()
      if (values.side === 'sell') {
        await assertSellAllowed(
          advertiserId,
          values.asset,
          BigInt(values.available_amount),
          `new:${now.getTime()}`,
        )
        await assertCanFund(advertiserId, values.asset, BigInt(values.available_amount))
      }
      return db.transaction().execute(async (tx) => {
        const { id } = await tx
          .insertInto('p2p_ads')
          .values({
            ...values,
            advertiser_id: advertiserId,
            payment_methods: JSON.stringify(values.payment_methods),
            allowed_countries: JSON.stringify(values.allowed_countries),
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await tx
          .insertInto('p2p_ad_stats')
          .values({
            ad_id: id,
            allowlist_version: 1,
            allowed_countries: JSON.stringify(values.allowed_countries),
            since: now,
          })
          .execute()
        await appendAudit(tx, {
          actor: `user:${advertiserId}`,
          action: 'p2p.ad_created',
          target: `ad:${id}`,
          details: {
            side: values.side,
            asset: values.asset,
            fiat: values.fiat,
            availableAmount: values.available_amount,
            allowedCountries: values.allowed_countries,
          },
          at: now,
        })
        return id
      })
    },

    /** Replaces an ad's terms; new orders use them at once, open orders keep theirs. */
    async update(advertiserId: string, adId: string, input: AdInput): Promise<void> {
      const values = normaliseAd(input)
      const now = clock.now()
      await db.transaction().execute(async (tx) => {
        const ad = await lockOwnAd(tx, advertiserId, adId)
        if (ad.status === 'closed') throw errors.conflict('P2P_AD_CLOSED', 'A closed ad cannot be edited.')
        if (values.side !== ad.side || values.asset !== ad.asset || values.fiat !== ad.fiat) {
          throw errors.invalidInput(
            'Side, asset and fiat of an ad cannot change: close it and post a new one.',
          )
        }
        if (ad.side === 'sell')
          await assertSellAllowed(
            advertiserId,
            values.asset,
            BigInt(values.available_amount),
            `${adId}:v${ad.version + 1}`,
            tx,
          )
        const allowlistChanged =
          JSON.stringify(ad.allowed_countries) !== JSON.stringify(values.allowed_countries)
        const allowlistVersion = allowlistChanged ? ad.allowlist_version + 1 : ad.allowlist_version
        await tx
          .updateTable('p2p_ads')
          .set({
            ...values,
            payment_methods: JSON.stringify(values.payment_methods),
            allowed_countries: JSON.stringify(values.allowed_countries),
            version: ad.version + 1,
            allowlist_version: allowlistVersion,
            updated_at: now,
          })
          .where('id', '=', adId)
          .execute()
        if (allowlistChanged) {
          await tx
            .insertInto('p2p_ad_stats')
            .values({
              ad_id: adId,
              allowlist_version: allowlistVersion,
              allowed_countries: JSON.stringify(values.allowed_countries),
              since: now,
            })
            .execute()
        }
        const changed = Object.entries(values)
          .filter(([k, v]) => JSON.stringify((ad as Record<string, unknown>)[k]) !== JSON.stringify(v))
          .map(([k]) => k)
        await appendAudit(tx, {
          actor: `user:${advertiserId}`,
          action: 'p2p.ad_updated',
          target: `ad:${adId}`,
          details: {
            version: ad.version + 1,
            changed,
            ...(allowlistChanged
              ? { allowedCountries: { from: ad.allowed_countries, to: values.allowed_countries } }
              : {}),
          },
          at: now,
        })
      })
    },

    /** Pause (no new orders), resume, or close (final). Open orders carry on either way. */
    async setStatus(
      advertiserId: string,
      adId: string,
      status: 'active' | 'paused' | 'closed',
    ): Promise<void> {
      const now = clock.now()
      await db.transaction().execute(async (tx) => {
        const ad = await lockOwnAd(tx, advertiserId, adId)
        if (ad.status === 'closed') throw errors.conflict('P2P_AD_CLOSED', 'This ad is closed for good.')
        if (ad.status === status) return
        if (status === 'active' && ad.side === 'sell')
          await assertSellAllowed(
            advertiserId,
            ad.asset as Asset,
            BigInt(ad.available_amount),
            `${adId}:resume:${now.getTime()}`,
            tx,
          )
        await tx.updateTable('p2p_ads').set({ status, updated_at: now }).where('id', '=', adId).execute()
        await appendAudit(tx, {
          actor: `user:${advertiserId}`,
          action: `p2p.ad_${status === 'active' ? 'resumed' : status}`,
          target: `ad:${adId}`,
          details: { from: ad.status },
          at: now,
        })
      })
    },

    /** The market: active ads with the viewer's eligibility for each. */
    async list(viewerId: string, viewer: VerifiedIdentity, filters: AdFilters = {}): Promise<AdView[]> {
      let query = selectAds(db).where('p2p_ads.status', '=', 'active')
      if (filters.side) query = query.where('p2p_ads.side', '=', filters.side)
      if (filters.asset) query = query.where('p2p_ads.asset', '=', filters.asset)
      if (filters.fiat) query = query.where('p2p_ads.fiat', '=', filters.fiat)
      if (filters.paymentMethod)
        query = query.where(sql<boolean>`p2p_ads.payment_methods ? ${filters.paymentMethod}`)
      const rows = await query.orderBy('p2p_ads.updated_at', 'desc').limit(500).execute()
      const prices = await referencePrices()
      const mine = verifiedCountry(viewer)
      let views = rows.map((row) => present(row, prices, viewerId, viewer))
      views = views.filter((v) => BigInt(rows.find((r) => r.id === v.id)!.available_amount) > 0n)
      if (filters.amount && filters.fiat && isFiat(filters.fiat)) {
        let wanted: bigint
        try {
          wanted = parseUnits(filters.amount, fiats[filters.fiat], 'amount')
        } catch (error) {
          throw errors.invalidInput(error instanceof Error ? error.message : String(error), {
            field: 'amount',
          })
        }
        views = views.filter((v) => {
          const row = rows.find((r) => r.id === v.id)!
          if (wanted < BigInt(row.min_order_fiat) || wanted > BigInt(row.max_order_fiat)) return false
          if (v.price === null) return false
          const worth = fiatForAmount(BigInt(row.available_amount), parsePrice(v.price), v.asset, v.fiat)
          return wanted <= worth
        })
      }
      // Best price first for the taker: the cheapest sell ads, the highest-paying buy ads.
      const priceOf = (v: AdView) => (v.price === null ? null : parsePrice(v.price))
      views.sort((a, b) => {
        if (a.side !== b.side) return a.side === 'sell' ? -1 : 1
        const pa = priceOf(a)
        const pb = priceOf(b)
        if (pa === null || pb === null) return Number(pa === null) - Number(pb === null)
        if (pa === pb) return 0
        return (a.side === 'sell' ? pa < pb : pa > pb) ? -1 : 1
      })
      if (filters.localOnly) {
        views = views
          .filter((v) => v.eligibility.ok || v.eligibility.code === 'P2P_OWN_AD')
          .filter(
            (v) => v.allowedCountries.length === 0 || (mine !== null && v.allowedCountries.includes(mine)),
          )
          .sort((a, b) => Number(b.advertiser.country === mine) - Number(a.advertiser.country === mine))
      }
      return views
    },

    /** One ad as a viewer sees it; counts a view when someone other than the advertiser opens it. */
    async get(
      viewerId: string,
      viewer: VerifiedIdentity,
      adId: string,
      options: { countView?: boolean } = {},
    ) {
      const row = await selectAds(db).where('p2p_ads.id', '=', adId).executeTakeFirst()
      if (!row || (row.status !== 'active' && row.advertiser_id !== viewerId)) throw errors.notFound('The ad')
      if (options.countView && row.advertiser_id !== viewerId) {
        await db
          .updateTable('p2p_ad_stats')
          .set({ views: sql`views + 1` })
          .where('ad_id', '=', adId)
          .where('allowlist_version', '=', row.allowlist_version)
          .execute()
      }
      return present(row, await referencePrices(), viewerId, viewer)
    },

    /** The advertiser's own ads, every status. */
    async mine(advertiserId: string): Promise<AdView[]> {
      const rows = await selectAds(db)
        .where('p2p_ads.advertiser_id', '=', advertiserId)
        .orderBy('p2p_ads.created_at', 'desc')
        .execute()
      const prices = await referencePrices()
      return rows.map((row) => present(row, prices, advertiserId, null))
    },

    /** Sets the reference price floating ads follow (an operator or a price feed calls this). */
    async setReferencePrice(asset: Asset, fiat: Fiat, price: string): Promise<void> {
      const value = formatPrice(parsePrice(price))
      await db
        .insertInto('p2p_prices')
        .values({ asset, fiat, price: value, updated_at: clock.now() })
        .onConflict((oc) =>
          oc.columns(['asset', 'fiat']).doUpdateSet({ price: value, updated_at: clock.now() }),
        )
        .execute()
    },
  }

  async function referencePrices(): Promise<Map<string, bigint>> {
    const rows = await db.selectFrom('p2p_prices').selectAll().execute()
    return new Map(rows.map((r) => [`${r.asset}/${r.fiat}`, parsePrice(String(r.price))]))
  }
}

/** Ads joined with their advertiser's name and verified country. */
export function selectAds(db: P2pDeps['db'] | Tx) {
  return db
    .selectFrom('p2p_ads')
    .innerJoin('users', 'users.id', 'p2p_ads.advertiser_id')
    .leftJoin('p2p_identities', 'p2p_identities.user_id', 'p2p_ads.advertiser_id')
    .selectAll('p2p_ads')
    .select(['users.display_name as advertiser_name', 'p2p_identities.country as advertiser_country'])
}

type JoinedAd = AdRow & { advertiser_name: string; advertiser_country: string | null }

/** The price an ad trades at now: its fixed price, or the reference price moved by its margin. */
export function currentPrice(
  ad: Pick<AdRow, 'price_type' | 'fixed_price' | 'margin_bps' | 'asset' | 'fiat'>,
  prices: Map<string, bigint>,
): bigint | null {
  if (ad.price_type === 'fixed') return parsePrice(String(ad.fixed_price))
  const reference = prices.get(`${ad.asset}/${ad.fiat}`)
  return reference === undefined ? null : floatingPrice(reference, ad.margin_bps ?? 0)
}

/** Why `viewerId` may not take `ad`, or ok. Shared by the list and by order placement. */
export function takerEligibility(
  ad: Pick<AdRow, 'advertiser_id' | 'status' | 'allowed_countries'>,
  viewerId: string,
  viewer: VerifiedIdentity,
  price: bigint | null,
): Eligibility {
  if (ad.advertiser_id === viewerId) return { ok: false, code: 'P2P_OWN_AD', reason: 'This is your own ad.' }
  if (ad.status !== 'active')
    return { ok: false, code: 'P2P_AD_NOT_ACTIVE', reason: `The advertiser has ${ad.status} this ad.` }
  if (price === null)
    return {
      ok: false,
      code: 'P2P_PRICE_UNAVAILABLE',
      reason: 'No reference price is set for this market yet.',
    }
  const region = regionDecision(ad.allowed_countries, viewer)
  if (!region.ok) return { ok: false, code: 'P2P_REGION_NOT_ALLOWED', reason: region.message }
  return { ok: true }
}

function present(
  row: JoinedAd,
  prices: Map<string, bigint>,
  viewerId: string,
  viewer: VerifiedIdentity,
): AdView {
  const asset = row.asset as Asset
  const fiat = row.fiat as Fiat
  const price = currentPrice(row, prices)
  return {
    id: row.id,
    side: row.side,
    asset,
    fiat,
    priceType: row.price_type,
    price: price === null ? null : formatPrice(price),
    marginBps: row.margin_bps,
    minOrder: formatUnits(BigInt(row.min_order_fiat), fiats[fiat]),
    maxOrder: formatUnits(BigInt(row.max_order_fiat), fiats[fiat]),
    availableAmount: formatUnits(BigInt(row.available_amount), assets[asset]),
    paymentMethods: row.payment_methods,
    terms: row.terms,
    allowedCountries: row.allowed_countries,
    paymentWindowMinutes: row.payment_window_minutes,
    status: row.status,
    version: row.version,
    advertiser: { id: row.advertiser_id, displayName: row.advertiser_name, country: row.advertiser_country },
    eligibility: takerEligibility(row, viewerId, viewer, price),
    updatedAt: row.updated_at.toISOString(),
  }
}
