/**
 * @module Bitcoin withdrawals through offline signing (BIP174 PSBTs). Bitcoin has no hot wallet:
 * every approved BTC withdrawal is exported as a PSBT that spends UTXOs of the cold wallet — the
 * wallet of CUSTODY_BTC_XPUB, whose receive chain `…/0/i` holds the deposit addresses — listed by
 * the operator in a UTXO file. The PSBT pays exactly the approved amount to the approved address,
 * sends any change to the wallet's next change address `…/1/j`, and carries the BIP32 derivation
 * of every input and of the change, so an air-gapped signer holding the account xprv (or a WIF
 * key) can sign it. `importPsbts` trusts nothing in the signed file: the transaction must be the
 * exported one (same inputs, the approved payee and amount, our change, no extra output), the fee
 * within the bound, and every input's signature valid for the key that owns the input; then the
 * raw transaction is recorded and handed to the operator to broadcast (status
 * `broadcast_pending_external`: the server has no Bitcoin node). The operator then reports its
 * confirmations (`confirmBtcWithdrawal`); with enough, the withdrawal completes on the ledger once.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { base64 } from '@scure/base'
import { HDKey } from '@scure/bip32'
import { Address, NETWORK, OutScript, p2tr, p2wpkh, TEST_NETWORK, Transaction, WIF } from '@scure/btc-signer'
import type { BTC_NETWORK } from '@scure/btc-signer/utils.js'
import { z } from 'zod'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { type BtcAddressType, parseExtendedPublicKey } from './derivation.ts'
import { createLedger } from './ledger.ts'
import { completionEntries, payloadHash, type WithdrawalRow, type Withdrawals } from './withdrawals.ts'

/** Below this a change output is not worth creating (Bitcoin Core's dust limit for any output). */
export const DUST_SATS = 546n
/** Opt-in RBF (BIP125), so the operator can have a stuck transaction replaced after re-signing. */
const SEQUENCE = 0xfffffffd
/** The only signature hash import accepts: SIGHASH_ALL (0x01), or DEFAULT (0x00) for taproot. */
const SIGHASH_ALL = 0x01

// ---------------------------------------------------------------------------------------------
// The cold wallet

/** The cold wallet as the server sees it: an account xpub, its address type and network. */
export type BtcColdWallet = {
  xpub: string
  type: BtcAddressType
  network: BTC_NETWORK
  /** Withdrawal network name the addresses belong to. */
  networkName: 'bitcoin' | 'bitcoin-testnet'
  fingerprint: number
  /** The script, address and PSBT derivation fields of `…/chain/index`. */
  at(chain: 0 | 1, index: number): WalletKey
}

export type WalletKey = {
  path: [number, number]
  script: Uint8Array
  address: string
  publicKey: Uint8Array
}

/**
 * The cold wallet of an account xpub (CUSTODY_BTC_XPUB): P2WPKH (BIP84) or P2TR key-path (BIP86).
 * @example btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh').at(1, 0).address // 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el'
 */
export function btcColdWallet(xpub: string, type: BtcAddressType): BtcColdWallet {
  const { key, hrp } = parseExtendedPublicKey(xpub)
  const network = hrp === 'bc' ? NETWORK : TEST_NETWORK
  return {
    xpub,
    type,
    network,
    networkName: hrp === 'bc' ? 'bitcoin' : 'bitcoin-testnet',
    fingerprint: key.fingerprint,
    at(chain, index) {
      const publicKey = key.deriveChild(chain).deriveChild(index).publicKey
      if (!publicKey) throw new Error('derived key has no public key')
      const pay =
        type === 'p2wpkh' ? p2wpkh(publicKey, network) : p2tr(publicKey.subarray(1), undefined, network)
      return { path: [chain, index], script: pay.script, address: pay.address!, publicKey }
    },
  }
}

/** The PSBT fields that tell a signer which key of the account signs (or owns) a script. */
function derivationFields(wallet: BtcColdWallet, key: WalletKey) {
  const der = { fingerprint: wallet.fingerprint, path: key.path }
  if (wallet.type === 'p2wpkh')
    return { bip32Derivation: [[key.publicKey, der]] as [Uint8Array, typeof der][] }
  const xOnly = key.publicKey.subarray(1)
  return {
    tapInternalKey: xOnly,
    tapBip32Derivation: [[xOnly, { hashes: [] as Uint8Array[], der }]] as [
      Uint8Array,
      { hashes: Uint8Array[]; der: typeof der },
    ][],
  }
}

/** The output script paying `address` on the wallet's network (throws on a foreign address). */
export function scriptOf(wallet: Pick<BtcColdWallet, 'network'>, address: string): Uint8Array {
  return OutScript.encode(Address(wallet.network).decode(address))
}

