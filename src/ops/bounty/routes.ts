/**
 * @module Bug bounty HTTP API: public report submission (rate limited, confirmed by email), the
 * CVSS 4.0 calculator, the hall of fame and disclosed reports; staff triage (`/api/staff/bounty/*`).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import { cvss4Score } from './cvss4.ts'
import { type Bounty, formatCents } from './reports.ts'

const tags = ['bounty']
const idParams = z.object({ id: z.uuid() })
const statuses = ['unconfirmed', 'new', 'triaged', 'fixed', 'rewarded', 'disclosed', 'duplicate'] as const
const vectorSchema = z.string().trim().min(8).max(200)

const reportView = z.object({
  id: z.string(),
  number: z.string(),
  email: z.string(),
  handle: z.string(),
  title: z.string(),
  description: z.string(),
  affected: z.string(),
  status: z.enum(statuses),
  createdAt: z.string(),
  cvssVector: z.string().nullable(),
  cvssScore: z.number().nullable(),
  severity: z.string().nullable(),
  duplicateOf: z.string().nullable(),
  reward: z.string().nullable(),
  rewardProposedBy: z.string().nullable(),
  rewardApprovedBy: z.string().nullable(),
  disclosure: z.string().nullable(),
})

type Row = Awaited<ReturnType<Bounty['get']>>
const present = (r: Row): z.infer<typeof reportView> => ({
  id: r.id,
  number: String(r.number),
  email: r.email,
  handle: r.handle,
  title: r.title,
  description: r.description,
  affected: r.affected,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  cvssVector: r.cvss_vector,
  cvssScore: r.cvss_score_tenths === null ? null : r.cvss_score_tenths / 10,
  severity: r.severity,
  duplicateOf: r.duplicate_of,
  reward: r.reward_cents === null ? null : formatCents(BigInt(r.reward_cents)),
  rewardProposedBy: r.reward_proposed_by,
  rewardApprovedBy: r.reward_approved_by,
  disclosure: r.disclosure,
})

export async function bountyRoutes(base: FastifyInstance, deps: DomainDeps & { bounty: Bounty }) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const { bounty } = deps
  const limited = { rateLimit: { max: deps.config.OPS_PUBLIC_RATE_LIMIT_MAX, timeWindow: '1 minute' } }

  app.post(
    '/api/bounty/reports',
    {
      config: { ...limited, multilineFields: ['description'] },
      schema: {
        tags,
        summary: 'Submit a security report (no account needed; confirm it with the link we email)',
        body: z.object({
          email: z.email().max(254),
          handle: z.string().trim().min(1).max(60),
          title: z.string().trim().min(5).max(200),
          description: z.string().trim().min(20).max(20000),
          affected: z.string().trim().max(200).default(''),
        }),
        response: { 202: z.object({ message: z.string() }) },
      },
    },
    async (request, reply) => {
      await bounty.submit(request.body)
      return reply.code(202).send({ message: 'Check your email and open the link to confirm your report.' })
    },
  )

  app.post(
    '/api/bounty/reports/confirm',
    {
      config: limited,
      schema: {
        tags,
        summary: 'Confirm a report with the emailed token',
        body: z.object({ token: z.string().min(20).max(100) }),
        response: { 200: z.object({ number: z.string() }) },
      },
    },
    async (request) => bounty.confirm(request.body.token),
  )

  app.get(
    '/api/bounty/cvss',
    {
      schema: {
        tags,
        summary: 'CVSS 4.0 base score of a vector (the triage calculator)',
        querystring: z.object({ vector: vectorSchema }),
        response: {
          200: z.object({
            vector: z.string(),
            score: z.number(),
            severity: z.string(),
            macroVector: z.string(),
          }),
        },
      },
    },
    async (request) => cvss4Score(request.query.vector),
  )

  // RFC 9116: where security researchers find the policy and the report form.
  const publicUrl = (deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`).replace(/\/$/, '')
  app.get(
    '/.well-known/security.txt',
    {
      schema: {
        tags,
        summary: 'security.txt (RFC 9116): contact, policy and acknowledgments',
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => {
      const expires = new Date(deps.clock.now().getTime() + 365 * 86_400_000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
      reply.header('content-type', 'text/plain; charset=utf-8')
      return [
        `Contact: ${publicUrl}/security/report`,
        `Expires: ${expires}`,
        `Policy: ${publicUrl}/security/policy`,
        `Acknowledgments: ${publicUrl}/security/hall-of-fame`,
        'Preferred-Languages: en',
        '',
      ].join('\n')
    },
  )

  app.get(
    '/api/bounty/public',
    {
      schema: {
        tags,
        summary: 'Hall of fame (researchers by accepted reports) and disclosed reports',
        response: {
          200: z.object({
            hallOfFame: z.array(z.object({ handle: z.string(), reports: z.number() })),
            disclosed: z.array(
              z.object({
                number: z.string(),
                handle: z.string(),
                title: z.string(),
                severity: z.string().nullable(),
                cvssScore: z.number().nullable(),
                cvssVector: z.string().nullable(),
                disclosure: z.string(),
                disclosedAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const { fame, disclosed } = await bounty.publicView()
      return {
        hallOfFame: fame.map((f) => ({ handle: f.handle, reports: Number(f.reports) })),
        disclosed: disclosed.map((d) => ({
          number: String(d.number),
          handle: d.handle,
          title: d.title,
          severity: d.severity,
          cvssScore: d.cvss_score_tenths === null ? null : d.cvss_score_tenths / 10,
          cvssVector: d.cvss_vector,
          disclosure: d.disclosure ?? '',
          disclosedAt: (d.disclosed_at ?? new Date(0)).toISOString(),
        })),
      }
    },
  )

  app.get(
    '/api/staff/bounty/reports',
    {
      preHandler: requireStaff('bounty.reports.read'),
      schema: {
        tags,
        summary: 'Bounty reports by status (all = every confirmed report)',
        querystring: z.object({ status: z.enum([...statuses, 'all']).default('all') }),
        response: { 200: z.object({ reports: z.array(reportView) }) },
      },
    },
    async (request) => ({ reports: (await bounty.list(request.query.status)).map(present) }),
  )

  app.get(
    '/api/staff/bounty/reports/:id',
    {
      preHandler: requireStaff('bounty.reports.read'),
      schema: { tags, summary: 'One bounty report', params: idParams, response: { 200: reportView } },
    },
    async (request) => present(await bounty.get(request.params.id)),
  )

  app.post(
    '/api/staff/bounty/reports/:id/triage',
    {
      preHandler: requireStaff('bounty.reports.triage'),
      schema: {
        tags,
        summary: 'Triage: score with a CVSS 4.0 base vector',
        params: idParams,
        body: z.object({ vector: vectorSchema }),
        response: { 200: reportView },
      },
    },
    async (request) => present(await bounty.triage(request.user!.id, request.params.id, request.body.vector)),
  )

  app.post(
    '/api/staff/bounty/reports/:id/duplicate',
    {
      preHandler: requireStaff('bounty.reports.triage'),
      schema: {
        tags,
        summary: 'Mark as a duplicate of an earlier report',
        params: idParams,
        body: z.object({ of: z.uuid() }),
        response: { 200: reportView },
      },
    },
    async (request) =>
      present(await bounty.markDuplicate(request.user!.id, request.params.id, request.body.of)),
  )

  app.post(
    '/api/staff/bounty/reports/:id/fixed',
    {
      preHandler: requireStaff('bounty.reports.triage'),
      schema: {
        tags,
        summary: 'Mark a triaged report fixed',
        params: idParams,
        response: { 200: reportView },
      },
    },
    async (request) => present(await bounty.markFixed(request.user!.id, request.params.id)),
  )

  app.post(
    '/api/staff/bounty/reports/:id/reward',
    {
      preHandler: requireStaff('bounty.reports.triage'),
      schema: {
        tags,
        summary: 'Propose a reward in USD (another staff member approves it)',
        params: idParams,
        body: z.object({
          usd: z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'Give an amount in US dollars, e.g. 1500 or 250.50'),
        }),
        response: { 200: reportView },
      },
    },
    async (request) => {
      const [whole, fraction = ''] = request.body.usd.split('.')
      const cents = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'))
      return present(await bounty.proposeReward(request.user!.id, request.params.id, cents))
    },
  )

  app.post(
    '/api/staff/bounty/reports/:id/reward/approve',
    {
      preHandler: requireStaff('bounty.rewards.approve'),
      schema: {
        tags,
        summary: 'Approve a proposed reward (not your own proposal: four-eyes)',
        params: idParams,
        response: { 200: reportView },
      },
    },
    async (request) => present(await bounty.approveReward(request.user!.id, request.params.id)),
  )

  app.post(
    '/api/staff/bounty/reports/:id/disclose',
    {
      preHandler: requireStaff('bounty.reports.triage'),
      config: { multilineFields: ['disclosure'] },
      schema: {
        tags,
        summary: 'Disclose a fixed or rewarded report with a public write-up',
        params: idParams,
        body: z.object({ disclosure: z.string().trim().min(20).max(20000) }),
        response: { 200: reportView },
      },
    },
    async (request) =>
      present(await bounty.disclose(request.user!.id, request.params.id, request.body.disclosure)),
  )
}
