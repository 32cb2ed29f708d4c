/**
 * @module The P2P HTTP API: identity country, market, My Ads, orders (customers); identity review,
 * disputes, metrics and the expiry job (staff). Thin routes: guard → validate → service → presenter.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createOutflowGate } from '../accounts/index.ts'
import { p2pEscrow } from '../custody/index.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { paymentMethods } from './ads.ts'
import { antiPhishingCodeLookup, CHAT_MESSAGE_MAX, createConversation } from './conversation.ts'
import { countries } from './countries.ts'
import type { RiskCheck, SecondFactor } from './deps.ts'
import { createP2p, type P2p } from './index.ts'
import { assets, fiats, formatUnits } from './money.ts'
import {
  adInputSchema,
  adMetricsSchema,
  adSchema,
  identitySchema,
  idParams,
  metricsSchema,
  orderSchema,
  placeOrderSchema,
  secondFactorSchema,
} from './schema.ts'
import { accountsSecondFactor } from './second-factor.ts'

/** The app's DomainDeps, plus optional P2P-specific overrides (a shared risk engine, another 2FA). */
export type P2pRouteDeps = DomainDeps & { p2pSecondFactor?: SecondFactor; p2pRisk?: RiskCheck }

const tags = ['p2p']
const EXPIRY_SWEEP_MS = 60_000
const balanceSchema = z.object({ asset: z.string(), available: z.string(), escrow: z.string() })