// ---------------------------------------------------------------------------------------------
// UTXOs the operator supplies

export type Utxo = { txid: string; vout: number; amount: bigint; key: WalletKey; line: number }
export type UtxoIssue = { line: number; message: string }

const UTXO_HEADER = 'txid,vout,address,amount_sats,path'

/**
 * Parses the operator's UTXO file: CSV `txid,vout,address,amount_sats,path`, `path` relative to
 * the account (`0/i` receive, `1/j` change). Every address must be the cold wallet's at that path
 * (a typo or another wallet's coin is refused); the whole file is refused on any bad line.
 */
export function parseUtxosCsv(text: string, wallet: BtcColdWallet): { utxos: Utxo[]; issues: UtxoIssue[] } {
  const raw = text.split('\n').map((l) => l.replace(/\r$/, ''))
  if ((raw[0] ?? '').trim().toLowerCase() !== UTXO_HEADER)
    return { utxos: [], issues: [{ line: 1, message: `the header must be "${UTXO_HEADER}"` }] }
  const utxos: Utxo[] = []
  const issues: UtxoIssue[] = []
  const seen = new Map<string, number>()
  raw.slice(1).forEach((row, i) => {
    const line = i + 2
    if (row.trim() === '') return
    const cells = row.split(',').map((c) => c.trim())
    if (cells.length !== 5) {
      issues.push({ line, message: `expected 5 columns, found ${cells.length}` })
      return
    }
    const [txid, vout, address, sats, path] = cells as [string, string, string, string, string]
    const m = /^([01])\/(\d{1,10})$/.exec(path)
    const problem = !/^[0-9a-f]{64}$/.test(txid)
      ? 'txid must be 64 lower-case hex digits'
      : !/^\d{1,6}$/.test(vout)
        ? 'vout must be a whole number'
        : !/^[1-9]\d{0,15}$/.test(sats)
          ? 'amount_sats must be a whole number of satoshis above zero'
          : !m || Number(m[2]) > 2 ** 31 - 1
            ? 'path must be 0/i (receive) or 1/j (change), relative to the account'
            : null
    if (problem || !m) {
      issues.push({ line, message: problem ?? 'bad line' })
      return
    }
    const key = wallet.at(Number(m[1]) as 0 | 1, Number(m[2]))
    if (key.address !== address.toLowerCase()) {
      issues.push({ line, message: `${address} is not the cold wallet's address at ${path}` })
      return
    }
    const outpoint = `${txid}:${vout}`
    const first = seen.get(outpoint)
    if (first !== undefined) {
      issues.push({ line, message: `output ${outpoint} already on line ${first}` })
      return
    }
    seen.set(outpoint, line)
    utxos.push({ txid, vout: Number(vout), amount: BigInt(sats), key, line })
  })
  if (utxos.length === 0 && issues.length === 0) issues.push({ line: 1, message: 'no UTXOs in the file' })
  return { utxos, issues }
}

// ---------------------------------------------------------------------------------------------
// Files carried to and from the air-gapped signer

const payloadSchema = z.object({
  id: z.string().max(64),
  user: z.string().max(64),
  asset: z.literal('BTC'),
  amount: z.string().regex(/^\d{1,20}$/),
  network: z.string().max(32),
  address: z.string().max(100),
})
const psbtText = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(400_000)
export const psbtUnsignedFileSchema = z.object({
  format: z.literal('bulwark-psbt-unsigned-v1'),
  network: z.enum(['bitcoin', 'bitcoin-testnet']),
  addressType: z.enum(['p2wpkh', 'p2tr']),
  xpub: z.string().max(120),
  feeRate: z.string().regex(/^\d{1,6}$/),
  withdrawals: z
    .array(
      z.object({
        withdrawalId: z.string().max(64),
        payload: payloadSchema,
        payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
        psbt: psbtText,
        feeSats: z.string().regex(/^\d{1,16}$/),
      }),
    )
    .max(500),
})
export type PsbtUnsignedFile = z.infer<typeof psbtUnsignedFileSchema>
export const psbtSignedFileSchema = z.object({
  format: z.literal('bulwark-psbt-signed-v1'),
  withdrawals: z
    .array(
      z.object({
        withdrawalId: z.string().max(64),
        payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
        psbt: psbtText,
      }),
    )
    .max(500),
})
export type PsbtSignedFile = z.infer<typeof psbtSignedFileSchema>

const btcPayloadOf = (r: WithdrawalRow) => ({
  id: r.id,
  user: r.user_id,
  asset: 'BTC' as const,
  amount: BigInt(r.amount).toString(),
  network: r.network,
  address: r.address,
})

