/**
 * @module Insurance-fund HTTP routes for staff: the fund's balance per asset and its payouts, propose
 * a payout, approve one against its payload hash (the m-th approval pays it; see insurance.ts).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../platform/deps.ts'
import { requireStaff } from '../platform/http/auth.ts'
import { permissionMatrix } from '../platform/rbac.ts'
import { formatAmount } from './assets.ts'
import { createInsurance, type Payout } from './insurance.ts'

const tags = ['custody']

const proposeBody = z
  .object({
    asset: z.string().min(1).max(16),
    amount: z
      .string()
      .max(40)
      .regex(/^\d+(\.\d+)?$/, 'a decimal amount such as 0.25'),
    destination: z.union([
      z.object({ userId: z.uuid() }).strict(),
      z.object({ externalRef: z.string().trim().min(1).max(200) }).strict(),
    ]),
    reason: z.string().trim().min(1).max(500),
  })
  .strict()

function presentPayout(p: Payout) {
  return {
    id: p.id,
    asset: p.asset,
    amount: formatAmount(p.asset, p.amount),
    destination: p.destination,
    reason: p.reason,
    payloadHash: p.payloadHash,
    status: p.status,
    proposedBy: p.proposedBy,
    proposedAt: p.proposedAt.toISOString(),
    expiresAt: p.expiresAt.toISOString(),
    executedAt: p.executedAt?.toISOString() ?? null,
    transactionId: p.transactionId,
    approvals: p.approvals.map((a) => ({ staffId: a.staffId, role: a.role, at: a.at.toISOString() })),
    requiredApprovals: p.requiredApprovals,
  }
}

export async function insuranceRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const insurance = createInsurance({
    db: deps.db,
    clock: deps.clock,
    requiredApprovals: deps.config.CUSTODY_INSURANCE_APPROVALS,
    approverRoles: permissionMatrix['custody.insurance.approve'],
  })

  app.get(
    '/api/staff/custody/insurance',
    {
      preHandler: requireStaff('custody.read'),
      schema: { tags, summary: 'The insurance fund: balance per asset and payouts, newest first' },
    },
    async () => ({
      balances: (await insurance.balances()).map((b) => ({
        asset: b.asset,
        balance: formatAmount(b.asset, b.balance),
      })),
      payouts: (await insurance.list()).map(presentPayout),
    }),
  )

  app.post(
    '/api/staff/custody/insurance/payouts',
    {
      preHandler: requireStaff('custody.insurance.propose'),
      schema: {
        tags,
        summary: 'Propose a payout from the insurance fund (paid after m-of-n approvals by other staff)',
        body: proposeBody,
      },
    },
    async (request, reply) => {
      const payout = await insurance.propose(request.body, request.user!.id)
      return reply.code(201).send({ payout: presentPayout(payout) })
    },
  )

  app.post(
    '/api/staff/custody/insurance/payouts/:id/approve',
    {
      preHandler: requireStaff('custody.insurance.approve'),
      schema: {
        tags,
        summary: 'Approve the payout payload you reviewed (its SHA-256 hash); the m-th approval pays it',
        params: z.object({ id: z.uuid() }),
        body: z.object({ payloadHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
      },
    },
    async (request) => {
      const user = request.user!
      const payout = await insurance.approve(
        request.params.id,
        { id: user.id, role: user.role ?? '' },
        request.body.payloadHash,
      )
      return { payout: presentPayout(payout) }
    },
  )
}
