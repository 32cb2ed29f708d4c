/**
 * @module Orders and escrow. Placing an order locks the ad row (`for update`), re-checks the
 * country/region rule and the limits against the ad as it is at that instant, takes the amount off
 * the ad and moves the seller's crypto into escrow, all in one transaction: concurrent orders
 * queue on the ad row and the `available_amount >= 0` / `balance >= 0` constraints back it up, so
 * an ad is never oversold. The order keeps a snapshot of the ad's terms; later edits do not touch it.
 *
 * Life of an order: pending_payment → (buyer marks paid) paid → (seller releases with a second
 * factor) released. Before paying the buyer may cancel; an unpaid order expires at the end of its
 * payment window. From 15 minutes after "paid" either side may appeal; support then releases or
 * refunds. Every step is audit-logged and published as a `p2p_order_status` event; a new order is
 * also published as one `p2p_order` event per party in the risk engine's schema (docs/risk.md).
 */
import { type Selectable, sql, type Transaction, type Updateable } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Database } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { currentPrice, takerEligibility } from './ads.ts'
import type { P2pDeps, SecondFactorInput } from './deps.ts'
import { createIdentities } from './identity.ts'
import {
  type Asset,
  amountForFiat,
  assets,
  type Fiat,
  fiatForAmount,
  fiats,
  formatPrice,
  formatUnits,
  parsePrice,
  parseUnits,
} from './money.ts'
import { REGION_NOT_ALLOWED, regionDecision, regionError } from './regions.ts'
import type { OrderTerms, P2pOrdersTable } from './tables.ts'

/** Either side may appeal this long after the buyer marked the order paid. */
export const APPEAL_AFTER_MS = 15 * 60_000
/** Unpaid orders one taker may hold at once: an unpaid order locks a seller's crypto in escrow. */
export const MAX_UNPAID_ORDERS = 5

type Tx = Transaction<Database>
/** First key of the advisory lock that serialises one taker's order placements. */
const TAKER_LOCK_KEY = 7_243_500
export type OrderRow = Selectable<P2pOrdersTable>

/** What one step in an order's life did: the row after it, its audit entry and its published event. */
type Step = {
  order: OrderRow
  /** The audit action, e.g. `p2p.order_paid`. */
  audit: string
  details: Record<string, unknown>
  /** The `action` of the published `p2p_order_status` event, e.g. `paid`. */
  event: string
}
type StepFn<R> = (tx: Tx, order: OrderRow, now: Date) => Promise<R>

export type PlaceOrderInput = {
  /** Asset amount (decimal string), or */
  amount?: string
  /** fiat amount (decimal string) to spend or receive. */
  fiatAmount?: string
  /** Client-chosen key: retrying with the same key returns the same order instead of a second one. */
  idempotencyKey: string
}

export type OrderView = {
  id: string
  adId: string
  adVersion: number
  role: 'buyer' | 'seller' | 'staff'
  buyer: { id: string; displayName: string }
  seller: { id: string; displayName: string }
  asset: Asset
  fiat: Fiat
  amount: string
  price: string
  fiatAmount: string
  terms: OrderTerms
  status: P2pOrdersTable['status']
  createdAt: string
  expiresAt: string
  paidAt: string | null
  completedAt: string | null
  appealableAt: string | null
  /** Whether an appeal can be opened now (by the server's clock). */
  appealOpen: boolean
  appeal: { at: string; by: string; reason: string } | null
  resolution: 'release' | 'refund' | null
}