const decodePsbt = (text: string) => Transaction.fromPSBT(base64.decode(text))
const encodePsbt = (tx: Transaction) => base64.encode(tx.toPSBT())
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i])

// ---------------------------------------------------------------------------------------------
// Export

/** Virtual size of the transaction being built: 10.5 vB of overhead, per-input and per-output sizes. */
function estimateVsize(type: BtcAddressType, inputs: number, outputScripts: Uint8Array[]): bigint {
  const perInput = type === 'p2wpkh' ? 68 : 58
  const outputs = outputScripts.reduce((sum, s) => sum + 9 + s.length, 0)
  return BigInt(11 + inputs * perInput + outputs)
}

/**
 * The PSBT paying `payee` from `pool` (taken in order until amount + fee at `feeRate` is covered),
 * change to `…/1/changeIndex` unless it would be dust; null when the pool cannot pay.
 */
export function buildWithdrawalPsbt(
  wallet: BtcColdWallet,
  payee: { address: string; amount: bigint },
  pool: readonly Utxo[],
  feeRate: bigint,
  changeIndex: number,
): { psbt: string; chosen: Utxo[]; fee: bigint; changeAmount: bigint; change: WalletKey } | null {
  const destination = scriptOf(wallet, payee.address)
  const change = wallet.at(1, changeIndex)
  const chosen: Utxo[] = []
  let total = 0n
  let fee = 0n
  let changeAmount = 0n
  for (const u of pool) {
    chosen.push(u)
    total += u.amount
    const withChange = feeRate * estimateVsize(wallet.type, chosen.length, [destination, change.script])
    const without = feeRate * estimateVsize(wallet.type, chosen.length, [destination])
    if (total >= payee.amount + withChange + DUST_SATS) {
      fee = withChange
      changeAmount = total - payee.amount - withChange
      break
    }
    if (total >= payee.amount + without) {
      // What is left is less than dust plus a change output's cost: it goes to the fee.
      fee = total - payee.amount
      break
    }
  }
  if (fee === 0n) return null
  const tx = new Transaction({ version: 2, lockTime: 0 })
  for (const u of chosen)
    tx.addInput({
      txid: u.txid,
      index: u.vout,
      sequence: SEQUENCE,
      witnessUtxo: { script: u.key.script, amount: u.amount },
      ...derivationFields(wallet, u.key),
    })
  tx.addOutput({ script: destination, amount: payee.amount })
  if (changeAmount > 0n)
    tx.addOutput({ script: change.script, amount: changeAmount, ...derivationFields(wallet, change) })
  return { psbt: encodePsbt(tx), chosen, fee, changeAmount, change }
}

export type PsbtExportDeps = {
  db: Db
  clock: Pick<Clock, 'now'>
  wallet: BtcColdWallet
  withdrawals: Withdrawals
}

export type PsbtExportResult = {
  file: PsbtUnsignedFile
  /** Approved withdrawals that could not be funded from the supplied UTXOs (they stay approved). */
  unfunded: { withdrawalId: string; code: 'PSBT_INSUFFICIENT_FUNDS'; message: string }[]
}

/** Outpoints already spent by an exported PSBT, and the next unused change index. */
async function walletState(db: Db): Promise<{ reserved: Set<string>; nextChange: number }> {
  const rows = await db
    .selectFrom('custody_withdrawals')
    .select(['status', 'unsigned_tx'])
    .where('asset', '=', 'BTC')
    .where('unsigned_tx', 'is not', null)
    .execute()
  const reserved = new Set<string>()
  let nextChange = 0
  for (const row of rows) {
    const tx = decodePsbt(row.unsigned_tx!)
    // A failed withdrawal's coins are spendable again; its change index is never reused.
    if (row.status !== 'failed')
      for (let i = 0; i < tx.inputsLength; i++) {
        const input = tx.getInput(i)
        reserved.add(`${toHex(input.txid!)}:${input.index}`)
      }
    for (let i = 0; i < tx.outputsLength; i++) {
      const out = tx.getOutput(i)
      const paths = [
        ...(out.bip32Derivation ?? []).map(([, d]) => d.path),
        ...(out.tapBip32Derivation ?? []).map(([, d]) => d.der.path),
      ]
      for (const p of paths) if (p[0] === 1 && p[1] !== undefined) nextChange = Math.max(nextChange, p[1] + 1)
    }
  }
  return { reserved, nextChange }
}

/**
 * Builds one PSBT per approved BTC withdrawal (largest UTXOs first, `feeRate` sat/vB, change to the
 * next change address), records it and moves the withdrawal to `signing`; returns the file to
 * carry to the signer, with every exported PSBT not yet signed (exporting again repeats them).
 */
