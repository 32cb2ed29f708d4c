/**
 * @module The hot-wallet signer: a private key from CUSTODY_HOT_WALLET_KEY (or the file
 * CUSTODY_HOT_WALLET_KEY_FILE), held in process memory only — never in the database or logs — and
 * used to sign EIP-1559 withdrawals up to the policy's `hotWalletMax`. Everything larger goes
 * through offline signing (offline.ts).
 */
import { readFileSync } from 'node:fs'
import type { Hex, TransactionSerializableEIP1559 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

export type HotSigner = {
  address: Hex
  sign(tx: TransactionSerializableEIP1559): Promise<Hex>
}

/** A signer from a 64-hex-digit private key. */
export function hotSignerFromKey(key: string): HotSigner {
  const hex = (key.startsWith('0x') ? key : `0x${key}`) as Hex
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new Error('the hot-wallet key must be 64 hex digits')
  const account = privateKeyToAccount(hex)
  return { address: account.address, sign: (tx) => account.signTransaction(tx) }
}

/** The configured hot signer, or null when neither variable is set. */
export function configuredHotSigner(config: {
  CUSTODY_HOT_WALLET_KEY?: string | undefined
  CUSTODY_HOT_WALLET_KEY_FILE?: string | undefined
}): HotSigner | null {
  if (config.CUSTODY_HOT_WALLET_KEY) return hotSignerFromKey(config.CUSTODY_HOT_WALLET_KEY)
  if (config.CUSTODY_HOT_WALLET_KEY_FILE)
    return hotSignerFromKey(readFileSync(config.CUSTODY_HOT_WALLET_KEY_FILE, 'utf8').trim())
  return null
}
