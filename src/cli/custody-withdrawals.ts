/**
 * @module `bulwark custody export-unsigned | sign | import-signed | withdrawals`: the offline signing
 * procedure (docs/custody.md) and a one-shot run of the withdrawal processor. `sign` needs no
 * database and no network — run it on the air-gapped machine that holds the cold key.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { getAddress, type Hex } from 'viem'
import { createWithdrawalProcessor } from '../custody/broadcast.ts'
import {
  btcColdWallet,
  confirmBtcWithdrawal,
  DEFAULT_MAX_FEE_RATE,
  exportPsbts,
  importPsbts,
  parseUtxosCsv,
  psbtSignedFileSchema,
  psbtUnsignedFileSchema,
  signPsbtFile,
} from '../custody/btc-psbt.ts'
import { parseConfirmations } from '../custody/deposits.ts'
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

/** The Bitcoin cold wallet: the account xpub the deposit addresses come from (docs/custody.md). */
function btcWallet(io: CliIo) {
  const config = loadConfig(io.env)
  if (!config.CUSTODY_BTC_XPUB) throw new UsageError('set CUSTODY_BTC_XPUB (the Bitcoin cold wallet)')
  return { config, wallet: btcColdWallet(config.CUSTODY_BTC_XPUB, config.CUSTODY_BTC_ADDRESS_TYPE) }
}

function wholeNumber(value: string | undefined, flag: string, fallback?: bigint): bigint {
  if (value === undefined) {
    if (fallback !== undefined) return fallback
    throw new UsageError(`${flag} is required`)
  }
  if (!/^\d{1,6}$/.test(value)) throw new UsageError(`${flag} must be a whole number of sat/vB`)
  return BigInt(value)
}

