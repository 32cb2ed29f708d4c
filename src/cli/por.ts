/**
 * @module `bulwark por …`: build a round's liabilities tree from CSV files, extract a user's proof, verify a proof
 * (naming the exact check that failed), and audit a round from its auditor package. Exit 0 ok, 1 a check failed.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assets as ledgerDecimals } from '../p2p/index.ts'
import { isAppError } from '../platform/errors.ts'
import { parseAssetsCsv } from '../por/assets.ts'
import {
  auditRound,
  buildRound,
  encodeProof,
  fromHex,
  openRound,
  parseProofFile,
  proofToJson,
  ROUND_FILES,
  ROUND_ID_FORMAT,
  ROUND_ID_PATTERN,
  readSummary,
  type VerifyResult,
  verifyProof,
} from '../por/index.ts'
import { formatReserveReport, verifyRoundReserves } from '../por/reserves/index.ts'
import { snapshotLiabilities, writeLiabilitiesCsv } from '../por/snapshot.ts'
import { printJson } from './output.ts'
import {
  chainReaders,
  challengeVerb,
  reserveRowLine,
  reservesVerb,
  verifyExternalVerb,
} from './por-reserves.ts'
import { auditZk, proveVerb, verifyZkVerb } from './por-zk.ts'
import { type CliGroup, type CliIo, UsageError } from './types.ts'
import { defineVerb, optionalCount, required, withDb } from './verb.ts'

/** Prints checks one a line, `ok  ` or `FAIL` first. */
function printChecks(io: CliIo, checks: { ok: boolean; name: string; detail: string }[]): void {
  for (const c of checks) io.stdout(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(16)} ${c.detail}\n`)
}

/** Prints a verification result check by check (or as JSON). */
function printVerify(io: CliIo, result: VerifyResult, asJson: boolean) {
  if (asJson) {
    printJson(io, result)
    return
  }
  printChecks(io, result.checks)
  if (result.ok) {
    const p = result.pieces[0]
    io.stdout(
      `\nuser ${result.userId} is included in round ${result.roundId} (root ${result.computedRoot})\n`,
    )
    if (p) {
      for (const [i, b] of p.balances.entries()) {
        if (b.equity !== 0n || b.debt !== 0n) {
          io.stdout(`  ${result.totals[i]?.symbol ?? `#${i}`}: equity ${b.equity} debt ${b.debt}\n`)
        }
      }
    }
  } else {
    io.stdout(`\nINVALID: ${result.failed?.detail}\n`)
  }
}

/** Fails a result that was checked against no trusted root, saying what to give. */
function withoutTrustedRoot(result: VerifyResult): VerifyResult {
  const missing = {
    name: 'published-root',
    ok: false,
    detail:
      'no trusted root: give --root HEX (the root the exchange published for this round) or --round DIR ' +
      '(the published round.json); the root inside a proof file proves nothing by itself',
  }
  return { ...result, ok: false, checks: [...result.checks, missing], failed: result.failed ?? missing }
}

export const porCommands: CliGroup = {
  summary: 'Proof of reserves: liabilities tree, user proofs, verification and audit',
  verbs: {
    challenge: challengeVerb,
    reserves: reservesVerb,
    'verify-external': verifyExternalVerb,
    prove: proveVerb,
    'verify-zk': verifyZkVerb,
    build: defineVerb({
      summary: 'Build a round from a liabilities snapshot and an assets file',
      usage:
        '--liabilities L.csv --assets A.csv --out DIR [--round-id ID] [--reserves R.csv --challenge C.json] [--depth N] [--split N] ' +
        '[--no-shuffle] [--exempt FILE] [--workers N] [--json]',
      examples: ['bulwark por build --liabilities liabilities.csv --assets assets.csv --out rounds/2026-12'],
      options: {
        liabilities: {
          type: 'string',
          description: 'CSV of customer balances: user id and one column per asset, in smallest units.',
          valueName: 'L.csv',
        },
        assets: {
          type: 'string',
          description: "CSV of the round's assets with their decimals.",
          valueName: 'A.csv',
        },
        reserves: {
          type: 'string',
          description:
            'Reserves CSV (addresses, signatures, balances) to verify and publish beside the liabilities.',
          valueName: 'R.csv',
        },
        challenge: {
          type: 'string',
          description: "The round's reserve challenge (from bulwark por challenge), needed with --reserves.",
          valueName: 'C.json',
        },
        out: {
          type: 'string',
          description: 'The round directory to write (tree, root, auditor package).',
          valueName: 'DIR',
        },
        'round-id': {
          type: 'string',
          description: "The round's id (default: derived from the snapshot time).",
          valueName: 'ID',
        },
        depth: {
          type: 'string',
          description: 'Tree depth (default: the smallest that fits the users).',
          valueName: 'N',
        },
        split: {
          type: 'string',
          description: 'Split the tree into this many chunks for parallel hashing.',
          valueName: 'N',
        },
        'no-shuffle': {
          type: 'boolean',
          description:
            'Keep the CSV order of leaves instead of shuffling them (tests only: the order leaks information).',
        },
        exempt: {
          type: 'string',
          description: 'File of reserve exemptions recorded for this round.',
          valueName: 'FILE',
        },
        workers: {
          type: 'string',
          description: 'Worker threads for hashing (default: the number of cores).',
          valueName: 'N',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const outDir = required(values.out, '--out')
        const roundId = values['round-id'] ?? new Date().toISOString().slice(0, 7)
        if (!ROUND_ID_PATTERN.test(roundId)) throw new UsageError(`--round-id: ${ROUND_ID_FORMAT}`)
        const exemptions = values.exempt
          ? readFileSync(values.exempt, 'utf8')
              .split('\n')
              .map((l) => l.replace(/#.*/, '').trim())
              .filter(Boolean)
          : []
        const depth = optionalCount(values.depth, '--depth')
        const split = optionalCount(values.split, '--split')
        const workers = optionalCount(values.workers, '--workers')
        let lastShown = ''
        try {
          const result = await buildRound({
            liabilitiesPath: required(values.liabilities, '--liabilities'),
            assetsPath: required(values.assets, '--assets'),
            outDir,
            roundId,
            roundSecret: crypto.getRandomValues(new Uint8Array(32)),
            exemptions,
            shuffle: !values['no-shuffle'],
            ...(depth === undefined ? {} : { depth }),
            ...(split === undefined ? {} : { split }),
            ...(workers === undefined ? {} : { workers }),
            onProgress: (phase, done, total) => {
              if (values.json) return
              const shown = `${phase} ${Math.floor((100 * done) / Math.max(1, total))}%`
              if (shown !== lastShown) io.stderr(`\r${shown}   `)
              lastShown = shown
            },
          })
          // Reserves travel with the round so the auditor package is complete (`bulwark por audit DIR`).
          if (values.reserves) copyFileSync(values.reserves, join(outDir, 'reserves.csv'))
          if (values.challenge) copyFileSync(values.challenge, join(outDir, 'challenge.json'))
          if (!values.json) io.stderr('\n')
          if (values.json) printJson(io, { ok: true, ...result })
          else {
            const s = result.summary
            io.stdout(
              `round ${s.roundId}: ${result.users} users, ${result.leaves} leaves, depth ${s.depth}\n`,
            )
            io.stdout(`root ${s.root}\n`)
            for (const t of s.totals) io.stdout(`  ${t.symbol.padEnd(8)} equity ${t.equity} debt ${t.debt}\n`)
            const p = result.phasesMs
            io.stdout(
              `import ${p.import.toFixed(0)} ms, leaves ${p.leaves.toFixed(0)} ms, tree ${p.tree.toFixed(0)} ms\n`,
            )
            if (result.exemptedUndercollateralised.length > 0) {
              io.stdout(`recorded exemptions used: ${result.exemptedUndercollateralised.join(', ')}\n`)
            }
          }
          return 0
        } catch (e) {
          if (!isAppError(e) || !values.json) throw e
          printJson(io, { ok: false, code: e.code, message: e.message, details: e.details })
          return 1
        }
      },
    }),
    snapshot: defineVerb({
      summary: "Write the round's liabilities CSV from the custody ledger at one consistent point",
      usage: '--out L.csv [--assets A.csv] [--json]',
      description:
        "Reads every customer's available + locked + pending_withdrawal + held_deposit balance per asset in one " +
        'REPEATABLE READ transaction and writes the liabilities CSV that bulwark por build --liabilities reads. ' +
        "With --assets, the columns are that file's assets at its decimals (finer ledger amounts are rounded up, " +
        'never down) and an asset customers hold that the file leaves out is refused.',
      examples: [
        'bulwark por snapshot --out liabilities.csv --assets assets.csv',
        'bulwark por snapshot --out liabilities.csv --json',
      ],
      exitCodes: '1 the assets file leaves out an asset customers hold (POR_SNAPSHOT_ASSET_MISSING)',
      options: {
        out: {
          type: 'string',
          description: 'The liabilities CSV to write (user_id and one column per asset, in whole units).',
          valueName: 'L.csv',
        },
        assets: {
          type: 'string',
          description: "The round's assets CSV: its assets become the columns, at its decimals.",
          valueName: 'A.csv',
        },
        json: { type: 'boolean', description: 'Print the result as one JSON object.' },
      },
      async run({ values }, io) {
        const out = required(values.out, '--out')
        let assets: ReturnType<typeof parseAssetsCsv>['assets'] | undefined
        if (values.assets) {
          const parsed = parseAssetsCsv(readFileSync(values.assets, 'utf8'), values.assets)
          const first = parsed.issues[0]
          if (first) throw new UsageError(`--assets: ${first.file} line ${first.line}: ${first.message}`)
          assets = parsed.assets
        }
        try {
          const snapshot = await withDb(io, (db) =>
            snapshotLiabilities(db, { ledgerDecimals, ...(assets ? { assets } : {}) }),
          )
          const { roundedUp } = await writeLiabilitiesCsv(out, snapshot)
          const result = {
            ok: true,
            file: out,
            at: snapshot.at.toISOString(),
            users: snapshot.users.length,
            assets: snapshot.assets.map((a) => a.symbol),
            roundedUp,
          }
          if (values.json) printJson(io, result)
          else {
            io.stdout(
              `wrote ${out}: ${result.users} customers, assets ${result.assets.join(', ') || '(none)'}, ledger at ${result.at}\n`,
            )
            if (roundedUp > 0) io.stdout(`${roundedUp} amounts rounded up to the assets file's decimals\n`)
          }
          return 0
        } catch (e) {
          if (!isAppError(e)) throw e
          if (values.json) printJson(io, { ok: false, code: e.code, message: e.message, details: e.details })
          else io.stderr(`${e.message}\n`)
          return 1
        }
      },
    }),
    proof: defineVerb({
      summary: "Extract a user's inclusion proof from a round directory",
      usage: '--round DIR --user ID [--out FILE] [--json]',
      examples: ['bulwark por proof --round rounds/2026-12 --user u-1042 --out proof.json'],
      options: {
        round: {
          type: 'string',
          description: 'The round directory written by bulwark por build.',
          valueName: 'DIR',
        },
        user: { type: 'string', description: "The user's id in the liabilities CSV.", valueName: 'ID' },
        out: {
          type: 'string',
          description: 'Write the proof to this file instead of standard output.',
          valueName: 'FILE',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const round = openRound(required(values.round, '--round'))
        try {
          const proof = round.proof(required(values.user, '--user'))
          if (values.out) {
            const bytes = encodeProof(proof)
            writeFileSync(values.out, bytes)
            if (values.json)
              printJson(io, { ok: true, file: values.out, bytes: bytes.length, root: round.summary.root })
            else io.stdout(`wrote ${values.out} (${bytes.length} bytes)\n`)
          } else {
            printJson(io, proofToJson(proof))
          }
          return 0
        } finally {
          round.close()
        }
      },
    }),
    verify: defineVerb({
      summary:
        'Verify a proof file (binary or JSON) against the published root (--root) or round (--round); without one it fails',
      usage: '--proof FILE (--round DIR | --root HEX) [--json]',
      examples: ['bulwark por verify --proof proof.json --root 0x3f…'],
      options: {
        proof: {
          type: 'string',
          description: 'The proof file (JSON or binary) a customer downloaded.',
          valueName: 'FILE',
        },
        round: {
          type: 'string',
          description: "Verify against this round directory's published root.",
          valueName: 'DIR',
        },
        root: {
          type: 'string',
          description: 'Verify against this published root (hex); without --root or --round the check fails.',
          valueName: 'HEX',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        let proof: ReturnType<typeof parseProofFile>
        try {
          proof = parseProofFile(readFileSync(required(values.proof, '--proof')))
        } catch (e) {
          if (e instanceof UsageError) throw e
          const check = { name: 'format', ok: false, detail: (e as Error).message }
          if (values.json) printJson(io, { ok: false, checks: [check], failed: check })
          else io.stdout(`FAIL format           ${check.detail}\n`)
          return 1
        }
        if (values.root && !/^[0-9a-fA-F]{64}$/.test(values.root))
          throw new UsageError('--root must be 64 hex digits')
        let result: VerifyResult
        if (values.round) {
          const summary = readSummary(values.round)
          // With the tree files (operator's round or auditor package) the verifier can name the exact level;
          // with round.json alone it compares the root and totals.
          const round = existsSync(join(values.round, ROUND_FILES.leaves))
            ? openRound(values.round)
            : undefined
          result = verifyProof(proof, {
            expectedRoot: fromHex(summary.root),
            publishedTotals: summary.totals.map((t) => ({
              ...t,
              equity: BigInt(t.equity),
              debt: BigInt(t.debt),
            })),
            ...(round ? { reference: round.node } : {}),
          })
          round?.close()
        } else {
          result = verifyProof(proof, values.root ? { expectedRoot: fromHex(values.root) } : {})
          // A proof names its own root, so anyone can forge a self-consistent one: without a root the
          // exchange published, nothing was verified.
          if (!values.root) result = withoutTrustedRoot(result)
        }
        printVerify(io, result, values.json ?? false)
        return result.ok ? 0 : 1
      },
    }),
    audit: defineVerb({
      summary:
        'Recompute a round from its auditor package and, given its reserves file and challenge, re-verify every ' +
        'reserve signature and balance on chain',
      usage:
        'DIR [--reserves R.csv --challenge C.json] [--rpc CHAIN=URL …] [--esplora CHAIN=URL …] ' +
        '[--zk-setup FILE --exchange ID] [--json]',
      examples: [
        'bulwark por audit rounds/2026-12/auditor-package --reserves reserves.csv --challenge challenge.json --rpc ethereum=http://127.0.0.1:8545',
      ],
      options: {
        json: { type: 'boolean' },
        'zk-setup': {
          type: 'string',
          valueName: 'FILE',
          description:
            "The setup file of the round's zk proofs: with DIR/zk present, the chain and every batch proof are verified.",
        },
        exchange: {
          type: 'string',
          valueName: 'ID',
          description: 'The exchange id the zk proofs must be bound to.',
        },
        reserves: {
          type: 'string',
          description: "The round's reserves CSV, to re-verify every signature and balance.",
          valueName: 'R.csv',
        },
        challenge: {
          type: 'string',
          description: "The round's reserve challenge, needed with --reserves.",
          valueName: 'C.json',
        },
        rpc: {
          type: 'string',
          multiple: true,
          description: 'A JSON-RPC endpoint per EVM chain for balances at the snapshot, as CHAIN=URL.',
          valueName: 'CHAIN=URL',
        },
        esplora: {
          type: 'string',
          multiple: true,
          description: 'An Esplora API per Bitcoin-like chain, as CHAIN=URL.',
          valueName: 'CHAIN=URL',
        },
      },
      positionals: true,
      async run({ values, positionals }, io) {
        const dir = required(positionals[0], 'DIR')
        const report = auditRound(dir)
        // Reserves: explicit flags, else the files of the package when present.
        const reservesFile =
          values.reserves ?? (existsSync(join(dir, 'reserves.csv')) ? join(dir, 'reserves.csv') : '')
        const challengeFile =
          values.challenge ?? (existsSync(join(dir, 'challenge.json')) ? join(dir, 'challenge.json') : '')
        let reserves: Awaited<ReturnType<typeof verifyRoundReserves>> | undefined
        if (reservesFile && challengeFile) {
          const { evm, esplora } = chainReaders(values.rpc, values.esplora)
          reserves = await verifyRoundReserves({
            roundDir: dir,
            reservesFile,
            challengeFile,
            evm,
            esplora,
            auditor: true,
          })
        } else if (reservesFile || challengeFile) {
          throw new UsageError('reserves need both a reserves file and its challenge')
        }
        const zk = await auditZk(dir, values.exchange, values['zk-setup'])
        const ok = report.ok && (reserves?.ok ?? true) && (zk?.ok ?? true)
        if (values.json) {
          printJson(io, {
            ok,
            liabilities: report,
            ...(zk ? { zk } : {}),
            ...(reserves
              ? { reserves: { ok: reserves.ok, rows: reserves.verification.rows, report: reserves.report } }
              : {}),
          })
        } else {
          printChecks(io, report.checks)
          if (zk)
            printChecks(
              io,
              zk.checks.map((c) => ({ ...c, name: `zk ${c.name}` })),
            )
          if (reserves) {
            for (const r of reserves.verification.rows) io.stdout(reserveRowLine(r, 'reserve line'))
            io.stdout(`\n${formatReserveReport(reserves.report)}\n`)
          } else {
            io.stdout('(no reserves file and challenge in the package: liabilities only)\n')
          }
          io.stdout(
            ok ? `\nround ${report.roundId}: audit passed\n` : `\nround ${report.roundId}: AUDIT FAILED\n`,
          )
        }
        return ok ? 0 : 1
      },
    }),
  },
}
