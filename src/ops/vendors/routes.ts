/**
 * @module Vendor register HTTP API (`/api/staff/vendors/*`): list with reminders, register, update
 * (back to pending), and the compliance officer's approval or rejection.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import { createVendorRegister, dataKinds } from './register.ts'

const tags = ['vendors']
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Give a date as YYYY-MM-DD')
const riskTier = z.enum(['critical', 'high', 'medium', 'low'])
const questionnaire = z.object({
  encryptsAtRest: z.boolean(),
  enforcesMfa: z.boolean(),
  hasIncidentResponsePlan: z.boolean(),
  usesSubprocessors: z.boolean(),
  breachNoticeHours: z.number().int().min(0).max(8760),
})
const vendorBody = z.object({
  name: z.string().trim().min(1).max(120),
  service: z.string().trim().min(1).max(500),
  dataAccessed: z.array(z.enum(dataKinds)).min(1).max(dataKinds.length),
  riskTier,
  questionnaire,
  certification: z.string().trim().min(1).max(120).nullable().default(null),
  certificationExpiresOn: date.nullable().default(null),
  contractExpiresOn: date,
  nextReviewOn: date,
})
const reminder = z.enum([
  'contract_expiring',
  'contract_expired',
  'certification_expiring',
  'certification_expired',
  'review_due',
])
const vendorView = vendorBody.extend({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionNote: z.string().nullable(),
  changedBy: z.string(),
  updatedAt: z.string(),
  reminders: z.array(reminder),
})
const idParams = z.object({ id: z.uuid() })
const ok = z.object({ ok: z.literal(true) })

export async function vendorRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const vendors = createVendorRegister(deps)

  app.get(
    '/api/staff/vendors',
    {
      preHandler: requireStaff('vendors.read'),
      schema: {
        tags,
        summary:
          'The vendor register, with reminders for contracts and certifications expiring within 30 days and reviews due',
        response: { 200: z.object({ vendors: z.array(vendorView) }) },
      },
    },
    async () => ({ vendors: await vendors.list() }),
  )

  app.post(
    '/api/staff/vendors',
    {
      preHandler: requireStaff('vendors.manage'),
      schema: {
        tags,
        summary: 'Register a vendor (pending until a compliance officer approves it)',
        body: vendorBody,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await vendors.register(request.user!.id, request.body)),
  )

  app.post(
    '/api/staff/vendors/:id',
    {
      preHandler: requireStaff('vendors.manage'),
      schema: {
        tags,
        summary: 'Change a vendor’s record; it goes back to pending approval',
        params: idParams,
        body: vendorBody,
        response: { 200: ok },
      },
    },
    async (request) => {
      await vendors.update(request.user!.id, request.params.id, request.body)
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/vendors/:id/decision',
    {
      preHandler: requireStaff('vendors.approve'),
      schema: {
        tags,
        summary:
          'Approve or reject a pending vendor (compliance officer; not the person who made the last change)',
        params: idParams,
        body: z.object({
          decision: z.enum(['approved', 'rejected']),
          note: z.string().trim().min(1).max(1000),
        }),
        response: { 200: ok },
      },
    },
    async (request) => {
      await vendors.decide(request.user!.id, request.params.id, request.body.decision, request.body.note)
      return { ok: true as const }
    },
  )
}
