/**
 * @module What each external format can and cannot prove, stated once so the CLI, the docs and the
 * web page say the same thing. Background: a Merkle *sum* tree whose parent hash commits only to the
 * children's hashes and the *total* (OKX v1, Bybit, Bitget) lets a dishonest exchange show every
 * user a consistent path while the root total is smaller than the real sum (the "sum-max" attack of
 * Ji & Chalkias, "Generalized Proof of Liabilities", 2021): each user sees fabricated sibling sums
 * that no hash binds.
 */
import type { ExternalFormat } from './types.ts'

export const GUARANTEES: Record<ExternalFormat, { can: string[]; cannot: string[] }> = {
  'okx-v1': {
    can: [
      'Your leaf (nonce + balances) is included under the published root hash.',
      'Each parent total on your path equals the sum of the two children shown.',
    ],
    cannot: [
      'Parents commit only to the sum, not to each child’s sum: sibling sums on your path are unbound, so the exchange can understate the root total (sum-max attack).',
      'Negative balances and fake users elsewhere in the tree are invisible to you.',
      'Nothing ties the root to reserves; only the exchange’s separate reserve report does.',
    ],
  },
  'okx-v2': {
    can: [
      'Your leaves are in the full published tree, and every parent of the whole tree is recomputed from its children, so the root total is the exact sum of all leaves.',
      'Because the full tree is public, understating a sibling sum (sum-max) is detected.',
    ],
    cannot: [
      'Leaves are opaque hashes: fake or negative-balance accounts cannot be told apart from real ones.',
      'Publishing the full tree reveals every leaf balance (not linkable to identities, but the distribution leaks).',
    ],
  },
  bybit: {
    can: [
      'Your leaf (user hash + balances) is included under the published root hash.',
      'Each parent total on your path equals the sum of the two children shown.',
    ],
    cannot: [
      'Parents commit only to the sum (sum-max attack possible, as in OKX v1).',
      'Balances are concatenated without separators before hashing; the format relies on fixed decimals to stay unambiguous.',
      'Fake or negative-balance accounts elsewhere are invisible.',
    ],
  },
  bitget: {
    can: ['Your leaf (encrypted uid, nonce, balances) is included under the published root hash.'],
    cannot: [
      'Hashes are truncated to 64 bits: two different leaves with one hash can be found with about 2^32 work, so one leaf can be shown to two users.',
      'Parents commit only to the sum (sum-max attack possible).',
      'Sibling sums can be negative (netted debts): negative nodes can hide liabilities.',
    ],
  },
  binance: {
    can: [
      'Your account leaf, recomputed from your own balances (equity, debt, collateral per asset), is at your account index under the published account-tree root (Poseidon over BN254).',
    ],
    cannot: [
      'The Merkle tree carries no sums: that the totals add up and no account is negative is proved only by the zk-SNARK batch proofs, which this command does not verify.',
      'The leaf layout and the Poseidon output word changed across Binance releases; Bulwark tries the published layouts and says which one matched.',
    ],
  },
  'okx-reserves': {
    can: [
      'Each signed address signed OKX’s message with the key that owns it (EVM, Bitcoin P2PKH/P2SH/P2WSH multisig, TRON).',
    ],
    cannot: [
      'The signed message is static ("I am an OKX address"): it is not bound to a round, a date or a snapshot, so an old signature can be replayed, and a key that signed once proves nothing about today.',
      'Amounts are what the file declares; they are checked against a chain only with an RPC endpoint at the stated snapshot height.',
      'Contract wallets are checked through their listed owner EOAs only; whether those EOAs really own the contract needs an on-chain read.',
    ],
  },
}