const formatOf = (data: unknown) =>
  typeof data === 'object' && data !== null ? (data as { format?: unknown }).format : undefined

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
      'Write unsigned EIP-1559 transactions (or, with --chain btc, PSBTs) of approved cold-wallet withdrawals',
    usage: '--out FILE [--chain btc --utxos FILE --fee-rate N]',
    description:
      'EVM: assigns the next cold-wallet nonce to every approved withdrawal above the hot-wallet limit, records its unsigned transaction, and writes them with their payloads and payload hashes (needs CUSTODY_EVM_RPC_URL and CUSTODY_COLD_WALLET_ADDRESS). Bitcoin (--chain btc): builds a PSBT per approved BTC withdrawal spending the cold wallet UTXOs listed in --utxos, paying exactly the approved amount, change to the next change address of CUSTODY_BTC_XPUB, with BIP32 derivations for the signer. Exporting again repeats what is not yet signed.',
    examples: [
      'bulwark custody export-unsigned --out unsigned.json',
      'bulwark custody export-unsigned --chain btc --utxos utxos.csv --fee-rate 12 --out unsigned-btc.json',
    ],
    exitCodes:
      '1 (--chain btc) an approved withdrawal could not be funded from --utxos; the file holds the others',
    options: {
      out: {
        type: 'string',
        description: 'Where to write the unsigned transactions or PSBTs (JSON).',
        valueName: 'FILE',
      },
      chain: {
        type: 'string',
        description: 'evm (default) or btc: which withdrawals to export.',
        valueName: 'CHAIN',
      },
      utxos: {
        type: 'string',
        description:
          'With --chain btc: CSV of the cold wallet coins to spend, header txid,vout,address,amount_sats,path (path 0/i or 1/j under the account).',
        valueName: 'FILE',
      },
      'fee-rate': {
        type: 'string',
        description: 'With --chain btc: the network fee rate in sat/vB (whole number).',
        valueName: 'N',
      },
    },
    async run({ values }, io) {
      const out = required(values.out, '--out')
      const chain = values.chain ?? 'evm'
      if (chain !== 'evm' && chain !== 'btc') throw new UsageError('--chain must be evm or btc')
      if (chain === 'btc') {
        const { config, wallet } = btcWallet(io)
        const feeRate = wholeNumber(values['fee-rate'], '--fee-rate')
        const utxosPath = required(values.utxos, '--utxos')
        let text: string
        try {
          text = await readFile(utxosPath, 'utf8')
        } catch (error) {
          throw new UsageError(`cannot read ${utxosPath}: ${(error as Error).message}`)
        }
        const { utxos, issues } = parseUtxosCsv(text, wallet)
        if (issues.length > 0) {
          for (const i of issues) io.stderr(`${utxosPath}:${i.line}: ${i.message}\n`)
          throw new UsageError(`${utxosPath} was refused (${issues.length} problem(s)); nothing exported`)
        }
        const result = await withDb(io, (db) =>
          exportPsbts(
            { db, clock: systemClock, wallet, withdrawals: service(db, config) },
            { utxos, feeRate },
          ),
        )
        await writeFile(out, `${JSON.stringify(result.file, null, 2)}\n`)
        io.stdout(
          `${result.file.withdrawals.length} PSBT(s) from ${wallet.xpub.slice(0, 12)}… written to ${out}\n`,
        )
        for (const u of result.unfunded)
          io.stdout(`NOT EXPORTED ${u.withdrawalId}: ${u.code}: ${u.message}\n`)
        return result.unfunded.length > 0 ? 1 : 0
      }
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
      'Run on the air-gapped machine that holds the cold key: no database, no network. Refuses a key that is not the wallet the file was exported for, an entry whose payload does not match its hash, and a transaction that does not pay its payload. A Bitcoin export (PSBTs) is signed with the account xprv of CUSTODY_BTC_XPUB or a WIF key, and finalised; a PSBT paying anything but its payload and our change is refused.',
    examples: [
      'bulwark custody sign --in unsigned.json --key-file /media/cold.key --out signed.json',
      'bulwark custody sign --in unsigned-btc.json --key-file /media/btc-account.xprv --out signed-btc.json',
    ],
    exitCodes: '1 the file or key was refused (nothing written)',
    options: {
      in: { type: 'string', description: 'The file written by export-unsigned.', valueName: 'FILE' },
      'key-file': {
        type: 'string',
        description:
          'A file holding the cold private key: 64 hex digits (EVM), or an account xprv/zprv or a WIF key (Bitcoin).',
        valueName: 'K',
      },
      out: {
        type: 'string',
        description: 'Where to write the signed transactions (JSON).',
        valueName: 'SIGNED',
      },
    },
    async run({ values }, io) {
      const data = await readJson(required(values.in, '--in'))
      if (formatOf(data) === 'bulwark-psbt-unsigned-v1') {
        const psbts = psbtUnsignedFileSchema.safeParse(data)
        if (!psbts.success) throw new UsageError('--in is not a valid bulwark-psbt-unsigned-v1 file')
        const keyText = await readFile(required(values['key-file'], '--key-file'), 'utf8')
        let signedPsbts: ReturnType<typeof signPsbtFile>
        try {
          signedPsbts = signPsbtFile(psbts.data, keyText)
        } catch (error) {
          io.stderr(`refused: ${(error as Error).message}\n`)
          return 1
        }
        await writeFile(required(values.out, '--out'), `${JSON.stringify(signedPsbts, null, 2)}\n`)
        for (const w of psbts.data.withdrawals)
          io.stdout(
            `signed ${w.withdrawalId}: ${w.payload.amount} sat to ${w.payload.address} (network fee ${w.feeSats} sat)\n`,
          )
        return 0
      }
      const parsed = unsignedFileSchema.safeParse(data)
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
    usage: '--in SIGNED [--raw-out FILE] [--max-fee-rate N] [--json]',
    description:
      'Each signature must recover to CUSTODY_COLD_WALLET_ADDRESS and each transaction must be exactly the exported one for its approved payload; accepted ones are broadcast by the server (or withdrawals process). Signed PSBTs must spend exactly the exported inputs, pay exactly the approved address and amount, send change only to our exported change address, add no output, pay a fee within --max-fee-rate, and carry a valid signature on every input; accepted ones become broadcast_pending_external and their raw transactions are written to --raw-out for you to broadcast.',
    examples: [
      'bulwark custody import-signed --in signed.json',
      'bulwark custody import-signed --in signed-btc.json --raw-out broadcast-btc.txt',
    ],
    exitCodes: '1 at least one transaction was refused (the others were imported)',
    options: {
      in: { type: 'string', description: 'The file written by custody sign.', valueName: 'SIGNED' },
      'raw-out': {
        type: 'string',
        description: 'Bitcoin: where to write the accepted raw transactions, one hex per line, to broadcast.',
        valueName: 'FILE',
      },
      'max-fee-rate': {
        type: 'string',
        description: `Bitcoin: refuse a transaction paying more than this many sat/vB (default ${DEFAULT_MAX_FEE_RATE}).`,
        valueName: 'N',
      },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const data = await readJson(required(values.in, '--in'))
      if (formatOf(data) === 'bulwark-psbt-signed-v1') {
        const psbts = psbtSignedFileSchema.safeParse(data)
        if (!psbts.success) throw new UsageError('--in is not a valid bulwark-psbt-signed-v1 file')
        const rawOut = required(values['raw-out'], '--raw-out')
        const maxFeeRate = wholeNumber(values['max-fee-rate'], '--max-fee-rate', DEFAULT_MAX_FEE_RATE)
        const { config, wallet } = btcWallet(io)
        const result = await withDb(io, (db) =>
          importPsbts({ db, wallet, withdrawals: service(db, config) }, psbts.data, { maxFeeRate }),
        )
        await writeFile(rawOut, result.accepted.map((a) => `${a.rawTx}\n`).join(''))
        if (values.json)
          printJsonLine(io, {
            accepted: result.accepted.map(({ withdrawalId, txid }) => ({ withdrawalId, txid })),
            refused: result.refused,
          })
        else {
          for (const a of result.accepted) io.stdout(`accepted ${a.withdrawalId}: transaction ${a.txid}\n`)
          for (const r of result.refused) io.stdout(`REFUSED ${r.withdrawalId}: ${r.problems.join('; ')}\n`)
          io.stdout(`${result.accepted.length} raw transaction(s) written to ${rawOut}: broadcast them\n`)
        }
        return result.refused.length > 0 ? 1 : 0
      }
      const parsed = signedFileSchema.safeParse(data)
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

  'btc-confirm': defineVerb({
    summary: 'Record the confirmations of a Bitcoin withdrawal you broadcast; with enough, it completes',
    usage: '--txid TXID --confirmations N [--json]',
    description:
      'Bulwark has no Bitcoin node: after broadcasting a raw transaction written by import-signed, read its confirmations from a node or explorer you trust and report them here. Fewer than BTC= in CUSTODY_CONFIRMATIONS are recorded (the customer sees the withdrawal being sent); with enough, the withdrawal is confirmed and its completion ledger movement (pending to the cold wallet, fees, insurance fund) is made once.',
    examples: [
      'bulwark custody btc-confirm --txid 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b --confirmations 3',
    ],
    exitCodes: '1 no Bitcoin withdrawal has that transaction, or it is not waiting for confirmations',
    options: {
      txid: { type: 'string', description: 'The transaction id import-signed printed.', valueName: 'TXID' },
      confirmations: {
        type: 'string',
        description: 'How many confirmations the transaction has now.',
        valueName: 'N',
      },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const txid = required(values.txid, '--txid')
      if (!/^[0-9a-f]{64}$/.test(txid)) throw new UsageError('--txid must be 64 lower-case hex digits')
      const count = required(values.confirmations, '--confirmations')
      if (!/^\d{1,7}$/.test(count)) throw new UsageError('--confirmations must be a whole number')
      const config = loadConfig(io.env)
      const needed = parseConfirmations(config.CUSTODY_CONFIRMATIONS).BTC ?? 12
      const result = await withDb(io, (db) =>
        confirmBtcWithdrawal(
          { db, clock: systemClock, withdrawals: service(db, config) },
          txid,
          Number(count),
          needed,
        ),
      )
      if (values.json) printJsonLine(io, result)
      else
        io.stdout(
          result.status === 'confirmed'
            ? `withdrawal ${result.withdrawalId} confirmed (${result.confirmations} of ${result.needed}); completed on the ledger\n`
            : `withdrawal ${result.withdrawalId}: ${result.confirmations} of ${result.needed} confirmations recorded\n`,
        )
      return 0
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
