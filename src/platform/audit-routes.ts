/**
 * @module The audit log over HTTP. Staff: filter, export (JSON Lines or CSV), verify the chain,
 * inclusion and consistency proofs. Public: the signed tree head and the key that signs it (they
 * reveal only the number of entries and a hash).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { z } from 'zod'
import { appendAudit, verifyAuditChain } from './audit.ts'
import {
  auditConsistencyProof,
  auditInclusionProof,
  createAuditTreeHeads,
  verifySince,
} from './audit-log/tree.ts'
import { createTreeHeadSigner, signedTreeHeadSchema, TREE_HEAD_VERSION } from './audit-log/tree-head.ts'
import { openAuditDetails } from './audit-personal.ts'
import { loadKek } from './crypto/field-encryption.ts'
import type { Db } from './db/index.ts'
import type { DomainDeps } from './deps.ts'
import { AppError } from './errors.ts'
import { requireStaff } from './http/auth.ts'
import { emailLookups, sealsPersonalFields } from './identity/personal-fields.ts'

const filterSchema = z.object({
  action: z
    .string()
    .max(100)
    .optional()
    .describe('start of the action, any case, e.g. "p2p" or "auth.signin"'),
  actor: z
    .string()
    .max(100)
    .optional()
    .describe(
      'start of the actor ("staff:…"), their whole email, or (no DATA_KEK) the start of their email or name',
    ),
  target: z
    .string()
    .max(100)
    .optional()
    .describe(
      'start of the target ("user:…"), their whole email, or (no DATA_KEK) the start of their email or name',
    ),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
})
const entrySchema = z.object({
  seq: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
})

type Filter = z.infer<typeof filterSchema>

const likePrefix = (value: string) =>
  `${value
    .trim()
    .toLowerCase()
    .replace(/[%_\\]/g, '\\$&')}%`

/**
 * Filters forgive: every field is a case-insensitive prefix ("p2p" finds "p2p.order_released"),
 * and an actor or target may also be given as a person's email (whole), or the start of their email
 * or name while those are stored plain.
 */
