/**
 * @module `bulwark custody export-unsigned | sign | import-signed | withdrawals`: the offline signing
 * procedure (docs/custody.md) and a one-shot run of the withdrawal processor. `sign` needs no
 * database and no network — run it on the air-gapped machine that holds the cold key.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { getAddress, type Hex } from 'viem'
import { createWithdrawalProcessor } from '../custody/broadcast.ts'
import { configuredHotSigner } from '../custody/hot-signer.ts'
import {
  exportUnsigned,
  importSigned,
  signedFileSchema,
  signFile,
  unsignedFileSchema,
} from '../custody/offline.ts'
import { parseTokenContracts } from '../custody/signing.ts'
import { createWithdrawals } from '../custody/withdrawals.ts'
import { systemClock } from '../platform/clock.ts'
import { type Config, loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { printJsonLine } from './output.ts'
import { type CliIo, type CliVerb, UsageError } from './types.ts'
import { defineVerb, required, withDb } from './verb.ts'

function service(db: Db, config: Config) {
  return createWithdrawals({
    db,
    clock: systemClock,
    config,
    accounts: { db, clock: systemClock, config },
    hotSigner: configuredHotSigner(config) !== null,
  })
}

function offlineConfig(io: CliIo) {
  const config = loadConfig(io.env)
  if (!config.CUSTODY_COLD_WALLET_ADDRESS)
    throw new UsageError('set CUSTODY_COLD_WALLET_ADDRESS (the cold wallet)')
  return { config, coldWallet: getAddress(config.CUSTODY_COLD_WALLET_ADDRESS) }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new UsageError(`cannot read ${path} as JSON: ${(error as Error).message}`)
  }
}

export const withdrawalVerbs: Record<string, CliVerb> = {
  'export-unsigned': defineVerb({
    summary:
      'Write unsigned EIP-1559 transactions of approved cold-wallet withdrawals (with their payload hashes)',
    usage: '--out FILE',
    description:
      'Assigns the next cold-wallet nonce to every approved withdrawal above the hot-wallet limit, records its unsigned transaction, and writes them with their payloads and payload hashes. Needs CUSTODY_EVM_RPC_URL and CUSTODY_COLD_WALLET_ADDRESS. Exporting again repeats the transactions not yet signed.',
    examples: ['bulwark custody export-unsigned --out unsigned.json'],
    options: {
      out: {
        type: 'string',
        description: 'Where to write the unsigned transactions (JSON).',
        valueName: 'FILE',
      },
    },
    async run({ values }, io) {
      const out = required(values.out, '--out')
      const { config, coldWallet } = offlineConfig(io)
      if (!config.CUSTODY_EVM_RPC_URL)
        throw new UsageError('set CUSTODY_EVM_RPC_URL (nonces and fees come from the node)')
      const file = await withDb(io, (db) =>
        exportUnsigned({
          db,
          clock: systemClock,
          rpcUrl: config.CUSTODY_EVM_RPC_URL!,
          coldWallet,
          tokens: parseTokenContracts(config.CUSTODY_EVM_TOKENS),
          withdrawals: service(db, config),
        }),
      )
      await writeFile(out, `${JSON.stringify(file, null, 2)}\n`)
      io.stdout(`${file.transactions.length} unsigned transaction(s) from ${coldWallet} written to ${out}\n`)
      return 0
    },
  }),

  sign: defineVerb({
    summary: 'Sign an exported file with the cold key (offline: no database, no network)',
    usage: '--in FILE --key-file K --out SIGNED',
    description:
      'Run on the air-gapped machine that holds the cold key: no database, no network. Refuses a key that is not the wallet the file was exported for, an entry whose payload does not match its hash, and a transaction that does not pay its payload.',
    examples: ['bulwark custody sign --in unsigned.json --key-file /media/cold.key --out signed.json'],
    exitCodes: '1 the file or key was refused (nothing written)',
    options: {
      in: { type: 'string', description: 'The file written by export-unsigned.', valueName: 'FILE' },
      'key-file': {
        type: 'string',
        description: 'A file holding the cold private key (64 hex digits).',
        valueName: 'K',
      },
      out: {
        type: 'string',
        description: 'Where to write the signed transactions (JSON).',
        valueName: 'SIGNED',
      },
    },
    async run({ values }, io) {
      const parsed = unsignedFileSchema.safeParse(await readJson(required(values.in, '--in')))
      if (!parsed.success) throw new UsageError('--in is not a bulwark-unsigned-v1 file')
      const key = (await readFile(required(values['key-file'], '--key-file'), 'utf8')).trim()
      const hex = (key.startsWith('0x') ? key : `0x${key}`) as Hex
      if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError('--key-file must hold 64 hex digits')
      let signed: Awaited<ReturnType<typeof signFile>>
      try {
        signed = await signFile(parsed.data, hex)
      } catch (error) {
        io.stderr(`refused: ${(error as Error).message}\n`)
        return 1
      }
      await writeFile(required(values.out, '--out'), `${JSON.stringify(signed, null, 2)}\n`)
      for (const t of parsed.data.transactions)
        io.stdout(
          `signed ${t.withdrawalId}: ${t.payload.amount} ${t.payload.asset} to ${t.payload.address}\n`,
        )
      return 0
    },
  }),

  'import-signed': defineVerb({
    summary: 'Verify signed transactions (cold wallet signer, approved payload) and queue them for broadcast',
    usage: '--in SIGNED [--json]',
    description:
      'Each signature must recover to CUSTODY_COLD_WALLET_ADDRESS and each transaction must be exactly the exported one for its approved payload; accepted ones are broadcast by the server (or withdrawals process).',
    examples: ['bulwark custody import-signed --in signed.json'],
    exitCodes: '1 at least one transaction was refused (the others were imported)',
    options: {
      in: { type: 'string', description: 'The file written by custody sign.', valueName: 'SIGNED' },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const parsed = signedFileSchema.safeParse(await readJson(required(values.in, '--in')))
      if (!parsed.success) throw new UsageError('--in is not a bulwark-signed-v1 file')
      const { config, coldWallet } = offlineConfig(io)
      const result = await withDb(io, (db) =>
        importSigned(
          {
            db,
            clock: systemClock,
            coldWallet,
            tokens: parseTokenContracts(config.CUSTODY_EVM_TOKENS),
            withdrawals: service(db, config),
          },
          parsed.data,
        ),
      )
      if (values.json) printJsonLine(io, result)
      else {
        for (const id of result.accepted) io.stdout(`accepted ${id}\n`)
        for (const r of result.refused) io.stdout(`REFUSED ${r.withdrawalId}: ${r.problems.join('; ')}\n`)
      }
      return result.refused.length > 0 ? 1 : 0
    },
  }),

  withdrawals: defineVerb({
    summary: 'Run the withdrawal processor once: sign (hot wallet), broadcast, count confirmations',
    usage: 'process [--json]',
    description:
      'One pass of what the server does every CUSTODY_WITHDRAWAL_POLL_SECONDS: sign approved hot-wallet withdrawals, broadcast signed ones (re-sending the recorded bytes after a crash), count confirmations and complete or refund.',
    examples: ['bulwark custody withdrawals process'],
    options: { json: { type: 'boolean' } },
    positionals: true,
    async run({ values, positionals }, io) {
      if (positionals.join(' ') !== 'process') throw new UsageError('expected "process"')
      const config = loadConfig(io.env)
      if (!config.CUSTODY_EVM_RPC_URL) throw new UsageError('set CUSTODY_EVM_RPC_URL')
      const confirmations = new Map(
        config.CUSTODY_CONFIRMATIONS.split(',').map(
          (p) => [p.split('=')[0]!, Number(p.split('=')[1])] as const,
        ),
      )
      const result = await withDb(io, (db) =>
        createWithdrawalProcessor({
          db,
          clock: systemClock,
          rpcUrl: config.CUSTODY_EVM_RPC_URL!,
          tokens: parseTokenContracts(config.CUSTODY_EVM_TOKENS),
          confirmations: (asset) => confirmations.get(asset) ?? 12,
          hotSigner: configuredHotSigner(config),
          withdrawals: service(db, config),
        }).tick(),
      )
      if (values.json) printJsonLine(io, result)
      else
        io.stdout(
          `signed ${result.signed}, sent ${result.sent}, confirmed ${result.confirmed}, failed ${result.failed}\n`,
        )
      return 0
    },
  }),
}
