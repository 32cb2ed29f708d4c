/**
 * @module `bulwark por challenge | reserves | verify-external`: draw a round's reserve challenge,
 * verify a reserves CSV (signatures, balances at the snapshot, per-asset ratio against the round's
 * liabilities), and verify proof files published by other exchanges. Exit 0 ok, 1 a check failed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createPublicClient, http } from 'viem'
import { formatExternalResult, verifyExternalFiles } from '../por/external/index.ts'
import {
  challengeMessage,
  createChallenge,
  type EsploraClient,
  type EvmReader,
  formatReserveReport,
  loadChallenge,
  loadReserves,
  type ReserveReportRow,
  type ReserveRowResult,
  type ReservesVerification,
  reserveReport,
  verifyReserves,
  verifyRoundReserves,
} from '../por/reserves/index.ts'
import { namedValues, printJson } from './output.ts'
import type { CliIo } from './types.ts'
import { UsageError } from './types.ts'
import { defineVerb } from './verb.ts'

/** The chain readers named by repeated `--rpc CHAIN=URL` and `--esplora CHAIN=URL` flags. */
export function chainReaders(
  rpc: string[] | undefined,
  esploraUrls: string[] | undefined,
): { evm: Record<string, EvmReader>; esplora: Record<string, EsploraClient> } {
  const evm: Record<string, EvmReader> = {}
  for (const [chain, url] of Object.entries(namedValues(rpc, '--rpc'))) {
    evm[chain] = createPublicClient({ transport: http(url) })
  }
  const esplora: Record<string, EsploraClient> = {}
  for (const [chain, baseUrl] of Object.entries(namedValues(esploraUrls, '--esplora')))
    esplora[chain] = { baseUrl }
  return { evm, esplora }
}

/** One verified reserve row, `ok  ` or `FAIL` first, as the reserves and audit verbs print it. */
export function reserveRowLine(r: ReserveRowResult, label: string): string {
  const status = r.ownership.ok ? 'ok  ' : 'FAIL'
  const why = r.ownership.ok ? r.ownership.detail : r.ownership.reason
  return `${status} ${label} ${r.line} ${r.chain} ${r.address} ${r.asset}: ${why} [balance: ${r.balanceSource}]\n`
}

export const challengeVerb = defineVerb({
  summary: 'Draw the reserve challenge of a round (the text every reserve address signs)',
  usage: '--exchange ID --round ID --snapshot CHAIN=HEIGHT [--snapshot …] [--out FILE] [--json]',
  examples: [
    'bulwark por challenge --exchange bulwark-demo --round 2026-12 --snapshot ethereum=21000000 --out challenge.json',
  ],
  options: {
    exchange: { type: 'string', description: "This exchange's identifier (EXCHANGE_ID).", valueName: 'ID' },
    round: { type: 'string', description: "The round's id.", valueName: 'ID' },
    snapshot: {
      type: 'string',
      multiple: true,
      description: 'The snapshot block height per chain, as CHAIN=HEIGHT.',
      valueName: 'CHAIN=HEIGHT',
    },
    out: {
      type: 'string',
      description: 'Write the challenge to this file instead of standard output.',
      valueName: 'FILE',
    },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    if (!values.exchange || !values.round) throw new UsageError('--exchange and --round are required')
    const snapshots: Record<string, number> = {}
    for (const [chain, height] of Object.entries(namedValues(values.snapshot, '--snapshot'))) {
      if (!/^\d+$/.test(height)) throw new UsageError(`--snapshot ${chain}= needs a block height`)
      snapshots[chain] = Number(height)
    }
    if (Object.keys(snapshots).length === 0)
      throw new UsageError('at least one --snapshot CHAIN=HEIGHT is required')
    const challenge = createChallenge({ exchange: values.exchange, round: values.round, snapshots })
    if (values.out) writeFileSync(values.out, `${JSON.stringify(challenge, null, 2)}\n`)
    if (values.json) printJson(io, { challenge, message: challengeMessage(challenge) })
    else io.stdout(`${challengeMessage(challenge)}\n`)
    return 0
  },
})