export async function exportPsbts(
  deps: PsbtExportDeps,
  options: { utxos: Utxo[]; feeRate: bigint },
): Promise<PsbtExportResult> {
  if (options.feeRate < 1n || options.feeRate > 10_000n)
    throw new AppError('PSBT_FEE_RATE_INVALID', 400, 'The fee rate must be 1 to 10000 sat/vB.')
  const { wallet } = deps
  const ready = (await deps.db
    .selectFrom('custody_withdrawals')
    .selectAll()
    .where('status', '=', 'approved')
    .where('signing_mode', '=', 'offline')
    .where('asset', '=', 'BTC')
    .orderBy('approved_at')
    .limit(500)
    .execute()) as WithdrawalRow[]
  const unfunded: PsbtExportResult['unfunded'] = []
  if (ready.length > 0) {
    const state = await walletState(deps.db)
    const pool = options.utxos
      .filter((u) => !state.reserved.has(`${u.txid}:${u.vout}`))
      .sort((a, b) => (a.amount === b.amount ? a.line - b.line : a.amount > b.amount ? -1 : 1))
    let nextChange = state.nextChange
    for (const row of ready) {
      const amount = BigInt(row.amount)
      const built = buildWithdrawalPsbt(
        wallet,
        { address: row.address, amount },
        pool,
        options.feeRate,
        nextChange,
      )
      if (!built) {
        unfunded.push({
          withdrawalId: row.id,
          code: 'PSBT_INSUFFICIENT_FUNDS',
          message: `the supplied UTXOs (${pool.reduce((s, u) => s + u.amount, 0n)} sat unreserved) cannot pay ${amount} sat plus the fee`,
        })
        continue
      }
      const { psbt, chosen, fee, changeAmount, change } = built
      try {
        await deps.withdrawals.transition(row.id, ['approved'], 'cli', async (_tx, locked) => {
          if (locked.asset !== 'BTC' || locked.address !== row.address || BigInt(locked.amount) !== amount)
            throw new AppError('WITHDRAWAL_STATE', 409, 'The withdrawal changed while it was exported.')
          return {
            status: 'signing',
            set: { unsigned_tx: psbt },
            step: {
              step: 'signing',
              verdict: 'review',
              detail: `exported for offline signing as a PSBT: ${chosen.length} input(s), fee ${fee} sat at ${options.feeRate} sat/vB`,
            },
            audit: {
              inputs: chosen.map((u) => `${u.txid}:${u.vout}`),
              feeSats: fee.toString(),
              feeRate: options.feeRate.toString(),
              change: changeAmount > 0n ? { address: change.address, path: `1/${nextChange}` } : null,
              xpub: wallet.xpub,
            },
          }
        })
      } catch (error) {
        if (error instanceof AppError && error.code === 'WITHDRAWAL_STATE') continue
        throw error
      }
      const used = new Set(chosen)
      for (let i = pool.length - 1; i >= 0; i--) if (used.has(pool[i]!)) pool.splice(i, 1)
      if (changeAmount > 0n) nextChange++
    }
  }
  const rows = (await deps.db
    .selectFrom('custody_withdrawals')
    .selectAll()
    .where('status', '=', 'signing')
    .where('signing_mode', '=', 'offline')
    .where('asset', '=', 'BTC')
    .where('signed_tx', 'is', null)
    .orderBy('updated_at')
    .execute()) as WithdrawalRow[]
  return {
    file: {
      format: 'bulwark-psbt-unsigned-v1',
      network: wallet.networkName,
      addressType: wallet.type,
      xpub: wallet.xpub,
      feeRate: options.feeRate.toString(),
      withdrawals: rows.map((r) => {
        const tx = decodePsbt(r.unsigned_tx!)
        return {
          withdrawalId: r.id,
          payload: btcPayloadOf(r),
          payloadHash: r.payload_hash,
          psbt: r.unsigned_tx!,
          feeSats: tx.fee.toString(),
        }
      }),
    },
    unfunded,
  }
}

// ---------------------------------------------------------------------------------------------
// Signing (air-gapped: no database, no network)

const PRIVATE_VERSIONS: Record<string, { private: number; public: number }> = {
  xprv: { private: 0x0488ade4, public: 0x0488b21e },
  zprv: { private: 0x04b2430c, public: 0x04b24746 },
  tprv: { private: 0x04358394, public: 0x043587cf },
  vprv: { private: 0x045f18bc, public: 0x045f1cf6 },
}

/** A signing key read from a key file: the account xprv of the cold wallet, or one WIF key. */
export type BtcSigningKey = { kind: 'xprv'; key: HDKey } | { kind: 'wif'; privateKey: Uint8Array }

