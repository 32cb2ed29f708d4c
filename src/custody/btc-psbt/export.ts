/**
 * @module Export: every approved BTC withdrawal becomes a PSBT spending the cold wallet's listed UTXOs,
 * paying exactly the approved amount and address, change to the wallet's next change address.
 */
import { Transaction } from '@scure/btc-signer'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError } from '../../platform/errors.ts'
import type { BtcAddressType } from '../derivation.ts'
import type { WithdrawalRow, Withdrawals } from '../withdrawals.ts'
import { btcPayloadOf, decodePsbt, encodePsbt, type PsbtUnsignedFile, toHex } from './files.ts'
import { type BtcColdWallet, derivationFields, scriptOf, type Utxo, type WalletKey } from './wallet.ts'

/** Below this a change output is not worth creating (Bitcoin Core's dust limit for any output). */
export const DUST_SATS = 546n
/** Opt-in RBF (BIP125), so the operator can have a stuck transaction replaced after re-signing. */
const SEQUENCE = 0xfffffffd

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
