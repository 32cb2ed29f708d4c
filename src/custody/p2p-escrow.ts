/**
 * @module P2P's `EscrowLedger` on the custody ledger, for when P2P escrow moves onto it (P2P still
 * uses its own small ledger today). Mapping: P2P `available` → custody `available`, P2P `escrow` →
 * custody `locked`, P2P's `external` → the exchange's `external_clearing`. Holds, releases and
 * refunds are keyed by operation and order (`p2p:hold:order:<id>`), so each happens at most once
 * per order even if P2P retries; P2P deposits have no natural key (demo funding repeats its ref) and
 * get a fresh one each time.
 */
import type { Balance, EscrowLedger } from '../p2p/index.ts'
import { isCustodyAsset } from './assets.ts'
import type { Ledger } from './ledger.ts'

/**
 * @example const p2p = createP2p({ ...deps, ledger: custodyEscrowLedger(createLedger({ db, clock })) })
 */
export function custodyEscrowLedger(ledger: Ledger): EscrowLedger {
  return {
    async deposit(tx, m) {
      await ledger.move(tx, {
        key: `p2p:deposit:${crypto.randomUUID()}`,
        kind: 'p2p_deposit',
        ref: m.ref,
        amount: m.amount,
        from: { owner: null, asset: m.asset, kind: 'external_clearing' },
        to: { owner: m.owner, asset: m.asset, kind: 'available' },
      })
    },
    async hold(tx, m) {
      await ledger.hold(tx, {
        key: `p2p:hold:${m.ref}`,
        ref: m.ref,
        owner: m.owner,
        asset: m.asset,
        amount: m.amount,
      })
    },
    async release(tx, m) {
      await ledger.release(tx, {
        key: `p2p:release:${m.ref}`,
        ref: m.ref,
        owner: m.owner,
        to: m.to,
        asset: m.asset,
        amount: m.amount,
      })
    },
    async refund(tx, m) {
      await ledger.release(tx, {
        key: `p2p:refund:${m.ref}`,
        ref: m.ref,
        owner: m.owner,
        asset: m.asset,
        amount: m.amount,
      })
    },
    async balances(db, owner) {
      const byAsset = new Map<string, Balance>()
      for (const b of await ledger.balances(db, owner)) {
        if (!isCustodyAsset(b.asset) || (b.kind !== 'available' && b.kind !== 'locked')) continue
        const entry = byAsset.get(b.asset) ?? { asset: b.asset, available: 0n, escrow: 0n }
        if (b.kind === 'available') entry.available = b.balance
        else entry.escrow = b.balance
        byAsset.set(b.asset, entry)
      }
      return [...byAsset.values()]
    },
  }
}