/** Reads a key file's text: an account xprv/zprv/tprv/vprv, or a compressed WIF private key. */
export function parseSigningKey(text: string, network: BTC_NETWORK): BtcSigningKey {
  const value = text.trim()
  const versions = PRIVATE_VERSIONS[value.slice(0, 4)]
  if (versions) {
    let key: HDKey
    try {
      key = HDKey.fromExtendedKey(value, versions)
    } catch (cause) {
      throw new Error('the extended private key is malformed (checksum or length)', { cause })
    }
    if (!key.privateKey) throw new Error('the key file holds a public key; the signer needs the private one')
    return { kind: 'xprv', key }
  }
  try {
    return { kind: 'wif', privateKey: WIF(network).decode(value) }
  } catch (cause) {
    throw new Error('the key file must hold an account xprv/zprv/tprv/vprv or a compressed WIF key', {
      cause,
    })
  }
}

/**
 * Signs every PSBT of an export and finalises it. Refuses the whole file when the key is not the
 * file's wallet, a payload does not match its hash, a PSBT does not pay its payload exactly, pays
 * anything but the payload and the wallet's own change, or has an input the key cannot sign.
 */
export function signPsbtFile(file: PsbtUnsignedFile, keyText: string): PsbtSignedFile {
  const wallet = btcColdWallet(file.xpub, file.addressType)
  const key = parseSigningKey(keyText, wallet.network)
  if (key.kind === 'xprv') {
    const account = parseExtendedPublicKey(file.xpub).key
    if (
      !sameBytes(key.key.publicKey ?? undefined, account.publicKey ?? undefined) ||
      !sameBytes(key.key.chainCode ?? undefined, account.chainCode ?? undefined)
    )
      throw new Error(`this xprv is not the account key of ${file.xpub}`)
  }
  const withdrawals: PsbtSignedFile['withdrawals'] = []
  for (const w of file.withdrawals) {
    const where = `withdrawal ${w.withdrawalId}`
    if (payloadHash(w.payload) !== w.payloadHash)
      throw new Error(`${where}: the payload does not match its hash`)
    const tx = decodePsbt(w.psbt)
    const pay = tx.getOutput(0)
    if (
      !sameBytes(pay.script, scriptOf(wallet, w.payload.address)) ||
      pay.amount !== BigInt(w.payload.amount)
    )
      throw new Error(
        `${where}: the first output does not pay ${w.payload.amount} sat to ${w.payload.address}`,
      )
    for (let i = 1; i < tx.outputsLength; i++) {
      const out = tx.getOutput(i)
      const path = out.bip32Derivation?.[0]?.[1].path ?? out.tapBip32Derivation?.[0]?.[1].der.path
      if (path?.length !== 2 || path[0] !== 1 || !sameBytes(out.script, wallet.at(1, path[1]!).script))
        throw new Error(`${where}: output ${i} is not this wallet's change`)
    }
    // @scure/bip32's HDKey types publicKey as nullable; a key parsed from an xprv always has one.
    const signer = (key.kind === 'xprv' ? key.key : key.privateKey) as Parameters<Transaction['signIdx']>[0]
    let signed = 0
    for (let i = 0; i < tx.inputsLength; i++) {
      try {
        if (tx.signIdx(signer, i)) signed++
      } catch (cause) {
        throw new Error(`${where}: input ${i} cannot be signed with this key`, { cause })
      }
    }
    if (signed !== tx.inputsLength) throw new Error(`${where}: signed ${signed} of ${tx.inputsLength} inputs`)
    tx.finalize()
    withdrawals.push({ withdrawalId: w.withdrawalId, payloadHash: w.payloadHash, psbt: encodePsbt(tx) })
  }
  return { format: 'bulwark-psbt-signed-v1', withdrawals }
}

// ---------------------------------------------------------------------------------------------
// Import

/** Stable codes naming what differs between a signed PSBT and what was exported and approved. */
export const PSBT_REFUSALS = {
  PSBT_UNKNOWN_WITHDRAWAL: 'no such withdrawal',
  PSBT_NOT_AWAITING_SIGNATURE: 'the withdrawal is not waiting for a cold-wallet signature',
  PSBT_PAYLOAD_HASH_MISMATCH: 'the payload hash is not the approved one',
  PSBT_UNREADABLE: 'not a readable PSBT',
  PSBT_TX_CHANGED: 'the transaction version or lock time differs from the exported one',
  PSBT_INPUTS_CHANGED: 'the inputs are not the exported ones',
  PSBT_DESTINATION_MISMATCH: 'the first output does not pay the approved address',
  PSBT_AMOUNT_MISMATCH: 'the first output does not pay the approved amount',
  PSBT_EXTRA_OUTPUT: 'an output was added',
  PSBT_OUTPUT_MISSING: 'an exported output is missing',
  PSBT_CHANGE_MISMATCH:
    'the change does not go to the exported change address of our wallet, or its amount changed',
  PSBT_FEE_TOO_HIGH: 'the fee is above the bound',
  PSBT_NOT_FINALIZED: 'an input is not signed and finalised',
  PSBT_SIGNATURE_INVALID: 'an input signature is not valid for the key that owns the input',
} as const
export type PsbtRefusalCode = keyof typeof PSBT_REFUSALS

