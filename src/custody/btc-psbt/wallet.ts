/**
 * @module The cold wallet as the server sees it (account xpub, address type, network) and the UTXO file the
 * operator supplies.
 */
import { Address, NETWORK, OutScript, p2tr, p2wpkh, TEST_NETWORK } from '@scure/btc-signer'
import type { BTC_NETWORK } from '@scure/btc-signer/utils.js'
import { type BtcAddressType, parseExtendedPublicKey } from '../derivation.ts'

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
export function derivationFields(wallet: BtcColdWallet, key: WalletKey) {
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