export function createOrders(deps: P2pDeps) {
  const { db, clock, ledger, events } = deps
  const identities = createIdentities(deps)

  /** Every transition, for whoever follows orders (notifications, dashboards). */
  function publish(order: OrderRow, action: string, actor: string) {
    events.publish({
      type: 'p2p_order_status',
      at: clock.now().toISOString(),
      account: order.taker_id,
      action,
      actor,
      orderId: order.id,
      adId: order.ad_id,
      status: order.status,
      buyer: order.buyer_id,
      seller: order.seller_id,
      asset: order.asset,
      amount: String(order.amount),
      fiat: order.fiat,
      fiatAmount: String(order.fiat_amount),
    })
  }

  /**
   * A new order as the risk engine reads it (risk event schema v1), once per party. The taker's
   * event was already decided synchronously when the order was placed (the buyer's attempt on a
   * sell ad, the seller's outflow on a buy ad), so it is marked `riskAssessed`: stored for the
   * timeline and the warm-up, not scored a second time.
   */
  function publishPlaced(order: OrderRow) {
    for (const event of riskEvents(order, clock.now())) {
      const taker = event.account === order.taker_id
      events.publish(deps.risk && taker ? { ...event, riskAssessed: true } : event)
    }
  }

  async function findOrder(orderId: string) {
    const order = await db.selectFrom('p2p_orders').selectAll().where('id', '=', orderId).executeTakeFirst()
    if (!order) throw errors.notFound('The order')
    return order
  }

  /** The order `takerId` already placed with this idempotency key, if any. */
  function placedWithKey(takerId: string, idempotencyKey: string) {
    return db
      .selectFrom('p2p_orders')
      .selectAll()
      .where('taker_id', '=', takerId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst()
  }

  async function lockOrder(tx: Tx, orderId: string) {
    const order = await tx
      .selectFrom('p2p_orders')
      .selectAll()
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirst()
    if (!order) throw errors.notFound('The order')
    return order
  }

  function assertParty(order: OrderRow, userId: string, as?: 'buyer' | 'seller') {
    const isBuyer = order.buyer_id === userId
    const isSeller = order.seller_id === userId
    // Another customer's order is "not found", never "forbidden".
    if (!isBuyer && !isSeller) throw errors.notFound('The order')
    if (as === 'buyer' && !isBuyer)
      throw new AppError('P2P_NOT_THE_BUYER', 403, 'Only the buyer can do this on the order.')
    if (as === 'seller' && !isSeller)
      throw new AppError('P2P_NOT_THE_SELLER', 403, 'Only the seller can do this on the order.')
  }

  /** Gives escrow back to the seller and the amount back to the ad. */
  async function unwind(tx: Tx, order: OrderRow, status: 'cancelled' | 'expired' | 'refunded', at: Date) {
    await ledger.refund(tx, {
      owner: order.seller_id,
      asset: order.asset as Asset,
      amount: BigInt(order.amount),
      ref: `order:${order.id}`,
      at,
    })
    await tx
      .updateTable('p2p_ads')
      .set({ available_amount: sql`available_amount + ${String(order.amount)}::numeric` })
      .where('id', '=', order.ad_id)
      .execute()
    return setOrder(tx, order.id, { status, completed_at: at })
  }

  /** Pays the escrowed amount out to the buyer. */
  async function releaseEscrow(tx: Tx, order: OrderRow, at: Date) {
    await ledger.release(tx, {
      owner: order.seller_id,
      to: order.buyer_id,
      asset: order.asset as Asset,
      amount: BigInt(order.amount),
      ref: `order:${order.id}`,
      at,
    })
  }

  /**
   * One step in an order's life, in one transaction: lock the order row, let `step` check the
   * status and the actor and change the row, then audit-log the step as `actor`; once committed,
   * publish it. A step that no longer applies returns null: nothing is logged or published.
   */
  async function transition(orderId: string, actor: string, step: StepFn<Step>): Promise<OrderRow>
  async function transition(
    orderId: string,
    actor: string,
    step: StepFn<Step | null>,
  ): Promise<OrderRow | null>
  async function transition(orderId: string, actor: string, step: StepFn<Step | null>) {
    const now = clock.now()
    const done = await db.transaction().execute(async (tx) => {
      const order = await lockOrder(tx, orderId)
      const result = await step(tx, order, now)
      if (result) {
        await appendAudit(tx, {
          actor,
          action: result.audit,
          target: `order:${orderId}`,
          details: result.details,
          at: now,
        })
      }
      return result
    })
    if (!done) return null
    publish(done.order, done.event, actor)
    return done.order
  }

  function expireOne(orderId: string): Promise<OrderRow | null> {
    return transition(orderId, 'system', async (tx, order, now) => {
      // Paid or expired meanwhile: nothing left to do.
      if (order.status !== 'pending_payment' || order.expires_at > now) return null
      return {
        order: await unwind(tx, order, 'expired', now),
        audit: 'p2p.order_expired',
        details: {
          buyer: order.buyer_id,
          seller: order.seller_id,
          amount: String(order.amount),
          asset: order.asset,
        },
        event: 'expired',
      }
    })
  }

  return {
    /**
     * Places an order on an ad for `takerId`. Refuses with P2P_REGION_NOT_ALLOWED when the taker's
     * verified country is not in the ad's allowlist.
     */
    async place(takerId: string, adId: string, input: PlaceOrderInput): Promise<OrderRow> {
      const replay = await placedWithKey(takerId, input.idempotencyKey)
      if (replay) return assertSameRequest(replay, adId)
      const taker = await identities.forRules(takerId)
      const prices = new Map(
        (await db.selectFrom('p2p_prices').selectAll().execute()).map((r) => [
          `${r.asset}/${r.fiat}`,
          parsePrice(String(r.price)),
        ]),
      )
      const now = clock.now()
      let order: OrderRow
      // The allowlist version that refused the taker, to count the attempt after the rollback.
      let refusedUnder: number | null = null
      try {
        order = await db.transaction().execute(async (tx) => {
          const ad = await tx
            .selectFrom('p2p_ads')
            .selectAll()
            .where('id', '=', adId)
            .forUpdate()
            .executeTakeFirst()
          if (!ad || ad.status === 'closed') throw errors.notFound('The ad')
          const price = currentPrice(ad, prices)
          const eligible = takerEligibility(ad, takerId, taker, price)
          if (!eligible.ok) {
            const region = regionDecision(ad.allowed_countries, taker)
            if (eligible.code === REGION_NOT_ALLOWED && !region.ok) {
              refusedUnder = ad.allowlist_version
              throw regionError(ad.allowed_countries, region)
            }
            throw new AppError(eligible.code, 409, eligible.reason)
          }
          // Serialise one taker's placements so the unpaid-order cap holds under concurrency.
          await sql`select pg_advisory_xact_lock(${TAKER_LOCK_KEY}, hashtext(${takerId}))`.execute(tx)
          const unpaid = await tx
            .selectFrom('p2p_orders')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('taker_id', '=', takerId)
            .where('status', '=', 'pending_payment')
            .where('expires_at', '>', now)
            .executeTakeFirstOrThrow()
          if (Number(unpaid.n) >= MAX_UNPAID_ORDERS) {
            throw new AppError(
              'P2P_TOO_MANY_UNPAID_ORDERS',
              409,
              `You have ${MAX_UNPAID_ORDERS} orders waiting for your payment. Pay or cancel one before placing another.`,
            )
          }
          const asset = ad.asset as Asset
          const fiat = ad.fiat as Fiat
          const { amount, fiatAmount } = sizeOrder(input, price!, asset, fiat)
          const min = BigInt(ad.min_order_fiat)
          const max = BigInt(ad.max_order_fiat)
          if (fiatAmount < min || fiatAmount > max) {
            throw new AppError(
              'P2P_ORDER_OUTSIDE_LIMITS',
              400,
              `Orders on this ad must be between ${formatUnits(min, fiats[fiat])} and ${formatUnits(max, fiats[fiat])} ${fiat}; this one is ${formatUnits(fiatAmount, fiats[fiat])} ${fiat}.`,
            )
          }
          const left = BigInt(ad.available_amount)
          if (amount > left) {
            throw new AppError(
              'P2P_AD_INSUFFICIENT_AMOUNT',
              409,
              `This ad has only ${formatUnits(left, assets[asset])} ${asset} left; order less or choose another ad.`,
              { details: { available: formatUnits(left, assets[asset]) } },
            )
          }
          // The seller's funds go into escrow for the buyer: the outflow gate decides for the seller
          // (frozen, withdrawal lock, risk), whichever side of the ad they are on.
          const seller = ad.side === 'sell' ? ad.advertiser_id : takerId
          const buyer = ad.side === 'sell' ? takerId : ad.advertiser_id
          await deps.outflow(
            {
              userId: seller,
              kind: 'p2p_sell_order',
              asset,
              amount,
              ref: `p2p:order:${takerId}:${input.idempotencyKey}`,
              counterparty: buyer,
              initiator: seller === takerId ? 'owner' : 'counterparty',
            },
            tx,
          )
          if (deps.risk && ad.side === 'sell') {
            const decision = deps.risk.assess({
              v: 1,
              type: 'p2p_order',
              id: `p2p:attempt:${takerId}:${input.idempotencyKey}`,
              at: now.getTime(),
              account: takerId,
              asset,
              amount,
              side: 'buy',
              counterparty: ad.advertiser_id,
              ...(ad.payment_methods[0] ? { paymentMethod: ad.payment_methods[0] } : {}),
            })
            if (decision.decision === 'block') {
              throw new AppError(
                'P2P_RISK_BLOCKED',
                403,
                'This order was stopped by our risk checks. Contact support if you think this is a mistake.',
                { details: { reasons: decision.reasons.map((r) => r.code) } },
              )
            }
          }
          await tx
            .updateTable('p2p_ads')
            .set({ available_amount: sql`available_amount - ${amount.toString()}::numeric` })
            .where('id', '=', ad.id)
            .execute()
          const terms: OrderTerms = {
            side: ad.side,
            price: formatPrice(price!),
            priceType: ad.price_type,
            marginBps: ad.margin_bps,
            paymentMethods: ad.payment_methods,
            terms: ad.terms,
            minOrderFiat: formatUnits(min, fiats[fiat]),
            maxOrderFiat: formatUnits(max, fiats[fiat]),
            allowedCountries: ad.allowed_countries,
            paymentWindowMinutes: ad.payment_window_minutes,
          }
          const created = await tx
            .insertInto('p2p_orders')
            .values({
              ad_id: ad.id,
              ad_version: ad.version,
              allowlist_version: ad.allowlist_version,
              buyer_id: buyer,
              seller_id: seller,
              taker_id: takerId,
              asset,
              fiat,
              amount: amount.toString(),
              price: formatPrice(price!),
              fiat_amount: fiatAmount.toString(),
              terms: JSON.stringify(terms),
              status: 'pending_payment',
              idempotency_key: input.idempotencyKey,
              created_at: now,
              expires_at: new Date(now.getTime() + ad.payment_window_minutes * 60_000),
            })
            .returningAll()
            .executeTakeFirstOrThrow()
          try {
            await ledger.hold(tx, { owner: seller, asset, amount, ref: `order:${created.id}`, at: now })
          } catch (error) {
            // The taker may learn that the advertiser cannot fund the order, never their balance.
            if (
              error instanceof AppError &&
              error.code === 'P2P_INSUFFICIENT_BALANCE' &&
              seller !== takerId
            ) {
              throw new AppError(
                'P2P_AD_UNFUNDED',
                409,
                'The advertiser cannot fund this order right now. Choose another ad or try a smaller amount.',
              )
            }
            throw error
          }
          await appendAudit(tx, {
            actor: `user:${takerId}`,
            action: 'p2p.order_placed',
            target: `order:${created.id}`,
            details: {
              adId: ad.id,
              adVersion: ad.version,
              buyer,
              seller,
              asset,
              amount: amount.toString(),
              fiat,
              fiatAmount: fiatAmount.toString(),
              price: terms.price,
              takerCountry: taker?.country ?? null,
            },
            at: now,
          })
          return created
        })
      } catch (error) {
        if (isUniqueViolation(error)) {
          // The same key raced itself: the other request created the order.
          const existing = await placedWithKey(takerId, input.idempotencyKey)
          if (existing) return assertSameRequest(existing, adId)
        }
        if (refusedUnder !== null && error instanceof AppError) {
          await recordBlocked(adId, refusedUnder, takerId, error)
        }
        throw error
      }
      publishPlaced(order)
      publish(order, 'placed', `user:${takerId}`)
      return order
    },

    /** The buyer says the fiat payment was sent. */
    async markPaid(userId: string, orderId: string): Promise<OrderRow> {
      const due = await this.get(userId, orderId)
      if (due.status === 'expired') throw expiredError()
      return transition(orderId, `user:${userId}`, async (tx, order, now) => {
        assertParty(order, userId, 'buyer')
        if (order.status !== 'pending_payment') throw wrongStatus(order, 'marked paid')
        if (order.expires_at <= now) throw expiredError()
        return {
          order: await setOrder(tx, orderId, { status: 'paid', paid_at: now }),
          audit: 'p2p.order_paid',
          details: { fiat: order.fiat, fiatAmount: String(order.fiat_amount) },
          event: 'paid',
        }
      })
    },

    /** The buyer cancels before paying; escrow goes back to the seller. */
    cancel(userId: string, orderId: string): Promise<OrderRow> {
      return transition(orderId, `user:${userId}`, async (tx, order, now) => {
        assertParty(order, userId, 'buyer')
        if (order.status !== 'pending_payment') throw wrongStatus(order, 'cancelled')
        return {
          order: await unwind(tx, order, 'cancelled', now),
          audit: 'p2p.order_cancelled',
          details: { amount: String(order.amount), asset: order.asset },
          event: 'cancelled',
        }
      })
    },

    /** The seller confirms the fiat arrived and releases escrow to the buyer, with a second factor. */
    async release(
      userId: string,
      orderId: string,
      factor: Omit<SecondFactorInput, 'userId'>,
    ): Promise<OrderRow> {
      const before = await findOrder(orderId)
      assertParty(before, userId, 'seller')
      // Verified before the transaction: no slow checks while rows are locked.
      await deps.secondFactor.confirm({ userId, ...factor })
      return transition(orderId, `user:${userId}`, async (tx, order, now) => {
        if (order.status !== 'paid') throw wrongStatus(order, 'released')
        if (order.appealed_at)
          throw new AppError(
            'P2P_ORDER_IN_DISPUTE',
            409,
            'This order is under appeal: support will resolve it.',
          )
        await deps.outflow(
          {
            userId,
            kind: 'p2p_release',
            asset: order.asset,
            amount: BigInt(order.amount),
            ref: `p2p:release:${orderId}`,
            counterparty: order.buyer_id,
          },
          tx,
        )
        await releaseEscrow(tx, order, now)
        return {
          order: await setOrder(tx, orderId, { status: 'released', completed_at: now }),
          audit: 'p2p.order_released',
          details: {
            to: order.buyer_id,
            amount: String(order.amount),
            asset: order.asset,
            secondFactor: true,
          },
          event: 'released',
        }
      })
    },

    /** Either side opens a dispute, from 15 minutes after the buyer marked the order paid. */
    appeal(userId: string, orderId: string, reason: string): Promise<OrderRow> {
      return transition(orderId, `user:${userId}`, async (tx, order, now) => {
        assertParty(order, userId)
        if (order.status !== 'paid' || !order.paid_at) throw wrongStatus(order, 'appealed')
        if (order.appealed_at)
          throw errors.conflict('P2P_ALREADY_APPEALED', 'This order is already under appeal.')
        const allowedAt = new Date(order.paid_at.getTime() + APPEAL_AFTER_MS)
        if (now < allowedAt) {
          throw new AppError(
            'P2P_APPEAL_TOO_EARLY',
            409,
            `An appeal can be opened 15 minutes after the order was marked paid, at ${allowedAt.toISOString()}. Give the other side time to check the payment first.`,
            { details: { appealableAt: allowedAt.toISOString() } },
          )
        }
        return {
          order: await setOrder(tx, orderId, {
            appealed_at: now,
            appealed_by: userId,
            appeal_reason: reason,
          }),
          audit: 'p2p.order_appealed',
          details: { reason, by: userId === order.buyer_id ? 'buyer' : 'seller' },
          event: 'appealed',
        }
      })
    },

    /** Support resolves a dispute: release to the buyer or refund the seller. */
    resolve(
      staffId: string,
      orderId: string,
      outcome: 'release' | 'refund',
      note: string,
    ): Promise<OrderRow> {
      return transition(orderId, `staff:${staffId}`, async (tx, order, now) => {
        if (!order.appealed_at || order.status !== 'paid') {
          throw errors.conflict('P2P_NOT_IN_DISPUTE', 'Only an order under appeal can be resolved.')
        }
        if (outcome === 'release') await releaseEscrow(tx, order, now)
        else await unwind(tx, order, 'refunded', now)
        return {
          order: await setOrder(tx, orderId, {
            ...(outcome === 'release' ? { status: 'released', completed_at: now } : {}),
            resolution: outcome,
            resolved_by: staffId,
          }),
          audit: 'p2p.dispute_resolved',
          details: {
            outcome,
            note,
            buyer: order.buyer_id,
            seller: order.seller_id,
            amount: String(order.amount),
          },
          event: `resolved_${outcome}`,
        }
      })
    },

    /** Expires every unpaid order whose payment window has ended. Returns how many. */
    async expireDue(): Promise<{ expired: number }> {
      const due = await db
        .selectFrom('p2p_orders')
        .select('id')
        .where('status', '=', 'pending_payment')
        .where('expires_at', '<=', clock.now())
        .orderBy('expires_at')
        .limit(1000)
        .execute()
      let expired = 0
      for (const { id } of due) if (await expireOne(id)) expired++
      return { expired }
    },

    /** One order for one of its parties (expiring it first when its window has passed). */
    async get(userId: string, orderId: string): Promise<OrderRow> {
      let order = await findOrder(orderId)
      assertParty(order, userId)
      if (order.status === 'pending_payment' && order.expires_at <= clock.now()) {
        order = (await expireOne(orderId)) ?? order
      }
      return order
    },

    getForStaff(orderId: string): Promise<OrderRow> {
      return findOrder(orderId)
    },

    async listMine(userId: string): Promise<OrderRow[]> {
      return db
        .selectFrom('p2p_orders')
        .selectAll()
        .where((eb) => eb.or([eb('buyer_id', '=', userId), eb('seller_id', '=', userId)]))
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute()
    },

    /** Orders under appeal, oldest first, for support. */
    async disputes(state: 'open' | 'resolved' = 'open'): Promise<OrderRow[]> {
      let query = db.selectFrom('p2p_orders').selectAll().where('appealed_at', 'is not', null)
      query =
        state === 'open' ? query.where('status', '=', 'paid') : query.where('resolution', 'is not', null)
      return query.orderBy('appealed_at').limit(200).execute()
    },

    /** Presents orders with the parties' names; `viewerId` decides the role shown. */
    async present(rows: OrderRow[], viewerId: string | null): Promise<OrderView[]> {
      const ids = [...new Set(rows.flatMap((r) => [r.buyer_id, r.seller_id]))]
      const names = new Map(
        ids.length === 0
          ? []
          : (
              await db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', ids).execute()
            ).map((u) => [u.id, u.display_name]),
      )
      return rows.map((r) => presentOrder(r, viewerId, names, clock.now()))
    },
  }

  async function recordBlocked(adId: string, allowlistVersion: number, takerId: string, error: AppError) {
    const now = clock.now()
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('p2p_ad_stats')
        .set({ blocked: sql`blocked + 1` })
        .where('ad_id', '=', adId)
        .where('allowlist_version', '=', allowlistVersion)
        .execute()
      await appendAudit(tx, {
        actor: `user:${takerId}`,
        action: 'p2p.order_refused',
        target: `ad:${adId}`,
        details: { code: error.code, reason: error.details?.reason ?? null },
        at: now,
      })
    })
  }
}