export type PsbtImportResult = {
  accepted: { withdrawalId: string; txid: string; rawTx: string }[]
  refused: { withdrawalId: string; codes: PsbtRefusalCode[]; problems: string[] }[]
}

export type PsbtImportDeps = { db: Db; wallet: BtcColdWallet; withdrawals: Withdrawals }

/** Default bound on the fee rate an imported transaction may pay (sat/vB). */
export const DEFAULT_MAX_FEE_RATE = 500n

/**
 * Checks a signed PSBT against the exported one and the approved payload; returns the refusals
 * (empty: acceptable) and, when acceptable, the raw transaction.
 */
export function checkSignedPsbt(
  signedText: string,
  row: Pick<WithdrawalRow, 'address' | 'amount' | 'unsigned_tx'>,
  wallet: BtcColdWallet,
  maxFeeRate: bigint,
): { problems: [PsbtRefusalCode, string][]; rawTx?: string; txid?: string } {
  const problems: [PsbtRefusalCode, string][] = []
  const add = (code: PsbtRefusalCode, detail?: string) =>
    problems.push([code, detail ? `${PSBT_REFUSALS[code]}: ${detail}` : PSBT_REFUSALS[code]])
  let signed: Transaction
  try {
    signed = decodePsbt(signedText)
  } catch {
    add('PSBT_UNREADABLE')
    return { problems }
  }
  const exported = decodePsbt(row.unsigned_tx!)
  if (signed.version !== exported.version || signed.lockTime !== exported.lockTime) add('PSBT_TX_CHANGED')

  // Inputs: the very outpoints and sequences exported, in order. Amounts and scripts of the coins
  // being spent are taken from the export, never from the signed file.
  const sameInputs =
    signed.inputsLength === exported.inputsLength &&
    Array.from({ length: exported.inputsLength }, (_, i) => {
      const a = signed.getInput(i)
      const b = exported.getInput(i)
      return sameBytes(a.txid, b.txid) && a.index === b.index && a.sequence === b.sequence
    }).every(Boolean)
  if (!sameInputs) add('PSBT_INPUTS_CHANGED')

  // Outputs: the approved payee and amount first, then exactly the exported change (if any).
  const pay = signed.outputsLength > 0 ? signed.getOutput(0) : undefined
  if (!pay || !sameBytes(pay.script, scriptOf(wallet, row.address)))
    add(
      'PSBT_DESTINATION_MISMATCH',
      pay?.script ? `pays ${describeScript(wallet, pay.script)}, approved ${row.address}` : undefined,
    )
  if (!pay || pay.amount !== BigInt(row.amount))
    add('PSBT_AMOUNT_MISMATCH', `${pay?.amount ?? 0n} sat, approved ${BigInt(row.amount)} sat`)
  if (signed.outputsLength > exported.outputsLength)
    add('PSBT_EXTRA_OUTPUT', `${signed.outputsLength} outputs, ${exported.outputsLength} exported`)
  if (signed.outputsLength < exported.outputsLength) add('PSBT_OUTPUT_MISSING')
  for (let i = 1; i < Math.min(signed.outputsLength, exported.outputsLength); i++) {
    const a = signed.getOutput(i)
    const b = exported.getOutput(i)
    const path = b.bip32Derivation?.[0]?.[1].path ?? b.tapBip32Derivation?.[0]?.[1].der.path
    const ours = path?.length === 2 && path[0] === 1 ? wallet.at(1, path[1]!).script : undefined
    if (!sameBytes(a.script, ours) || !sameBytes(a.script, b.script) || a.amount !== b.amount)
      add('PSBT_CHANGE_MISMATCH', `output ${i}`)
  }
  if (problems.length > 0) return { problems }

  // Every input finalised, and its signature valid for the key of the coin it spends.
  const prevouts = Array.from({ length: exported.inputsLength }, (_, i) => {
    const w = exported.getInput(i).witnessUtxo!
    return { script: w.script, amount: w.amount }
  })
  for (let i = 0; i < signed.inputsLength; i++) {
    const input = signed.getInput(i)
    const witness = input.finalScriptWitness
    if (!witness || witness.length === 0 || (input.finalScriptSig && input.finalScriptSig.length > 0)) {
      add('PSBT_NOT_FINALIZED', `input ${i}`)
      continue
    }
    if (!validWitness(signed, i, witness, prevouts)) add('PSBT_SIGNATURE_INVALID', `input ${i}`)
  }
  if (problems.length > 0) return { problems }

  const inputs = prevouts.reduce((s, p) => s + p.amount, 0n)
  const outputs = Array.from({ length: signed.outputsLength }, (_, i) => signed.getOutput(i).amount!).reduce(
    (s, a) => s + a,
    0n,
  )
  const fee = inputs - outputs
  const vsize = BigInt(signed.vsize)
  if (fee > maxFeeRate * vsize || fee > exported.fee)
    add('PSBT_FEE_TOO_HIGH', `${fee} sat for ${vsize} vB (bound ${maxFeeRate} sat/vB)`)
  if (problems.length > 0) return { problems }
  return { problems, rawTx: toHex(signed.extract()), txid: signed.id }
}

