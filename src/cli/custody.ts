/**
 * @module `bulwark custody …`: `ledger verify` recomputes every balance from its entries and checks
 * every transaction sums to zero (exit 1 naming the first bad account or transaction); `deposits
 * import` credits Bitcoin deposits from a CSV file where no node is watched; `watch` runs the EVM
 * deposit watcher as its own process (`--once` for a single pass, e.g. from cron).
 */
import { readFile } from 'node:fs/promises'
import {
  createCustody,
  createLedger,
  describeProblem,
  evmClient,
  importBtcDeposits,
  parseBtcDepositsCsv,
  runPolling,
  screenFromGuard,
} from '../custody/index.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { createEventBus } from '../platform/events.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { heldDepositCase, openSystemCase } from '../risk/index.ts'
import { withdrawalVerbs } from './custody-withdrawals.ts'
import { printJsonLine } from './output.ts'
import { type CliGroup, type CliIo, UsageError } from './types.ts'
import { defineVerb, withDb } from './verb.ts'

async function withCustody<T>(
  io: CliIo,
  run: (custody: ReturnType<typeof createCustody>, db: Db) => Promise<T>,
) {
  const config = loadConfig(io.env)
  const handle = await openConfiguredDatabase(config)
  try {
    const custody = createCustody({
      db: handle.db,
      clock: systemClock,
      config,
      screen: screenFromGuard(config),
      events: createEventBus(),
      // A deposit held here opens its risk case too, as in the server.
      onHeld: async (d, tx) => {
        await openSystemCase(tx, heldDepositCase(d, systemClock.now()))
      },
    })
    return await run(custody, handle.db)
  } finally {
    await handle.close()
  }
}

function subcommand(positionals: string[], expected: string): void {
  if (positionals.length !== 1 || positionals[0] !== expected)
    throw new UsageError(
      `expected "${expected}"${positionals.length ? `, got "${positionals.join(' ')}"` : ''}`,
    )
}

export const custodyCommands: CliGroup = {
  summary:
    'Custody: verify the ledger, import Bitcoin deposits, watch the EVM chain for deposits, sign and send withdrawals',
  verbs: {
    ...withdrawalVerbs,
    ledger: defineVerb({
      summary: 'Recompute every balance from its entries and check every transaction sums to zero',
      usage: 'verify [--json]',
      description:
        'Reads every account and entry of the custody ledger. A balance that differs from the sum of its entries, or a transaction whose entries do not sum to zero per asset, is a problem; the first one is named.',
      examples: ['bulwark custody ledger verify', 'bulwark custody ledger verify --json'],
      exitCodes: '1 the ledger is inconsistent (the first bad account or transaction is named)',
      options: { json: { type: 'boolean' } },
      positionals: true,
      async run({ values, positionals }, io) {
        subcommand(positionals, 'verify')
        const result = await withDb(io, (db) => createLedger({ db }).verify())
        const first = result.problems[0]
        if (values.json) {
          printJsonLine(io, {
            ok: result.ok,
            accounts: result.accounts,
            transactions: result.transactions,
            problems: result.problems.length,
            ...(first ? { first: describeProblem(first) } : {}),
          })
        } else if (first) {
          io.stdout(
            `ledger INCONSISTENT: ${result.problems.length} problem(s); first: ${describeProblem(first)}\n`,
          )
        } else {
          io.stdout(`ledger consistent: ${result.accounts} accounts, ${result.transactions} transactions\n`)
        }
        return result.ok ? 0 : 1
      },
    }),
    deposits: defineVerb({
      summary:
        'Credit Bitcoin deposits from a CSV file (txid,vout,address,amount_sats,confirmations[,sender])',
      usage: 'import --file deposits.csv [--json]',
      description:
        'Checks the whole file first (nothing is imported from a file with a bad line), then records each output to a deposit address; outputs with enough confirmations (BTC= in CUSTODY_CONFIRMATIONS) are screened and credited once, however often the file is imported.',
      examples: ['bulwark custody deposits import --file deposits.csv'],
      exitCodes: '1 the file has a bad line (each is printed as file:line: problem)',
      options: {
        file: {
          type: 'string',
          valueName: 'FILE',
          description: 'CSV with header txid,vout,address,amount_sats,confirmations[,sender]',
        },
        json: { type: 'boolean' },
      },
      positionals: true,
      async run({ values, positionals }, io) {
        subcommand(positionals, 'import')
        if (!values.file) throw new UsageError('--file is required')
        const { lines, issues } = parseBtcDepositsCsv(await readFile(values.file, 'utf8'))
        if (issues.length > 0) {
          for (const i of issues) io.stderr(`${values.file}:${i.line}: ${i.message}\n`)
          io.stderr('nothing imported\n')
          return 1
        }
        const summary = await withCustody(io, (custody, db) =>
          importBtcDeposits({ db, deposits: custody.deposits }, lines),
        )
        if (values.json) printJsonLine(io, summary)
        else
          io.stdout(
            `credited ${summary.credited}, held for review ${summary.held}, pending ${summary.pending}, already credited ${summary.alreadyCredited}, unknown address ${summary.unknownAddress.length}${summary.unknownAddress.length ? ` (lines ${summary.unknownAddress.join(', ')})` : ''}\n`,
          )
        return 0
      },
    }),
    watch: defineVerb({
      summary: 'Run the EVM deposit watcher (CUSTODY_EVM_RPC_URL) until stopped, or one pass with --once',
      usage: '[--once] [--json]',
      description:
        'Reads new blocks for ETH and ERC-20 (CUSTODY_EVM_TOKENS) deposits, removes pending deposits a reorg took away, credits deposits with enough confirmations and reports deep reorgs. Without --once it polls every CUSTODY_EVM_POLL_SECONDS until SIGINT or SIGTERM.',
      examples: ['bulwark custody watch', 'bulwark custody watch --once --json'],
      options: {
        once: { type: 'boolean', description: 'One pass, then exit (for cron or a scheduler)' },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        const url = config.CUSTODY_EVM_RPC_URL
        if (!url) throw new UsageError('set CUSTODY_EVM_RPC_URL to the EVM JSON-RPC endpoint to watch')
        return withCustody(io, async (custody) => {
          const watcher = custody.evmWatcher(evmClient(url))
          const report = (r: Awaited<ReturnType<typeof watcher.poll>>) => {
            if (values.json) printJsonLine(io, r)
            else
              io.stdout(
                `head ${r.head}: read ${r.scanned} block(s), seen ${r.seen}, credited ${r.credited}, removed ${r.removed}, deep reorgs ${r.deepReorgs}\n`,
              )
          }
          if (values.once) {
            report(await watcher.poll())
            return 0
          }
          const job = runPolling(
            async () => report(await watcher.poll()),
            config.CUSTODY_EVM_POLL_SECONDS * 1000,
            {
              error: (details, message) =>
                io.stderr(`${message}: ${String((details as { err?: unknown }).err)}\n`),
            },
          )
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve)
            process.once('SIGTERM', resolve)
          })
          await job.stop()
          return 0
        })
      },
    }),
  },
}
