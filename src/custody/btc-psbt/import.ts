/**
 * @module Import: nothing in the signed file is trusted; the transaction must be the exported one, the fee
 * within the bound, every input's signature valid for the key that owns it.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Address, OutScript, type Transaction } from '@scure/btc-signer'
import type { Db } from '../../platform/db/index.ts'
import { AppError } from '../../platform/errors.ts'
import { payloadHash, type WithdrawalRow, type Withdrawals } from '../withdrawals.ts'
import { btcPayloadOf, decodePsbt, type PsbtSignedFile, sameBytes, toHex } from './files.ts'
import { type BtcColdWallet, scriptOf } from './wallet.ts'

/** The only signature hash import accepts: SIGHASH_ALL (0x01), or DEFAULT (0x00) for taproot. */
const SIGHASH_ALL = 0x01

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