/** One input's final witness: P2WPKH `[sig, pubkey]` (pubkey hashing to the program) or P2TR key path `[sig]`. */
function validWitness(
  tx: Transaction,
  idx: number,
  witness: Uint8Array[],
  prevouts: { script: Uint8Array; amount: bigint }[],
): boolean {
  const prev = prevouts[idx]!
  const decoded = OutScript.decode(prev.script)
  try {
    if (decoded.type === 'wpkh') {
      if (witness.length !== 2) return false
      const [sigWithType, pubkey] = witness as [Uint8Array, Uint8Array]
      if (!sameBytes(ripemd160(sha256(pubkey)), decoded.hash)) return false
      if (sigWithType[sigWithType.length - 1] !== SIGHASH_ALL) return false
      const hash = tx.preimageWitnessV0(
        idx,
        OutScript.encode({ type: 'pkh', hash: decoded.hash }),
        SIGHASH_ALL,
        prev.amount,
      )
      return secp256k1.verify(sigWithType.subarray(0, -1), hash, pubkey, { prehash: false, format: 'der' })
    }
    if (decoded.type === 'tr') {
      if (witness.length !== 1) return false
      const sig = witness[0]!
      if (sig.length !== 64 && !(sig.length === 65 && sig[64] === SIGHASH_ALL)) return false
      const hashType = sig.length === 64 ? 0 : SIGHASH_ALL
      const msg = tx.preimageWitnessV1(
        idx,
        prevouts.map((p) => p.script),
        hashType,
        prevouts.map((p) => p.amount),
      )
      return schnorr.verify(sig.subarray(0, 64), msg, decoded.pubkey)
    }
  } catch {
    return false
  }
  return false
}

function describeScript(wallet: BtcColdWallet, script: Uint8Array): string {
  try {
    return Address(wallet.network).encode(OutScript.decode(script))
  } catch {
    return 'a non-standard script'
  }
}

/**
 * Verifies each signed PSBT (see checkSignedPsbt) and records the raw transaction on its withdrawal,
 * which becomes `broadcast_pending_external`: the operator broadcasts the returned hex.
 */
