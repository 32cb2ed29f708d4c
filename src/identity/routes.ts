/**
 * @module The identity HTTP API: a customer submits and reads their verification; compliance
 * staff work the review queue (images, fields, scores, reasons) and decide with a note. Images are
 * purged after the retention period by an hourly sweep.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { loadKek } from '../platform/crypto/field-encryption.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { AppError } from '../platform/errors.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { createFaceWorker } from './face/pool.ts'
import { createLivenessChallenges, LIVENESS_LIMITS } from './liveness/challenges.ts'
import { createMrzOcr } from './ocr.ts'
import {
  customerVerificationSchema,
  decisionSchema,
  livenessAnswerSchema,
  livenessChallengeSchema,
  livenessStepSchema,
  staffVerificationSchema,
  submitSchema,
} from './schema.ts'
import { createIdentitySealer } from './sealing.ts'
import { createIdentityVerifications, type MrzReader } from './verifications.ts'

export type IdentityRouteDeps = DomainDeps & { identityMrzReader?: MrzReader }

const tags = ['identity']
const PURGE_SWEEP_MS = 3_600_000

export async function identityRoutes(base: FastifyInstance, deps: IdentityRouteDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  // The OCR worker starts on the first submission and stops with the server.
  const ocr = deps.identityMrzReader ? null : createMrzOcr()
  base.addHook('onClose', async () => ocr?.close())
  // The face worker starts on the first submission (IDENTITY_FACES, docs/identity.md).
  const faces = deps.config.IDENTITY_FACES ? createFaceWorker() : null
  base.addHook('onClose', async () => faces?.close())
  const sealer = createIdentitySealer(deps.config.IDENTITY_SEALING_KEY, deps.config.EXCHANGE_ID)
  // The head-turn check runs only with faces on; its frames are scanned by the same face worker.
  const liveness = faces
    ? createLivenessChallenges({
        db: deps.db,
        clock: deps.clock,
        sealer,
        faces,
        acceptCameras: deps.config.IDENTITY_LIVENESS_ACCEPT_CAMERAS,
      })
    : null
  const identity = createIdentityVerifications({
    db: deps.db,
    clock: deps.clock,
    events: deps.events,
    sealer,
    minimumAge: deps.config.IDENTITY_MINIMUM_AGE,
    retentionDays: deps.config.IDENTITY_IMAGE_RETENTION_DAYS,
    kek: loadKek(deps.config),
    mrzReader: deps.identityMrzReader ?? ((image) => ocr!.read(image)),
    ...(faces ? { faces } : {}),
    ...(liveness ? { liveness } : {}),
  })
  const me = (request: { user: { id: string } | null }) => request.user!.id

  const sweep = setInterval(() => {
    identity
      .purgeExpiredImages()
      .catch((error: unknown) => base.log.error({ err: error }, 'identity image purge failed'))
  }, PURGE_SWEEP_MS)
  sweep.unref()
  base.addHook('onClose', async () => clearInterval(sweep))

  app.post(
    '/api/identity/verifications',
    {
      preHandler: requireCustomer,
      bodyLimit: deps.config.IDENTITY_UPLOAD_MAX_BYTES,
      // Submissions are costly (sealing, OCR): the sign-in budget per minute. The MRZ is 2-3 lines.
      config: {
        rateLimit: { max: deps.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' },
        multilineFields: ['mrz'],
      },
      schema: {
        tags,
        summary: 'Submit my identity document photo, its MRZ lines and a selfie for verification',
        body: submitSchema,
        response: { 200: z.object({ verification: customerVerificationSchema }) },
      },
    },
    async (request) => {
      const { document, selfie, mrz, visual, livenessChallengeId } = request.body
      const verification = await identity.submit({
        userId: me(request),
        document: { contentType: document.contentType, bytes: Buffer.from(document.data, 'base64') },
        selfie: { contentType: selfie.contentType, bytes: Buffer.from(selfie.data, 'base64') },
        ...(mrz === undefined ? {} : { mrz }),
        visual: Object.fromEntries(Object.entries(visual).filter(([, v]) => v !== undefined)),
        ...(livenessChallengeId === undefined ? {} : { livenessChallengeId }),
      })
      return { verification }
    },
  )

  app.get(
    '/api/identity/liveness',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary:
          'Whether the head-turn liveness check is on (IDENTITY_FACES), and my open check that no step was sent for yet',
        response: {
          200: z.object({ enabled: z.boolean(), challenge: livenessChallengeSchema.nullable() }),
        },
      },
    },
    async (request) => ({
      enabled: liveness !== null,
      challenge: liveness ? await liveness.open(me(request)) : null,
    }),
  )

  const livenessOff = () =>
    new AppError(
      'IDENTITY_LIVENESS_OFF',
      404,
      'The head-turn check is not used on this exchange: send your verification without it.',
    )

  app.post(
    '/api/identity/liveness/challenges',
    {
      preHandler: requireCustomer,
      // Each challenge costs face scans: the sign-in budget per minute, and 10 per customer per day.
      config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary:
          'Start a head-turn liveness check: a random order of head turns, valid 10 minutes, used once (audit-logged)',
        response: { 200: z.object({ challenge: livenessChallengeSchema }) },
      },
    },
    async (request) => {
      if (!liveness) throw livenessOff()
      return { challenge: await liveness.issue(me(request)) }
    },
  )

  app.post(
    '/api/identity/liveness/challenges/:id/steps/:index',
    {
      preHandler: requireCustomer,
      bodyLimit: LIVENESS_LIMITS.maxFrames * 170_000,
      config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT_MAX * 6, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary:
          'Send the camera frames of one step of my head-turn check (3-8 JPEGs of at most 120 kB); the server scans them and answers for this step',
        params: z.object({
          id: z.uuid({ message: 'expected an id (UUID)' }),
          index: z.coerce.number().int().min(0).max(10),
        }),
        body: livenessStepSchema,
        response: { 200: z.object({ answer: livenessAnswerSchema }) },
      },
    },
    async (request) => {
      if (!liveness) throw livenessOff()
      // The schema caps each frame at 160,000 base64 characters, i.e. LIVENESS_LIMITS.maxFrameBytes.
      const frames = request.body.frames.map((f) => ({ bytes: Buffer.from(f.data, 'base64'), at: f.at }))
      const answer = await liveness.answerStep(me(request), request.params.id, request.params.index, {
        frames,
        ...(request.body.cameraLabel === undefined ? {} : { cameraLabel: request.body.cameraLabel }),
      })
      return { answer }
    },
  )

  app.get(
    '/api/identity/verification',
    {
      preHandler: requireCustomer,
      schema: {
        tags,
        summary: 'My latest identity verification and its result',
        response: { 200: z.object({ verification: customerVerificationSchema.nullable() }) },
      },
    },
    async (request) => ({ verification: await identity.latest(me(request)) }),
  )

  app.get(
    '/api/identity/staff/verifications',
    {
      preHandler: requireStaff('identity.review'),
      schema: {
        tags,
        summary:
          'The identity review queue (or decided verifications by status); with documentNumber, every verification of that document (keyed-hash lookup, needs DATA_KEK)',
        querystring: z.object({
          status: z.enum(['approved', 'rejected', 'review']).default('review'),
          documentNumber: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9<]{1,30}$/, 'A document number is 1-30 letters and digits')
            .optional(),
        }),
        response: { 200: z.object({ verifications: z.array(staffVerificationSchema) }) },
      },
    },
    async (request) => ({
      verifications: await identity.list(
        request.query.status,
        request.query.documentNumber === undefined ? {} : { documentNumber: request.query.documentNumber },
      ),
    }),
  )

  app.get(
    '/api/identity/staff/verifications/:id/images/:kind',
    {
      preHandler: requireStaff('identity.review'),
      schema: {
        tags,
        summary: 'A verification image (document or selfie), decrypted for the reviewer; audit-logged',
        params: z.object({
          id: z.uuid({ message: 'expected an id (UUID)' }),
          kind: z.enum(['document', 'selfie']),
        }),
      },
    },
    async (request, reply) => {
      const image = await identity.image(me(request), request.params.id, request.params.kind)
      reply.header('content-type', image.contentType)
      reply.header('cache-control', 'no-store')
      reply.header('x-content-type-options', 'nosniff')
      return reply.send(Buffer.from(image.bytes))
    },
  )

  app.post(
    '/api/identity/staff/verifications/:id/decision',
    {
      preHandler: requireStaff('identity.review'),
      schema: {
        tags,
        summary: 'Approve or reject a verification waiting for review, with a note (audit-logged)',
        params: z.object({ id: z.uuid({ message: 'expected an id (UUID)' }) }),
        body: decisionSchema,
        response: { 200: z.object({ status: z.enum(['approved', 'rejected']) }) },
      },
    },
    async (request) => ({
      status: await identity.decide(me(request), request.params.id, request.body),
    }),
  )
}