export const reservesVerb = defineVerb({
  summary:
    'Verify a reserves CSV for a round: ownership signatures, balances at the snapshot, ratio per asset',
  usage:
    '--reserves R.csv --challenge C.json (--round DIR | --assets A.csv) [--rpc CHAIN=URL …] ' +
    '[--esplora CHAIN=URL …] [--auditor] [--json]',
  examples: [
    'bulwark por reserves --reserves reserves.csv --challenge challenge.json --round rounds/2026-12 --rpc ethereum=http://127.0.0.1:8545',
  ],
  options: {
    reserves: {
      type: 'string',
      description: 'The reserves CSV: chain, address, asset, balance, signature.',
      valueName: 'R.csv',
    },
    challenge: {
      type: 'string',
      description: "The round's challenge every address signed.",
      valueName: 'C.json',
    },
    round: {
      type: 'string',
      description: 'The round directory, for its liabilities per asset.',
      valueName: 'DIR',
    },
    assets: {
      type: 'string',
      description: 'The assets CSV when no round directory is given.',
      valueName: 'A.csv',
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
    auditor: {
      type: 'boolean',
      description: 'Auditor mode: every balance must be checked on chain (no declared balances).',
    },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    if (!values.reserves || !values.challenge) throw new UsageError('--reserves and --challenge are required')
    if (!values.round && !values.assets) {
      throw new UsageError('--round DIR or --assets A.csv is required (asset decimals)')
    }
    const { evm, esplora } = chainReaders(values.rpc, values.esplora)
    let verification: ReservesVerification
    let report: ReserveReportRow[]
    if (values.round) {
      const r = await verifyRoundReserves({
        roundDir: values.round,
        reservesFile: values.reserves,
        challengeFile: values.challenge,
        evm,
        esplora,
        auditor: values.auditor === true,
      })
      verification = r.verification
      report = r.report
    } else {
      // Without a round only asset decimals are known: liabilities are unknown and ratios not judged.
      const assets = readFileSync(values.assets!, 'utf8')
        .split(/\r?\n/)
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [symbol = '', decimals = ''] = l.split(',')
          return { symbol: symbol.trim(), decimals: Number(decimals) }
        })
      verification = await verifyReserves({
        entries: await loadReserves(values.reserves, assets),
        challenge: await loadChallenge(values.challenge),
        evm,
        esplora,
        balances: values.auditor ? 'chain' : 'chain-or-declared',
      })
      const decimals = Object.fromEntries(assets.map((a) => [a.symbol, a.decimals]))
      report = reserveReport({ reserves: verification.totals, liabilities: {}, decimals })
    }
    const ok = verification.failed === 0 && report.every((r) => !r.below100)
    if (values.json) {
      printJson(io, {
        ok,
        message: verification.message,
        snapshotBlocks: verification.snapshotBlocks,
        rows: verification.rows,
        report,
      })
      return ok ? 0 : 1
    }
    for (const r of verification.rows) {
      io.stdout(reserveRowLine(r, 'line'))
      for (const n of r.notes) io.stdout(`       note: ${n}\n`)
    }
    for (const [chain, b] of Object.entries(verification.snapshotBlocks)) {
      io.stdout(`snapshot ${chain} block ${b.height}: ${b.hash}\n`)
    }
    io.stdout(`\n${formatReserveReport(report)}\n`)
    if (!values.round) io.stdout('\n(no --round given: liabilities unknown, ratios not judged)\n')
    io.stdout(
      ok
        ? '\nreserves verified\n'
        : `\nreserves NOT verified: ${verification.failed} row(s) failed or assets below 100%\n`,
    )
    return ok ? 0 : 1
  },
})

export const verifyExternalVerb = defineVerb({
  summary:
    'Verify PoR files published by other exchanges (OKX v1/v2, Binance, Bybit, Bitget, OKX reserve CSV)',
  usage: 'FILE… [--json]   (OKX v2: give the user-info file and the full tree file together)',
  description:
    "Recognises each file's format (OKX v1/v2, Binance, Bybit, Bitget, OKX reserve CSV) and checks the user's path to the published root and the sums.",
  examples: ['bulwark por verify-external okx-user-info.json okx-full-tree.json'],
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('give at least one file')
    let results: Awaited<ReturnType<typeof verifyExternalFiles>>
    try {
      results = await verifyExternalFiles(positionals)
    } catch (e) {
      const message = (e as Error).message
      if (values.json) printJson(io, { ok: false, error: message })
      else io.stderr(`${message}\n`)
      return 1
    }
    const ok = results.every((r) => r.ok)
    if (values.json) printJson(io, { ok, results })
    else io.stdout(`${results.map(formatExternalResult).join('\n\n')}\n`)
    return ok ? 0 : 1
  },
})

/**
 * Entry for callers that want the verb without the CLI plumbing.
 * @example process.exitCode = await verifyExternalCommand(['proof.json'])
 */
export function verifyExternalCommand(args: string[], io?: CliIo): Promise<number> {
  const sink: CliIo = io ?? {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  }
  return verifyExternalVerb.run(args, sink)
}
