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
export { type BtcConfirmResult, confirmBtcWithdrawal } from './btc-psbt/confirm.ts'
export {
  buildWithdrawalPsbt,
  DUST_SATS,
  exportPsbts,
  type PsbtExportDeps,
  type PsbtExportResult,
} from './btc-psbt/export.ts'
export {
  type PsbtSignedFile,
  type PsbtUnsignedFile,
  psbtSignedFileSchema,
  psbtUnsignedFileSchema,
} from './btc-psbt/files.ts'
export {
  checkSignedPsbt,
  DEFAULT_MAX_FEE_RATE,
  importPsbts,
  PSBT_REFUSALS,
  type PsbtImportDeps,
  type PsbtImportResult,
  type PsbtRefusalCode,
} from './btc-psbt/import.ts'
export { type BtcSigningKey, parseSigningKey, signPsbtFile } from './btc-psbt/sign.ts'
export {
  type BtcColdWallet,
  btcColdWallet,
  parseUtxosCsv,
  scriptOf,
  type Utxo,
  type UtxoIssue,
  type WalletKey,
} from './btc-psbt/wallet.ts'