export async function p2pRoutes(base: FastifyInstance, deps: P2pRouteDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const p2p: P2p = createP2p({
    db: deps.db,
    clock: deps.clock,
    events: deps.events,
    // Escrow is the seller's custody balance: `available` → `locked` → the buyer's `available`.
    ledger: p2pEscrow({ db: deps.db, clock: deps.clock }),
    secondFactor: deps.p2pSecondFactor ?? accountsSecondFactor(deps),
    outflow: createOutflowGate({ db: deps.db, clock: deps.clock, risk: deps.risk.engine }),
    ...(deps.p2pRisk ? { risk: deps.p2pRisk } : {}),
  })
  const me = (request: { user: { id: string } | null }) => request.user!.id
  const conversation = createConversation({
    db: deps.db,
    clock: deps.clock,
    antiPhishingCodeFor: antiPhishingCodeLookup(deps.db),
  })

  // Unpaid orders past their window are expired by a sweep every minute (and when read), so the
  // seller's escrow and the ad's amount come back even if nobody looks at the order.
  const sweep = setInterval(() => {
    p2p.orders
      .expireDue()
      .catch((error: unknown) => base.log.error({ err: error }, 'p2p expiry sweep failed'))
  }, EXPIRY_SWEEP_MS)
  sweep.unref()
  base.addHook('onClose', async () => clearInterval(sweep))

  app.get(
    '/api/p2p/reference',
    {
      schema: {
        tags,
        summary: 'Countries and regions (ISO 3166), payment methods, assets and fiat currencies',
        response: {
          200: z.object({
            countries: z.array(
              z.object({ code: z.string(), name: z.string(), kind: z.enum(['country', 'region']) }),
            ),
            paymentMethods: z.array(z.string()),
            assets: z.array(z.string()),
            fiats: z.array(z.string()),
            /** Decimals of every asset and fiat currency, to show smallest units as amounts. */
            decimals: z.record(z.string(), z.number()),
          }),
        },
      },
    },
    async () => ({
      countries: [...countries],
      paymentMethods: [...paymentMethods],
      assets: Object.keys(assets),
      fiats: Object.keys(fiats),
      decimals: { ...fiats, ...assets },
    }),
  )

  app.get(
    '/api/p2p/me',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My verified country, P2P balances and whether I may post ads',
        response: {
          200: z.object({
            identity: identitySchema.nullable(),
            balances: z.array(balanceSchema),
            advertiser: z.object({ verifiedIdentity: z.boolean(), secondFactor: z.boolean() }),
          }),
        },
      },
    },
    async (request) => {
      const userId = me(request)
      const identity = await p2p.identities.get(userId)
      const balances = await p2p.deps.ledger.balances(deps.db, userId)
      return {
        identity,
        balances: balances.map((b) => ({
          asset: b.asset,
          available: formatUnits(b.available, assets[b.asset]),
          escrow: formatUnits(b.escrow, assets[b.asset]),
        })),
        advertiser: {
          verifiedIdentity: identity?.status === 'verified',
          secondFactor: await p2p.deps.secondFactor.isEnabled(userId),
        },
      }
    },
  )

  app.post(
    '/api/p2p/identity',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Submit the country or region on my identity document for review',
        body: z.object({ country: z.string().regex(/^[A-Z]{2}$/) }),
        response: { 200: z.object({ identity: identitySchema }) },
      },
    },
    async (request) => ({ identity: await p2p.identities.submit(me(request), request.body.country) }),
  )

  app.get(
    '/api/p2p/ads',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'The market: active ads, each with whether I may take it and why not',
        querystring: z.object({
          side: z.enum(['buy', 'sell']).optional(),
          asset: z.string().max(10).optional(),
          fiat: z.string().max(10).optional(),
          amount: z.string().max(40).optional(),
          paymentMethod: z.string().max(40).optional(),
          localOnly: z.enum(['true', 'false', '1', '0']).optional(),
        }),
        response: { 200: z.object({ ads: z.array(adSchema), myCountry: z.string().nullable() }) },
      },
    },
    async (request) => {
      const userId = me(request)
      const viewer = await p2p.identities.forRules(userId)
      const q = request.query
      const ads = await p2p.ads.list(userId, viewer, {
        ...(q.side ? { side: q.side } : {}),
        ...(q.asset ? { asset: q.asset } : {}),
        ...(q.fiat ? { fiat: q.fiat } : {}),
        ...(q.amount ? { amount: q.amount } : {}),
        ...(q.paymentMethod ? { paymentMethod: q.paymentMethod } : {}),
        localOnly: q.localOnly === 'true' || q.localOnly === '1',
      })
      return { ads, myCountry: viewer?.status === 'verified' ? viewer.country : null }
    },
  )

  app.get(
    '/api/p2p/ads/:id',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'One ad (counts a view)',
        params: idParams,
        response: { 200: z.object({ ad: adSchema }) },
      },
    },
    async (request) => {
      const userId = me(request)
      const viewer = await p2p.identities.forRules(userId)
      return { ad: await p2p.ads.get(userId, viewer, request.params.id, { countView: true }) }
    },
  )

  app.post(
    '/api/p2p/ads',
    {
      config: { apiKey: 'trade', multilineFields: ['terms'] },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Post an ad (needs a verified identity and 2FA)',
        body: adInputSchema,
        response: { 201: z.object({ ad: adSchema }) },
      },
    },
    async (request, reply) => {
      const userId = me(request)
      const id = await p2p.ads.create(userId, request.body)
      return reply.status(201).send({ ad: await p2p.ads.get(userId, null, id) })
    },
  )

  app.put(
    '/api/p2p/ads/:id',
    {
      config: { apiKey: 'trade', multilineFields: ['terms'] },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Edit my ad: new orders use the new terms at once, open orders keep theirs',
        params: idParams,
        body: adInputSchema,
        response: { 200: z.object({ ad: adSchema }) },
      },
    },
    async (request) => {
      const userId = me(request)
      await p2p.ads.update(userId, request.params.id, request.body)
      return { ad: await p2p.ads.get(userId, null, request.params.id) }
    },
  )

  app.post(
    '/api/p2p/ads/:id/status',
    {
      config: { apiKey: 'trade' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Pause, resume or close my ad',
        params: idParams,
        body: z.object({ status: z.enum(['active', 'paused', 'closed']) }),
        response: { 200: z.object({ ad: adSchema }) },
      },
    },
    async (request) => {
      const userId = me(request)
      await p2p.ads.setStatus(userId, request.params.id, request.body.status)
      return { ad: await p2p.ads.get(userId, null, request.params.id) }
    },
  )

  app.get(
    '/api/p2p/my/ads',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My ads with their metrics, per ad and overall',
        response: {
          200: z.object({
            ads: z.array(adSchema.extend({ metrics: adMetricsSchema.nullable() })),
            overall: metricsSchema,
          }),
        },
      },
    },
    async (request) => {
      const ads = await p2p.ads.mine(me(request))
      const metrics = await p2p.metrics(ads.map((a) => a.id))
      const byAd = new Map(metrics.ads.map((m) => [m.adId, m]))
      return { ads: ads.map((a) => ({ ...a, metrics: byAd.get(a.id) ?? null })), overall: metrics.overall }
    },
  )

  app.post(
    '/api/p2p/ads/:id/orders',
    {
      config: { apiKey: 'trade' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary:
          'Place an order; the seller’s crypto moves to escrow. 403 P2P_REGION_NOT_ALLOWED when my verified country is not allowed by the ad.',
        description:
          'Send an `Idempotency-Key` header (or `idempotencyKey` in the body): a retry with the same key returns the same order.',
        params: idParams,
        body: placeOrderSchema,
        response: { 201: z.object({ order: orderSchema }) },
      },
    },
    async (request, reply) => {
      const userId = me(request)
      const header = request.headers['idempotency-key']
      const idempotencyKey =
        request.body.idempotencyKey ??
        (typeof header === 'string' && header.length <= 100 ? header : undefined)
      const order = await p2p.orders.place(userId, request.params.id, {
        ...(request.body.amount === undefined ? {} : { amount: request.body.amount }),
        ...(request.body.fiatAmount === undefined ? {} : { fiatAmount: request.body.fiatAmount }),
        idempotencyKey: idempotencyKey ?? crypto.randomUUID(),
      })
      await conversation.platformMessage(order.id, 'placed')
      const [view] = await p2p.orders.present([order], userId)
      return reply.status(201).send({ order: view! })
    },
  )

  app.get(
    '/api/p2p/orders',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My orders, newest first',
        response: { 200: z.object({ orders: z.array(orderSchema) }) },
      },
    },
    async (request) => ({
      orders: await p2p.orders.present(await p2p.orders.listMine(me(request)), me(request)),
    }),
  )

  app.get(
    '/api/p2p/orders/:id',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'One of my orders',
        params: idParams,
        response: { 200: z.object({ order: orderSchema }) },
      },
    },
    async (request) => {
      const order = await p2p.orders.get(me(request), request.params.id)
      return { order: (await p2p.orders.present([order], me(request)))[0]! }
    },
  )

  const orderAction = (
    path: string,
    summary: string,
    run: (
      userId: string,
      orderId: string,
      body: never,
    ) => Promise<Parameters<P2p['orders']['present']>[0][number]>,
    body: z.ZodType = z.object({}),
    /** What an API key needs here: paying the buyer out of escrow is value leaving the seller. */
    apiKey: 'trade' | 'withdraw' = 'trade',
  ) =>
    app.post(
      `/api/p2p/orders/:id/${path}`,
      {
        // `reason` is the appeal's free text, typed into a textarea.
        config: { apiKey, multilineFields: ['reason'] },
        preHandler: requireCustomer,
        schema: {
          tags,
          summary,
          params: idParams,
          body,
          response: { 200: z.object({ order: orderSchema }) },
        },
      },
      async (request) => {
        const order = await run(me(request), (request.params as { id: string }).id, request.body as never)
        await conversation.platformMessage(order.id, path === 'appeal' ? 'appealed' : order.status)
        return { order: (await p2p.orders.present([order], me(request)))[0]! }
      },
    )

  orderAction('paid', 'Buyer: I have paid', (u, o) => p2p.orders.markPaid(u, o))
  orderAction('cancel', 'Buyer: cancel before paying (escrow returns to the seller)', (u, o) =>
    p2p.orders.cancel(u, o),
  )
  orderAction(
    'release',
    'Seller: payment received, release escrow to the buyer (needs the second factor)',
    (u, o, body: z.infer<typeof secondFactorSchema>) =>
      p2p.orders.release(u, o, {
        ...(body.totpCode ? { totpCode: body.totpCode } : {}),
        ...(body.passkeyResponse ? { passkeyResponse: body.passkeyResponse } : {}),
      }),
    secondFactorSchema,
    'withdraw',
  )
  orderAction(
    'appeal',
    'Buyer or seller: open a dispute (from 15 minutes after "paid")',
    (u, o, body: { reason: string }) => p2p.orders.appeal(u, o, body.reason),
    z.object({ reason: z.string().trim().min(3).max(1000) }),
  )

  const detailsSchema = z.object({
    method: z.string(),
    holder: z.string(),
    account: z.string(),
    note: z.string(),
    updatedAt: z.string(),
  })
  const messageSchema = z.object({
    id: z.string(),
    at: z.string(),
    from: z.enum(['buyer', 'seller', 'platform']),
    author: z.string(),
    text: z.string(),
    antiPhishingCode: z.string().nullable(),
  })

  app.get(
    '/api/p2p/payment-details',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My payment details per method (what buyers of my open orders see)',
        response: { 200: z.object({ details: z.array(detailsSchema) }) },
      },
    },
    async (request) => ({ details: await conversation.myDetails(me(request)) }),
  )

  // Where buyers send their money is as sensitive as the withdrawal whitelist: a signed-in browser
  // with a fresh proof of identity only, never an API key (forbidden by default).
  app.put(
    '/api/p2p/payment-details',
    {
      config: { reauth: true },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Add or replace my details for one payment method (SEPA takes a valid IBAN)',
        body: z.object({
          method: z.enum(paymentMethods),
          holder: z.string().trim().min(1).max(100),
          account: z.string().trim().min(1).max(100),
          note: z.string().trim().max(300).optional(),
        }),
        response: { 200: z.object({ details: z.array(detailsSchema) }) },
      },
    },
    async (request) => {
      await conversation.saveDetails(me(request), request.body)
      return { details: await conversation.myDetails(me(request)) }
    },
  )

  app.delete(
    '/api/p2p/payment-details/:method',
    {
      config: { reauth: true },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Remove my details for one payment method',
        params: z.object({ method: z.enum(paymentMethods) }),
        response: { 200: z.object({ details: z.array(detailsSchema) }) },
      },
    },
    async (request) => {
      await conversation.removeDetails(me(request), request.params.method)
      return { details: await conversation.myDetails(me(request)) }
    },
  )

  app.get(
    '/api/p2p/orders/:id/payment-details',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary:
          'Buyer of an open order: where to pay (the seller’s details for the order’s methods); 404 for anyone else',
        params: idParams,
        response: { 200: z.object({ details: z.array(detailsSchema) }) },
      },
    },
    async (request) => ({ details: await conversation.detailsForBuyer(me(request), request.params.id) }),
  )

  app.get(
    '/api/p2p/orders/:id/messages',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'The order chat, oldest first (platform messages carry my anti-phishing code)',
        params: idParams,
        response: { 200: z.object({ messages: z.array(messageSchema) }) },
      },
    },
    async (request) => ({
      messages: await conversation.messages(request.params.id, { id: me(request), staff: false }),
    }),
  )

  app.post(
    '/api/p2p/orders/:id/messages',
    {
      config: { apiKey: 'trade', multilineFields: ['text'] },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: `Write in the order chat (text, at most ${CHAT_MESSAGE_MAX} characters, 10 a minute)`,
        params: idParams,
        body: z.object({ text: z.string().trim().min(1).max(CHAT_MESSAGE_MAX) }),
        response: { 201: z.object({ messages: z.array(messageSchema) }) },
      },
    },
    async (request, reply) => {
      await conversation.send(me(request), request.params.id, request.body.text)
      return reply.status(201).send({
        messages: await conversation.messages(request.params.id, { id: me(request), staff: false }),
      })
    },
  )

  // Staff

  app.get(
    '/api/p2p/staff/disputes/:id/messages',
    {
      preHandler: requireStaff('p2p.disputes.read'),
      schema: {
        tags,
        summary: 'Evidence: the chat of a disputed order (404 when the order was never disputed)',
        params: idParams,
        response: { 200: z.object({ messages: z.array(messageSchema) }) },
      },
    },
    async (request) => ({
      messages: await conversation.messages(request.params.id, { id: me(request), staff: true }),
    }),
  )

  app.get(
    '/api/p2p/staff/identities',
    {
      preHandler: requireStaff('p2p.identity.review'),
      schema: {
        tags,
        summary: 'Identity country submissions (the KYC review queue)',
        querystring: z.object({ status: z.enum(['pending', 'verified', 'rejected']).optional() }),
        response: {
          200: z.object({
            identities: z.array(identitySchema.extend({ email: z.string(), displayName: z.string() })),
          }),
        },
      },
    },
    async (request) => ({ identities: await p2p.identities.list(request.query.status) }),
  )

  app.post(
    '/api/p2p/staff/identities/:id',
    {
      preHandler: requireStaff('p2p.identity.review'),
      schema: {
        tags,
        summary: 'Verify (with the document’s country or region) or reject a customer’s identity country',
        params: idParams,
        body: z.object({
          decision: z.enum(['verify', 'reject']),
          country: z
            .string()
            .regex(/^[A-Z]{2}$/)
            .optional(),
          note: z.string().max(500).optional(),
        }),
        response: { 200: z.object({ identity: identitySchema }) },
      },
    },
    async (request) => ({
      identity: await p2p.identities.review(me(request), {
        userId: request.params.id,
        decision: request.body.decision,
        ...(request.body.country ? { country: request.body.country } : {}),
        ...(request.body.note ? { note: request.body.note } : {}),
      }),
    }),
  )

  app.get(
    '/api/p2p/staff/disputes',
    {
      preHandler: requireStaff('p2p.disputes.read'),
      schema: {
        tags,
        summary: 'Orders under appeal (open) or already resolved',
        querystring: z.object({ state: z.enum(['open', 'resolved']).optional() }),
        response: { 200: z.object({ orders: z.array(orderSchema) }) },
      },
    },
    async (request) => ({
      orders: await p2p.orders.present(await p2p.orders.disputes(request.query.state ?? 'open'), null),
    }),
  )

  app.post(
    '/api/p2p/staff/disputes/:id',
    {
      config: { multilineFields: ['note'] },
      preHandler: requireStaff('p2p.disputes.resolve'),
      schema: {
        tags,
        summary: 'Resolve a dispute: release the escrow to the buyer or refund the seller',
        params: idParams,
        body: z.object({ outcome: z.enum(['release', 'refund']), note: z.string().trim().min(3).max(1000) }),
        response: { 200: z.object({ order: orderSchema }) },
      },
    },
    async (request) => {
      const order = await p2p.orders.resolve(
        me(request),
        request.params.id,
        request.body.outcome,
        request.body.note,
      )
      await conversation.platformMessage(order.id, order.status)
      return { order: (await p2p.orders.present([order], null))[0]! }
    },
  )

  app.get(
    '/api/p2p/staff/metrics',
    {
      preHandler: requireStaff('p2p.disputes.read'),
      schema: {
        tags,
        summary: 'Marketplace metrics: per ad and overall',
        response: { 200: z.object({ overall: metricsSchema, ads: z.array(adMetricsSchema) }) },
      },
    },
    async () => p2p.metrics(),
  )

  app.post(
    '/api/p2p/staff/jobs/expire',
    {
      preHandler: requireStaff('p2p.jobs.run'),
      schema: {
        tags,
        summary: 'Expire unpaid orders whose payment window has ended (also `bulwark p2p expire`)',
        response: { 200: z.object({ expired: z.number() }) },
      },
    },
    async () => p2p.orders.expireDue(),
  )
}
