/**
 * @module Staff training HTTP API: modules and quiz attempts (`/api/staff/training/*`), completion
 * per role, phishing drills and their results, and the two public drill links
 * (`POST /api/training/drills/click|report` with the token, called by the web pages the drill email
 * links to: `/training/drill/clicked#<token>`, `/training/drill/reported#<token>`). The gate
 * (gate.ts) is installed by app.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import { staffRoles } from '../../platform/rbac.ts'
import { createDrills } from './drills.ts'
import { createTraining } from './training.ts'

const tags = ['training']
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Give a date as YYYY-MM-DD')
const question = z.object({
  prompt: z.string().trim().min(1).max(500),
  choices: z.array(z.string().trim().min(1).max(200)).min(2).max(6),
  answer: z.number().int().min(0).max(5),
})
const moduleBody = z.object({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(20000),
  quiz: z.array(question).min(1).max(20),
  passMark: z.number().int().min(1).max(100).describe('percent of right answers needed to pass'),
  due: z
    .array(z.object({ role: z.enum(staffRoles), dueOn: date }))
    .max(staffRoles.length)
    .refine((d) => new Set(d.map((x) => x.role)).size === d.length, 'Give each role at most one due date'),
})
const idParams = z.object({ id: z.uuid() })
const tokenBody = z.object({ token: z.string().min(1).max(100) })
const linkAnswer = z.object({ message: z.string() })

export async function trainingRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const training = createTraining(deps)
  const publicUrl = (deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`).replace(/\/$/, '')
  const drills = createDrills({ db: deps.db, clock: deps.clock, mailer: deps.mailer, publicUrl })

  app.get(
    '/api/staff/training/modules',
    {
      preHandler: requireStaff('training.take'),
      schema: {
        tags,
        summary: 'The training modules due for my role, with my status (due, overdue, passed); no answers',
        response: {
          200: z.object({
            modules: z.array(
              z.object({
                id: z.string(),
                title: z.string(),
                body: z.string(),
                passMark: z.number(),
                dueOn: z.string(),
                status: z.enum(['due', 'overdue', 'passed']),
                questions: z.array(z.object({ prompt: z.string(), choices: z.array(z.string()) })),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ modules: await training.mine(request.user!.id, request.user!.role ?? '') }),
  )

  app.post(
    '/api/staff/training/modules',
    {
      preHandler: requireStaff('training.manage'),
      schema: {
        tags,
        summary:
          'Create a training module: text, quiz (0-based right answer per question), pass mark, due date per role',
        body: moduleBody,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await training.create(request.user!.id, request.body)),
  )

  app.get(
    '/api/staff/training/modules/all',
    {
      preHandler: requireStaff('training.manage'),
      schema: {
        tags,
        summary:
          'Every training module for its authors: text, quiz with the right answers, due date per role',
        response: {
          200: z.object({
            modules: z.array(
              z.object({
                id: z.string(),
                title: z.string(),
                body: z.string(),
                quiz: z.array(
                  z.object({ prompt: z.string(), choices: z.array(z.string()), answer: z.number() }),
                ),
                passMark: z.number(),
                due: z.array(z.object({ role: z.string(), dueOn: z.string() })),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ modules: await training.all() }),
  )

  app.put(
    '/api/staff/training/modules/:id',
    {
      preHandler: requireStaff('training.manage'),
      schema: {
        tags,
        summary:
          'Edit a training module: text, quiz, pass mark and due date per role (passes already made stay)',
        params: idParams,
        body: moduleBody,
        response: { 200: z.object({ id: z.string() }) },
      },
    },
    async (request) => training.update(request.user!.id, request.params.id, request.body),
  )

  app.post(
    '/api/staff/training/modules/:id/attempts',
    {
      preHandler: requireStaff('training.take'),
      schema: {
        tags,
        summary: 'Answer a module’s quiz (0-based choice per question); scored on the server',
        params: idParams,
        body: z.object({ answers: z.array(z.number().int().min(0).max(5)).min(1).max(20) }),
        response: { 200: z.object({ score: z.number(), passMark: z.number(), passed: z.boolean() }) },
      },
    },
    async (request) =>
      training.attempt(request.user!.id, request.user!.role ?? '', request.params.id, request.body.answers),
  )

  app.get(
    '/api/staff/training/completion',
    {
      preHandler: requireStaff('training.read'),
      schema: {
        tags,
        summary: 'Per role: active staff, modules due, staff who passed them all, staff overdue',
        response: {
          200: z.object({
            roles: z.array(
              z.object({
                role: z.string(),
                staff: z.number(),
                modules: z.number(),
                complete: z.number(),
                overdue: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ roles: await training.completionByRole() }),
  )

  app.post(
    '/api/staff/training/drills',
    {
      preHandler: requireStaff('training.manage'),
      schema: {
        tags,
        summary: `Send a simulated phishing email to chosen staff (header X-Bulwark-Drill: <drill id>)`,
        body: z.object({
          subject: z.string().trim().min(1).max(200),
          staffIds: z.array(z.uuid()).min(1).max(500),
        }),
        response: { 201: z.object({ id: z.string(), recipients: z.number() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await drills.send(request.user!.id, request.body)),
  )

  app.get(
    '/api/staff/training/drills/:id',
    {
      preHandler: requireStaff('training.read'),
      schema: {
        tags,
        summary: 'Who received a drill, who clicked its link and who reported it',
        params: idParams,
        response: {
          200: z.object({
            id: z.string(),
            subject: z.string(),
            sentAt: z.string(),
            recipients: z.array(
              z.object({
                staffId: z.string(),
                name: z.string(),
                role: z.string(),
                clickedAt: z.string().nullable(),
                reportedAt: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => drills.results(request.params.id),
  )

  app.post(
    '/api/training/drills/click',
    {
      schema: {
        tags,
        summary: 'Records a click on a drill email’s lure (called by the page the link opens)',
        body: tokenBody,
        response: { 200: linkAnswer },
      },
    },
    async (request) => {
      await drills.record('clicked', request.body.token)
      return {
        message:
          'This was a Bulwark phishing drill. Nothing happened, but a real attacker would now have you. Next time, use the "report phishing" link instead.',
      }
    },
  )

  app.post(
    '/api/training/drills/report',
    {
      schema: {
        tags,
        summary: 'Records a drill email reported as phishing (called by the page its report link opens)',
        body: tokenBody,
        response: { 200: linkAnswer },
      },
    },
    async (request) => {
      await drills.record('reported', request.body.token)
      return { message: 'Well spotted: this was a Bulwark phishing drill, and your report is recorded.' }
    },
  )
}