function filteredQuery(db: Db, filter: Filter) {
  let query = db.selectFrom('audit_log').selectAll()
  if (filter.action) query = query.where(sql`lower(action)`, 'like', likePrefix(filter.action))
  for (const column of ['actor', 'target'] as const) {
    const value = filter[column]
    if (!value) continue
    const like = likePrefix(value)
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(${sql.ref(column)})`, 'like', like),
        eb(
          sql`split_part(${sql.ref(column)}, ':', 2)`,
          'in',
          eb
            .selectFrom('users')
            .select(sql<string>`id::text`.as('id'))
            .where((u) =>
              // A whole email is found by its lookup hash; the start of an email or name only while
              // they are stored plain (no DATA_KEK, docs/data-protection.md).
              sealsPersonalFields(db)
                ? u('email_lookup', 'in', emailLookups(db, value))
                : u.or([
                    u('email_lookup', 'in', emailLookups(db, value)),
                    u(sql`lower(email)`, 'like', like),
                    u(sql`lower(display_name)`, 'like', like),
                  ]),
            ),
        ),
      ]),
    )
  }
  if (filter.from) query = query.where('at', '>=', new Date(filter.from))
  if (filter.to) query = query.where('at', '<', new Date(filter.to))
  return query
}

/** `user:<id>`, `staff:<id>`, or a bare id (some domains log the staff id alone). */
const personRef = /^(?:(?:user|staff):)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/** Names and emails of the people an audit page mentions as actor or target, by `kind:id`. */
async function peopleOf(db: Db, refs: string[]) {
  const ids = [...new Set(refs.map((r) => personRef.exec(r)?.[1]).filter((id): id is string => !!id))]
  if (ids.length === 0) return {}
  const users = await db
    .selectFrom('users')
    .select(['id', 'email', 'display_name'])
    .where('id', 'in', ids)
    .execute()
  const byId = new Map(users.map((u) => [u.id, { name: u.display_name, email: u.email }]))
  const people: Record<string, { name: string; email: string }> = {}
  for (const ref of refs) {
    const id = personRef.exec(ref)?.[1]
    const person = id ? byId.get(id) : undefined
    if (person) people[ref] = person
  }
  return people
}

function present(row: {
  seq: bigint
  at: Date
  actor: string
  action: string
  target: string
  details: Record<string, unknown>
  prev_hash: string
  hash: string
}) {
  return {
    seq: String(row.seq),
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)

export async function auditRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const kek = loadKek(deps.config)
  const heads = createAuditTreeHeads({
    db: deps.db,
    signer: createTreeHeadSigner({
      config: deps.config,
      clock: deps.clock,
      onGenerated: (path) =>
        base.log.warn(
          { path },
          'Generated an audit signing key in the data directory (demo only): production sets AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE outside it',
        ),
    }),
  })

  app.get(
    '/api/audit/head',
    {
      schema: {
        tags: ['audit'],
        summary:
          'The signed tree head of the audit log (public: only its size and Merkle root). Keep one to check later that the log only grew',
        response: { 200: signedTreeHeadSchema },
      },
    },
    () => heads.signedHead(),
  )

  app.get(
    '/api/audit/public-key',
    {
      schema: {
        tags: ['audit'],
        summary: 'The Ed25519 public key that signs the audit tree heads (public)',
        response: {
          200: z.object({
            algorithm: z.literal('ed25519'),
            version: z.string(),
            log: z.string(),
            publicKey: hex64,
          }),
        },
      },
    },
    () => ({
      algorithm: 'ed25519' as const,
      version: TREE_HEAD_VERSION,
      log: deps.config.EXCHANGE_ID,
      publicKey: heads.publicKey(),
    }),
  )

  app.get(
    '/api/audit/inclusion',
    {
      preHandler: requireStaff('audit.read'),
      schema: {
        tags: ['audit'],
        summary:
          'Inclusion proof (RFC 9162 §2.1.3) of entry `seq` in the tree of `size` entries (default: current)',
        querystring: z.object({
          seq: z.coerce
            .bigint()
            .positive()
            .max(2n ** 53n),
          size: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        }),
        response: {
          200: z.object({
            seq: z.string(),
            leafIndex: z.number(),
            treeSize: z.number(),
            leaf: z.string(),
            leafHash: hex64,
            root: hex64,
            proof: z.array(hex64),
          }),
        },
      },
    },
    (request) => auditInclusionProof(deps.db, request.query.seq, request.query.size),
  )

  app.get(
    '/api/audit/consistency',
    {
      preHandler: requireStaff('audit.read'),
      schema: {
        tags: ['audit'],
        summary:
          'Consistency proof (RFC 9162 §2.1.4) from the tree of `from` entries to that of `to` (default: current), with the current signed head',
        querystring: z.object({
          from: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
          to: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        }),
        response: {
          200: z.object({
            from: z.number(),
            to: z.number(),
            fromRoot: hex64,
            toRoot: hex64,
            proof: z.array(hex64),
            head: signedTreeHeadSchema,
          }),
        },
      },
    },
    async (request) => {
      const head = await heads.signedHead()
      const to = request.query.to ?? head.size
      if (to > head.size) {
        throw new AppError(
          'AUDIT_TREE_SIZE_OUT_OF_RANGE',
          404,
          `The log has ${head.size} entries, fewer than ${to}.`,
        )
      }
      return { ...(await auditConsistencyProof(deps.db, request.query.from, to)), head }
    },
  )

  app.get(
    '/api/audit',
    {
      preHandler: requireStaff('audit.read'),
      schema: {
        tags: ['audit'],
        summary:
          'List audit entries, newest first, with forgiving filters; page with `before` (a seq); `people` names the actors and targets',
        querystring: filterSchema.extend({
          before: z.coerce.bigint().positive().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({
            entries: z.array(entrySchema),
            nextBefore: z.string().nullable(),
            people: z.record(z.string(), z.object({ name: z.string(), email: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const { before, limit, ...filter } = request.query
      let query = filteredQuery(deps.db, filter)
      if (before !== undefined) query = query.where('seq', '<', before)
      const rows = await query
        .orderBy('seq', 'desc')
        .limit(limit + 1)
        .execute()
      const page = rows.slice(0, limit)
      // Personal values sealed in the log are shown opened ("[shredded]" past retention); the
      // hashes stay those of the stored values, which exports and proofs carry.
      const details = await openAuditDetails({ db: deps.db, kek }, page)
      return {
        entries: page.map((row, i) => ({ ...present(row), details: details[i]! })),
        nextBefore: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
        people: await peopleOf(
          deps.db,
          page.flatMap((r) => [r.actor, r.target]),
        ),
      }
    },
  )

  app.get(
    '/api/audit/export',
    {
      preHandler: requireStaff('audit.read'),
      schema: {
        tags: ['audit'],
        summary:
          'Export matching entries, oldest first, as JSON Lines or CSV (hashes included for offline checking)',
        querystring: filterSchema.extend({ format: z.enum(['jsonl', 'csv']).default('jsonl') }),
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query
      const rows = await filteredQuery(deps.db, filter).orderBy('seq', 'asc').limit(200_000).execute()
      await appendAudit(deps.db, {
        actor: `staff:${request.user!.id}`,
        action: 'audit.exported',
        target: '',
        details: { format, filter, entries: rows.length },
      })
      const stamp = new Date().toISOString().slice(0, 10)
      reply.header('content-disposition', `attachment; filename="bulwark-audit-${stamp}.${format}"`)
      if (format === 'jsonl') {
        reply.type('application/x-ndjson; charset=utf-8')
        return rows.map((r) => JSON.stringify(present(r))).join('\n') + (rows.length ? '\n' : '')
      }
      reply.type('text/csv; charset=utf-8')
      const header = 'seq,at,actor,action,target,details,prev_hash,hash'
      const lines = rows.map((r) => {
        const p = present(r)
        return [p.seq, p.at, p.actor, p.action, p.target, JSON.stringify(p.details), p.prevHash, p.hash]
          .map(csvCell)
          .join(',')
      })
      return `${[header, ...lines].join('\n')}\n`
    },
  )

  app.post(
    '/api/audit/verify-since',
    {
      preHandler: requireStaff('audit.verify'),
      schema: {
        tags: ['audit'],
        summary:
          'Check on the server that the log only grew since an earlier signed head (as `bulwark audit verify --since`), naming the first entry that differs',
        body: z.object({ head: signedTreeHeadSchema }),
        response: {
          200: z.object({
            consistent: z.boolean(),
            from: z.number(),
            to: z.number(),
            root: z.string().optional(),
            seq: z.string().nullable().optional(),
            problem: z.enum(['signature', 'key', 'changed', 'removed', 'unknown']).optional(),
            message: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const result = await verifySince(deps.db, request.body.head, heads.publicKey())
      await appendAudit(deps.db, {
        actor: `staff:${request.user!.id}`,
        action: 'audit.verified_since',
        target: '',
        details: result.consistent
          ? { consistent: true, from: result.from, to: result.to }
          : { consistent: false, from: result.from, seq: result.seq, problem: result.problem },
      })
      return result
    },
  )

  app.post(
    '/api/audit/verify',
    {
      preHandler: requireStaff('audit.verify'),
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain: "intact", or the first entry changed, removed or reordered',
        response: {
          200: z.object({
            intact: z.boolean(),
            entries: z.number(),
            head: z.object({ seq: z.string(), hash: z.string() }).nullable().optional(),
            seq: z.string().optional(),
            problem: z.enum(['changed', 'removed', 'reordered']).optional(),
            message: z.string().optional(),
          }),
        },
      },
    },
    async (request) => {
      const result = await verifyAuditChain(deps.db)
      await appendAudit(deps.db, {
        actor: `staff:${request.user!.id}`,
        action: 'audit.verified',
        target: '',
        details: result.intact
          ? { intact: true, entries: result.entries }
          : { intact: false, seq: result.seq, problem: result.problem },
      })
      return result
    },
  )
}
