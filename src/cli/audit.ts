/**
 * @module `bulwark audit verify | checkpoint | prove`: the audit log's hash chain, its signed tree
 * heads, and proofs that an entry is in the log and that the log only grew since a head.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { appendAudit, verifyAuditChain } from '../platform/audit.ts'
import { auditInclusionProof, createAuditTreeHeads, verifySince } from '../platform/audit-log/tree.ts'
import {
  configuredPublicKey,
  createTreeHeadSigner,
  type SignedTreeHead,
  signedTreeHeadSchema,
} from '../platform/audit-log/tree-head.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { printJson, printJsonLine } from './output.ts'
import { type CliGroup, type CliIo, UsageError } from './types.ts'
import { defineVerb, optionalCount, required, withDb } from './verb.ts'

function readHead(file: string): SignedTreeHead {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new UsageError(`--since: cannot read ${file}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UsageError(`--since: ${file} is not JSON (expected a head from \`bulwark audit checkpoint\`)`)
  }
  const parsed = signedTreeHeadSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new UsageError(
      `--since: ${file} is not a signed tree head (${issue?.path.join('.')}: ${issue?.message})`,
    )
  }
  return parsed.data
}

function signerFor(io: CliIo) {
  return createTreeHeadSigner({
    config: loadConfig(io.env),
    clock: systemClock,
    onGenerated: (path) =>
      io.stderr(
        `Generated an audit signing key in ${path} (demo only: production sets AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE outside the data directory).\n`,
      ),
  })
}

export const auditCommands: CliGroup = {
  summary: 'The tamper-evident audit log',
  verbs: {
    verify: defineVerb({
      summary:
        'Verify the hash chain, or with --since that the log only grew since a signed head (naming the first entry that differs)',
      usage: '[--since HEAD_FILE] [--json]',
      examples: ['bulwark audit verify', 'bulwark audit verify --since heads/2026-12-01.json'],
      options: {
        since: {
          type: 'string',
          description:
            'A signed tree head kept earlier (from bulwark audit checkpoint): also prove the log only grew since it.',
          valueName: 'HEAD_FILE',
        },
        json: { type: 'boolean' },
      },
      run: ({ values }, io) => {
        const head = values.since === undefined ? undefined : readHead(values.since)
        return withDb(io, async (db) => {
          if (head) {
            const trusted = configuredPublicKey(loadConfig(io.env)) ?? undefined
            const result = await verifySince(db, head, trusted)
            await appendAudit(db, {
              actor: 'cli',
              action: 'audit.verified_since',
              target: '',
              details: result.consistent
                ? { consistent: true, from: result.from, to: result.to }
                : { consistent: false, from: result.from, seq: result.seq, problem: result.problem },
            })
            if (values.json) printJsonLine(io, result)
            else if (result.consistent) io.stdout(`${result.message}\n`)
            else
              io.stdout(
                `INCONSISTENT${result.seq === null ? '' : ` at entry ${result.seq}`} (${result.problem}): ${result.message}\n`,
              )
            return result.consistent ? 0 : 1
          }
          const result = await verifyAuditChain(db)
          if (result.intact) {
            await appendAudit(db, {
              actor: 'cli',
              action: 'audit.verified',
              target: '',
              details: { intact: true, entries: result.entries },
            })
          }
          if (values.json) printJsonLine(io, result)
          else if (result.intact)
            io.stdout(
              `intact: ${result.entries} entries${result.head ? `, head ${result.head.seq} ${result.head.hash}` : ''}\n`,
            )
          else io.stdout(`BROKEN at entry ${result.seq} (${result.problem}): ${result.message}\n`)
          return result.intact ? 0 : 1
        })
      },
    }),
    checkpoint: defineVerb({
      summary: 'Sign the current tree head and print it (or write it to FILE) as JSON, to keep for --since',
      usage: '[--out FILE]',
      examples: ['bulwark audit checkpoint --out heads/$(date +%F).json'],
      options: {
        out: {
          type: 'string',
          description: 'Write the signed head to this file instead of standard output.',
          valueName: 'FILE',
        },
      },
      run: ({ values }, io) =>
        withDb(io, async (db) => {
          const head = await createAuditTreeHeads({ db, signer: signerFor(io) }).signedHead()
          await appendAudit(db, {
            actor: 'cli',
            action: 'audit.checkpoint',
            target: '',
            details: { size: head.size, root: head.root },
          })
          if (values.out) {
            writeFileSync(values.out, `${JSON.stringify(head, null, 2)}\n`)
            io.stdout(`signed head of ${head.size} entries written to ${values.out}\n`)
          } else printJson(io, head)
          return 0
        }),
    }),
    prove: defineVerb({
      summary: 'Print the inclusion proof of one entry in the current tree (RFC 9162 §2.1.3)',
      usage: '--seq N [--size N]',
      examples: ['bulwark audit prove --seq 42'],
      options: {
        seq: { type: 'string', description: "The entry's sequence number.", valueName: 'N' },
        size: {
          type: 'string',
          description: 'Prove against the tree of this size (default: the current size).',
          valueName: 'N',
        },
      },
      run: ({ values }, io) => {
        const seq = optionalCount(required(values.seq, '--seq'), '--seq')!
        const size = optionalCount(values.size, '--size')
        return withDb(io, async (db) => {
          printJson(io, await auditInclusionProof(db, BigInt(seq), size))
          return 0
        })
      },
    }),
  },
}