/** Sets columns of one order and returns the row as it is now. */
function setOrder(tx: Tx, orderId: string, values: Updateable<P2pOrdersTable>): Promise<OrderRow> {
  return tx
    .updateTable('p2p_orders')
    .set(values)
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

function sizeOrder(input: PlaceOrderInput, price: bigint, asset: Asset, fiat: Fiat) {
  try {
    if (input.amount !== undefined) {
      const amount = parseUnits(input.amount, assets[asset], 'amount')
      if (amount <= 0n) throw new RangeError('amount must be above zero')
      return { amount, fiatAmount: fiatForAmount(amount, price, asset, fiat) }
    }
    if (input.fiatAmount !== undefined) {
      const fiatAmount = parseUnits(input.fiatAmount, fiats[fiat], 'fiat amount')
      const amount = amountForFiat(fiatAmount, price, asset, fiat)
      if (amount <= 0n) throw new RangeError('the fiat amount buys nothing at this price')
      // Charge exactly what the coin is worth, never more than asked.
      return { amount, fiatAmount: fiatForAmount(amount, price, asset, fiat) }
    }
  } catch (error) {
    if (error instanceof RangeError) throw errors.invalidInput(error.message, { field: 'amount' })
    throw error
  }
  throw errors.invalidInput('Give the amount of crypto or the fiat amount of the order.', { field: 'amount' })
}

function assertSameRequest(order: OrderRow, adId: string): OrderRow {
  if (order.ad_id !== adId) {
    throw errors.conflict(
      'P2P_IDEMPOTENCY_KEY_REUSED',
      'This idempotency key was already used for another order; send a new key for a new order.',
    )
  }
  return order
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'
}

function expiredError() {
  return new AppError(
    'P2P_ORDER_EXPIRED',
    409,
    'The payment window of this order has ended and the order expired. Do not pay; place a new order.',
  )
}

function wrongStatus(order: OrderRow, what: string) {
  return new AppError(
    'P2P_ORDER_WRONG_STATUS',
    409,
    `This order is ${order.status.replace('_', ' ')} and cannot be ${what} now.`,
    { details: { status: order.status } },
  )
}

export function presentOrder(
  r: OrderRow,
  viewerId: string | null,
  names: Map<string, string>,
  now: Date,
): OrderView {
  const asset = r.asset as Asset
  const fiat = r.fiat as Fiat
  return {
    id: r.id,
    adId: r.ad_id,
    adVersion: r.ad_version,
    role: r.buyer_id === viewerId ? 'buyer' : r.seller_id === viewerId ? 'seller' : 'staff',
    buyer: { id: r.buyer_id, displayName: names.get(r.buyer_id) ?? '' },
    seller: { id: r.seller_id, displayName: names.get(r.seller_id) ?? '' },
    asset,
    fiat,
    amount: formatUnits(BigInt(r.amount), assets[asset]),
    price: formatPrice(parsePrice(String(r.price))),
    fiatAmount: formatUnits(BigInt(r.fiat_amount), fiats[fiat]),
    terms: r.terms,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    paidAt: r.paid_at?.toISOString() ?? null,
    completedAt: r.completed_at?.toISOString() ?? null,
    appealableAt: r.paid_at ? new Date(r.paid_at.getTime() + APPEAL_AFTER_MS).toISOString() : null,
    appealOpen:
      r.status === 'paid' &&
      !r.appealed_at &&
      r.paid_at !== null &&
      now.getTime() >= r.paid_at.getTime() + APPEAL_AFTER_MS,
    appeal: r.appealed_at
      ? { at: r.appealed_at.toISOString(), by: r.appealed_by ?? '', reason: r.appeal_reason ?? '' }
      : null,
    resolution: r.resolution,
  }
}

/**
 * The `p2p_order` events of a new order for the risk engine (docs/risk.md): one per party, with
 * the side from that party's point of view and the other party as counterparty.
 */
export function riskEvents(order: OrderRow, at: Date) {
  const paymentMethod = order.terms.paymentMethods[0]
  return (['buyer', 'seller'] as const).map((role) => ({
    type: 'p2p_order',
    v: 1,
    id: `p2p:${order.id}:${role}`,
    at: at.toISOString(),
    account: role === 'buyer' ? order.buyer_id : order.seller_id,
    asset: order.asset,
    amount: String(order.amount),
    side: role === 'buyer' ? ('buy' as const) : ('sell' as const),
    counterparty: role === 'buyer' ? order.seller_id : order.buyer_id,
    ...(paymentMethod ? { paymentMethod } : {}),
    orderId: order.id,
    adId: order.ad_id,
    fiat: order.fiat,
    fiatAmount: String(order.fiat_amount),
  }))
}