export async function importPsbts(
  deps: PsbtImportDeps,
  file: PsbtSignedFile,
  options: { maxFeeRate?: bigint } = {},
): Promise<PsbtImportResult> {
  const maxFeeRate = options.maxFeeRate ?? DEFAULT_MAX_FEE_RATE
  const out: PsbtImportResult = { accepted: [], refused: [] }
  const refuse = (withdrawalId: string, problems: [PsbtRefusalCode, string][]) =>
    out.refused.push({
      withdrawalId,
      codes: problems.map(([c]) => c),
      problems: problems.map(([c, p]) => `${c}: ${p}`),
    })
  for (const w of file.withdrawals) {
    const row = (await deps.db
      .selectFrom('custody_withdrawals')
      .selectAll()
      .where(
        'id',
        '=',
        /^[0-9a-f-]{36}$/.test(w.withdrawalId) ? w.withdrawalId : '00000000-0000-0000-0000-000000000000',
      )
      .executeTakeFirst()) as WithdrawalRow | undefined
    if (!row) {
      refuse(w.withdrawalId, [['PSBT_UNKNOWN_WITHDRAWAL', PSBT_REFUSALS.PSBT_UNKNOWN_WITHDRAWAL]])
      continue
    }
    if (
      row.asset !== 'BTC' ||
      row.status !== 'signing' ||
      row.signing_mode !== 'offline' ||
      row.signed_tx !== null ||
      !row.unsigned_tx
    ) {
      refuse(w.withdrawalId, [
        ['PSBT_NOT_AWAITING_SIGNATURE', `${PSBT_REFUSALS.PSBT_NOT_AWAITING_SIGNATURE} (it is ${row.status})`],
      ])
      continue
    }
    if (payloadHash(btcPayloadOf(row)) !== row.payload_hash || w.payloadHash !== row.payload_hash) {
      refuse(w.withdrawalId, [['PSBT_PAYLOAD_HASH_MISMATCH', PSBT_REFUSALS.PSBT_PAYLOAD_HASH_MISMATCH]])
      continue
    }
    const check = checkSignedPsbt(w.psbt, row, deps.wallet, maxFeeRate)
    if (check.problems.length > 0 || !check.rawTx || !check.txid) {
      refuse(w.withdrawalId, check.problems)
      continue
    }
    const { rawTx, txid } = check
    try {
      await deps.withdrawals.transition(row.id, ['signing'], 'cli', async (_tx, locked) => {
        if (locked.signed_tx !== null || locked.unsigned_tx !== row.unsigned_tx)
          throw new AppError('WITHDRAWAL_STATE', 409, 'Already imported.')
        return {
          status: 'broadcast_pending_external',
          set: { signed_tx: rawTx, tx_hash: txid },
          step: {
            step: 'signing',
            verdict: 'pass',
            detail: `cold wallet signatures verified; transaction ${txid} handed to the operator to broadcast`,
          },
          audit: { txid, xpub: deps.wallet.xpub },
        }
      })
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'WITHDRAWAL_STATE')) throw error
      refuse(w.withdrawalId, [['PSBT_NOT_AWAITING_SIGNATURE', PSBT_REFUSALS.PSBT_NOT_AWAITING_SIGNATURE]])
      continue
    }
    out.accepted.push({ withdrawalId: row.id, txid, rawTx })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Confirmations reported by the operator

export type BtcConfirmResult =
  | { withdrawalId: string; status: 'confirmed'; confirmations: number; needed: number }
  | { withdrawalId: string; status: 'broadcast_pending_external'; confirmations: number; needed: number }

/**
 * Records the confirmations the operator read for a broadcast Bitcoin withdrawal (by txid). With
 * `needed` or more (CUSTODY_CONFIRMATIONS BTC=), it completes: pending → cold wallet, fees and the
 * insurance fund, under the fixed ledger key `withdrawal:<id>:complete`; fewer are recorded only.
 */
export async function confirmBtcWithdrawal(
  deps: { db: Db; clock: Pick<Clock, 'now'>; withdrawals: Withdrawals },
  txid: string,
  confirmations: number,
  needed: number,
): Promise<BtcConfirmResult> {
  const row = (await deps.db
    .selectFrom('custody_withdrawals')
    .selectAll()
    .where('tx_hash', '=', txid)
    .where('asset', '=', 'BTC')
    .executeTakeFirst()) as WithdrawalRow | undefined
  if (!row)
    throw new AppError('WITHDRAWAL_NOT_FOUND', 404, `No Bitcoin withdrawal has the transaction ${txid}.`)
  if (row.status !== 'broadcast_pending_external')
    throw new AppError(
      'WITHDRAWAL_STATE',
      409,
      `The withdrawal of transaction ${txid} is ${row.status.replaceAll('_', ' ')}, not waiting for confirmations.`,
    )
  if (confirmations < needed) {
    await deps.db
      .updateTable('custody_withdrawals')
      .set({ confirmations, updated_at: deps.clock.now() })
      .where('id', '=', row.id)
      .where('status', '=', 'broadcast_pending_external')
      .execute()
    return { withdrawalId: row.id, status: 'broadcast_pending_external', confirmations, needed }
  }
  const ledger = createLedger({ db: deps.db, clock: deps.clock })
  await deps.withdrawals.transition(row.id, ['broadcast_pending_external'], 'cli', async (tx, locked) => {
    await ledger.post(tx, {
      key: `withdrawal:${locked.id}:complete`,
      kind: 'withdrawal',
      ref: `withdrawal:${locked.id}`,
      entries: completionEntries(locked, 'cold_wallet'),
    })
    return {
      status: 'confirmed',
      set: {
        confirmations,
        broadcast_at: locked.broadcast_at ?? deps.clock.now(),
        completed_at: deps.clock.now(),
        funds_held: false,
      },
      step: {
        step: 'confirmations',
        verdict: 'pass',
        detail: `${confirmations} of ${needed}, reported by the operator`,
      },
      audit: { txid, confirmations },
    }
  })
  return { withdrawalId: row.id, status: 'confirmed', confirmations, needed }
}
