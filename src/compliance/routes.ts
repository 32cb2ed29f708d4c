/**
 * @module Travel Rule HTTP routes. Between VASPs (no session, no API key: authenticated by the
 * Ed25519 signature of the sender in our directory): our identity, inbound transfers answered with
 * a signed accept/reject, and broadcast notices. Customers: the VASP list, their declared
 * destinations and the message to sign for a self-hosted wallet. Staff: the compliance queue, the
 * IVMS101 payload, retry/reject of unanswered transfers, held-deposit decisions, the directory,
 * the thresholds per jurisdiction.
 * Unanswered transfers and due broadcast notices are sent again every 30 s.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../platform/deps.ts'
import { errors } from '../platform/errors.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { ownershipMessage } from './destinations.ts'
import { createTravelRule } from './travel-rule.ts'

const tags = ['travel-rule']
const name = z.string().trim().min(1).max(100)
const network = z.string().min(1).max(32)
const address = z.string().min(1).max(128)
const note = z.string().trim().min(1).max(1000)
const ok = z.object({ ok: z.literal(true) })
const signedEnvelope = z.object({ message: z.record(z.string(), z.unknown()), signature: z.string() })
const vaspBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  baseUrl: z.string().min(1).max(300),
  publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'an Ed25519 public key as 64 hex digits'),
  jurisdiction: z.string().regex(/^[A-Z]{2}$/, 'a code such as DE, US or EU'),
  addresses: z.array(z.string().trim().min(1).max(128)).max(100).default([]),
  status: z.enum(['active', 'disabled']).default('active'),
})
const vaspView = vaspBody.extend({ id: z.string(), updatedAt: z.string() })
const transferView = z.object({
  id: z.string(),
  transferId: z.string(),
  direction: z.enum(['outbound', 'inbound']),
  vaspId: z.string(),
  vaspName: z.string(),
  asset: z.string(),
  amount: z.string(),
  destination: z.string(),
  status: z.enum(['pending', 'accepted', 'rejected']),
  reason: z.string().nullable(),
  lastError: z.string().nullable(),
  txHash: z.string().nullable(),
  withdrawalId: z.string().nullable(),
  withdrawalStatus: z.string().nullable(),
  originator: z.string(),
  beneficiary: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const depositView = z.object({
  depositId: z.string(),
  vaspId: z.string(),
  vaspName: z.string(),
  status: z.enum(['held', 'released', 'rejected']),
  note: z.string().nullable(),
  decidedBy: z.string().nullable(),
  asset: z.string(),
  amount: z.string(),
  txid: z.string(),
  userId: z.string(),
  address: z.string(),
  heldAt: z.string(),
})
const idParams = z.object({ id: z.uuid() })
const jurisdiction = z.string().regex(/^[A-Z]{2}$/, 'a code such as DE, US or EU')
const thresholdInForce = z.object({
  jurisdiction: z.string(),
  amount: z.string(),
  currency: z.string(),
  source: z.enum(['config', 'staff']),
  effectiveFrom: z.string().nullable(),
  changedBy: z.string().nullable(),
})
const thresholdVersion = z.object({
  jurisdiction: z.string(),
  amount: z.string(),
  currency: z.string(),
  effectiveFrom: z.string(),
  changedBy: z.string(),
  note: z.string().nullable(),
  createdAt: z.string(),
})

export async function travelRuleRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tr = createTravelRule(deps)
  const limited = { apiKey: 'forbidden' as const, rateLimit: { max: 120, timeWindow: '1 minute' } }

  let stopped = false
  let inFlight: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    if (stopped) return
    inFlight = tr.sendDue().catch((err: unknown) => base.log.error({ err }, 'travel rule resend failed'))
  }, 30_000)
  timer.unref()
  app.addHook('onClose', async () => {
    stopped = true
    clearInterval(timer)
    await inFlight
  })

  // ---- Between VASPs ------------------------------------------------------------------------

  app.get(
    '/api/travel-rule/v1/identity',
    {
      config: limited,
      schema: {
        tags,
        summary: 'This VASP’s Travel Rule identity: id, name, Ed25519 public key, protocol, threshold',
        response: {
          200: z.object({
            id: z.string(),
            name: z.string(),
            country: z.string(),
            publicKey: z.string().nullable(),
            protocol: z.string(),
            threshold: z
              .object({ jurisdiction: z.string(), amount: z.string(), currency: z.string() })
              .nullable(),
          }),
        },
      },
    },
    async () => tr.identity(),
  )

  app.post(
    '/api/travel-rule/v1/transfers',
    {
      config: limited,
      schema: {
        tags,
        summary:
          'Inbound transfer from another VASP: signed IVMS101 payload and transfer details; answered with a signed accept or reject',
        body: signedEnvelope,
        response: { 200: signedEnvelope },
      },
    },
    async (request) => tr.receiveTransfer(request.body),
  )

  app.post(
    '/api/travel-rule/v1/transfers/:transferId/broadcast',
    {
      config: limited,
      schema: {
        tags,
        summary:
          'Signed notice from the originating VASP that an accepted transfer was broadcast (transaction hash)',
        params: z.object({ transferId: z.uuid() }),
        body: signedEnvelope,
        response: { 200: ok },
      },
    },
    async (request) => {
      if (request.body.message.transferId !== request.params.transferId)
        throw errors.invalidInput('The path and the signed message name different transfers.')
      await tr.receiveBroadcast(request.body)
      return { ok: true as const }
    },
  )

  // ---- Customers ----------------------------------------------------------------------------

  app.get(
    '/api/travel-rule/vasps',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'Exchanges (VASPs) a withdrawal address can belong to',
        response: { 200: z.object({ vasps: z.array(z.object({ id: z.string(), name: z.string() })) }) },
      },
    },
    async () => ({ vasps: (await tr.listVasps(true)).map((v) => ({ id: v.id, name: v.name })) }),
  )

  app.get(
    '/api/travel-rule/destinations',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My declared withdrawal destinations (another exchange’s customer, or my own wallet)',
        response: {
          200: z.object({
            destinations: z.array(
              z.object({
                network: z.string(),
                address: z.string(),
                kind: z.enum(['vasp', 'self_hosted']),
                vaspId: z.string().nullable(),
                vaspName: z.string().nullable(),
                proofMethod: z.string().nullable(),
                declaredAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ destinations: await tr.listDestinations(request.user!.id) }),
  )

  app.get(
    '/api/travel-rule/ownership-message',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'The message to sign with a self-hosted wallet address to prove it is mine',
        querystring: z.object({ network, address }),
        response: { 200: z.object({ message: z.string() }) },
      },
    },
    async (request) => ({
      message: ownershipMessage(request.user!.id, request.query.network, request.query.address),
    }),
  )

  app.post(
    '/api/travel-rule/destinations',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary:
          'Declare whose a withdrawal address is: a customer of a VASP (with their name) or my own wallet (with a signed message)',
        body: z.discriminatedUnion('kind', [
          z.strictObject({
            kind: z.literal('vasp'),
            network,
            address,
            vaspId: z.string().min(1).max(64),
            beneficiary: z.discriminatedUnion('kind', [
              z.strictObject({ kind: z.literal('natural'), firstName: name, lastName: name }),
              z.strictObject({ kind: z.literal('legal'), name }),
            ]),
          }),
          z.strictObject({
            kind: z.literal('self_hosted'),
            network,
            address,
            signature: z.string().min(1).max(2000),
          }),
        ]),
        response: {
          201: z.object({ network: z.string(), address: z.string(), kind: z.enum(['vasp', 'self_hosted']) }),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await tr.declareDestination(request.user!.id, request.body)),
  )

  // ---- Staff --------------------------------------------------------------------------------

  app.get(
    '/api/staff/travel-rule/queue',
    {
      preHandler: requireStaff('travel_rule.read'),
      schema: {
        tags,
        summary:
          'The Travel Rule queue: transfers to and from other VASPs with their state, and deposits held for missing data',
        response: { 200: z.object({ transfers: z.array(transferView), deposits: z.array(depositView) }) },
      },
    },
    async () => tr.queue(),
  )

  app.get(
    '/api/staff/travel-rule/transfers/:id/payload',
    {
      preHandler: requireStaff('travel_rule.read'),
      schema: {
        tags,
        summary: 'The IVMS101 payload of one transfer (personal data; the view is audit-logged)',
        params: idParams,
        response: { 200: z.object({ ivms101: z.record(z.string(), z.unknown()) }) },
      },
    },
    async (request) => ({
      ivms101: (await tr.payload(request.params.id, request.user!.id)) as Record<string, unknown>,
    }),
  )

  app.post(
    '/api/staff/travel-rule/transfers/:id/retry',
    {
      preHandler: requireStaff('travel_rule.decide'),
      schema: {
        tags,
        summary: 'Send an unanswered outbound transfer to the beneficiary VASP again now',
        params: idParams,
        response: {
          200: z.object({
            status: z.enum(['pending', 'accepted', 'rejected']),
            lastError: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const row = await tr.retry(request.params.id, request.user!.id)
      return { status: row.status, lastError: row.last_error }
    },
  )

  app.post(
    '/api/staff/travel-rule/transfers/:id/reject',
    {
      preHandler: requireStaff('travel_rule.decide'),
      schema: {
        tags,
        summary:
          'Give up on an unanswered outbound transfer: its withdrawal is rejected and the funds returned',
        params: idParams,
        body: z.strictObject({ note }),
        response: { 200: ok },
      },
    },
    async (request) => {
      await tr.rejectPending(request.params.id, request.user!.id, request.body.note)
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/travel-rule/send-due',
    {
      preHandler: requireStaff('travel_rule.decide'),
      schema: {
        tags,
        summary:
          'Send now what the 30 s job would: unanswered transfers again, and broadcast notices that are due',
        response: { 200: z.object({ resent: z.number(), broadcasts: z.number() }) },
      },
    },
    async () => tr.sendDue(),
  )

  app.post(
    '/api/staff/travel-rule/deposits/:id/decision',
    {
      preHandler: requireStaff('travel_rule.decide'),
      schema: {
        tags,
        summary:
          'Release a deposit held for missing Travel Rule data to the customer, or keep it held (reject)',
        params: idParams,
        body: z.strictObject({ decision: z.enum(['release', 'reject']), note }),
        response: { 200: ok },
      },
    },
    async (request) => {
      await tr.decideDeposit(request.params.id, request.user!.id, request.body.decision, request.body.note)
      return { ok: true as const }
    },
  )

  app.get(
    '/api/staff/travel-rule/vasps',
    {
      preHandler: requireStaff('travel_rule.read'),
      schema: {
        tags,
        summary: 'The directory of counterparty VASPs, and our own identity to give them',
        response: {
          200: z.object({
            vasps: z.array(vaspView),
            self: z.object({ id: z.string(), name: z.string(), publicKey: z.string().nullable() }),
          }),
        },
      },
    },
    async () => {
      const self = await tr.identity()
      return {
        self: { id: self.id, name: self.name, publicKey: self.publicKey },
        vasps: (await tr.listVasps()).map((v) => ({
          id: v.id,
          name: v.name,
          baseUrl: v.base_url,
          publicKey: v.public_key,
          jurisdiction: v.jurisdiction,
          addresses: v.addresses,
          status: v.status,
          updatedAt: v.updated_at.toISOString(),
        })),
      }
    },
  )

  app.put(
    '/api/staff/travel-rule/vasps/:vaspId',
    {
      preHandler: requireStaff('travel_rule.directory.manage'),
      schema: {
        tags,
        summary: 'Add or change a counterparty VASP (id = its LEI or directory id)',
        params: z.object({ vaspId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ -') }),
        body: vaspBody,
        response: { 200: ok },
      },
    },
    async (request) => {
      await tr.saveVasp(request.user!.id, { id: request.params.vaspId, ...request.body })
      return { ok: true as const }
    },
  )

  app.get(
    '/api/staff/travel-rule/thresholds',
    {
      preHandler: requireStaff('travel_rule.read'),
      schema: {
        tags,
        summary:
          'Travel Rule thresholds: our jurisdiction, each jurisdiction’s threshold in force now (configured default or staff version), and the versions staff set',
        response: {
          200: z.object({
            jurisdiction: z.string().nullable(),
            inForce: z.array(thresholdInForce),
            versions: z.array(thresholdVersion),
          }),
        },
      },
    },
    async () => tr.thresholds(),
  )

  app.post(
    '/api/staff/travel-rule/thresholds',
    {
      preHandler: requireStaff('travel_rule.thresholds.manage'),
      schema: {
        tags,
        summary:
          'Set a jurisdiction’s Travel Rule threshold from a time (default now, never in the past); withdrawals use the one in force when requested',
        body: z.strictObject({
          jurisdiction,
          amount: z.string().trim().min(1).max(24),
          currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
          effectiveFrom: z.iso.datetime({ offset: true }).optional(),
          note: z.string().trim().min(1).max(500).optional(),
        }),
        response: { 201: z.object({ threshold: thresholdVersion }) },
      },
    },
    async (request, reply) => {
      const { effectiveFrom, note, ...rest } = request.body
      const threshold = await tr.setThreshold(request.user!.id, {
        ...rest,
        ...(effectiveFrom ? { effectiveFrom: new Date(effectiveFrom) } : {}),
        ...(note ? { note } : {}),
      })
      return reply.code(201).send({ threshold })
    },
  )
}
