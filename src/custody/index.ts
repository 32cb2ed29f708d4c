/**
 * @module Custody's public surface: the exchange's double-entry ledger, deposit addresses derived
 * from operator xpubs, deposits (EVM watcher, Bitcoin file import) with screening before credit,
 * and P2P's escrow interface on the ledger. Other domains import from here only.
 */
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import type { EventBus } from '../platform/events.ts'
import { createDepositAddresses } from './addresses.ts'
import { createDeposits, type DepositsDeps, parseConfirmations, type Screen } from './deposits.ts'
import { createLedger } from './ledger.ts'
import { createEvmWatcher, type EvmClient } from './watcher.ts'

export type { DepositAddress, DepositAddresses } from './addresses.ts'
export type { CustodyAsset } from './assets.ts'
export { custodyAssets, formatAmount, isCustodyAsset } from './assets.ts'
export type { BtcImportSummary, ImportIssue } from './btc-import.ts'
export { importBtcDeposits, parseBtcDepositsCsv } from './btc-import.ts'
export type { DepositRow, Deposits, Screen, ScreenResult } from './deposits.ts'
export { DEMO_BTC_XPUB, DEMO_EVM_XPUB } from './derivation.ts'
export type { AccountRef, Balance, Entry, Ledger, PostInput, PostResult, VerifyResult } from './ledger.ts'
export { createLedger, describeProblem, NEGATIVE_KINDS, SYSTEM_KINDS } from './ledger.ts'
export { migrations } from './migrations.ts'
export { custodyEscrowLedger, moveLegacyP2pBalances, p2pEscrow } from './p2p-escrow.ts'
export { screenFromGuard, screenFromLists, screenWith } from './screening.ts'
export type { AccountKind, CustodyTables } from './tables.ts'
export type { EvmClient, EvmWatcher, PollResult } from './watcher.ts'
export { evmClient, runPolling } from './watcher.ts'

export type CustodyConfig = Pick<
  Config,
  | 'CUSTODY_EVM_XPUB'
  | 'CUSTODY_BTC_XPUB'
  | 'CUSTODY_BTC_ADDRESS_TYPE'
  | 'CUSTODY_EVM_TOKENS'
  | 'CUSTODY_CONFIRMATIONS'
>

export type CustodyDeps = {
  db: Db
  clock: Clock
  config: CustodyConfig
  /** Screens deposit senders before credit. */
  screen: Screen
  events?: Pick<EventBus, 'publish'>
  onHeld?: DepositsDeps['onHeld']
}

/** Parses `USDT=0x…,USDC=0x…` into a record. */
export function parseTokens(value: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of value.split(',').filter((p) => p.trim())) {
    const [asset, address] = pair.split('=').map((s) => s.trim())
    if (!asset || !address || !/^0x[0-9a-fA-F]{40}$/.test(address))
      throw new RangeError(`tokens: expected ASSET=0xcontract, got "${pair}"`)
    out[asset] = address
  }
  return out
}

/**
 * Custody with its dependencies bound.
 * @example const custody = createCustody({ db, clock, config, screen: await screenFromLists(config.GUARD_ADDRESS_LISTS) })
 */
export function createCustody(deps: CustodyDeps) {
  const ledger = createLedger({ db: deps.db, clock: deps.clock })
  const addresses = createDepositAddresses({
    db: deps.db,
    clock: deps.clock,
    evmXpub: deps.config.CUSTODY_EVM_XPUB,
    btcXpub: deps.config.CUSTODY_BTC_XPUB,
    btcAddressType: deps.config.CUSTODY_BTC_ADDRESS_TYPE,
  })
  const deposits = createDeposits({
    db: deps.db,
    clock: deps.clock,
    ledger,
    screen: deps.screen,
    confirmations: parseConfirmations(deps.config.CUSTODY_CONFIRMATIONS),
    ...(deps.events ? { events: deps.events } : {}),
    ...(deps.onHeld ? { onHeld: deps.onHeld } : {}),
  })
  const tokens = parseTokens(deps.config.CUSTODY_EVM_TOKENS)
  return {
    ledger,
    addresses,
    deposits,
    /** A watcher over an EVM client (`evmClient(url)`), crediting the configured tokens too. */
    evmWatcher: (client: EvmClient) =>
      createEvmWatcher({ db: deps.db, clock: deps.clock, client, deposits, tokens }),
  }
}
export type Custody = ReturnType<typeof createCustody>

/**
 * A screen that loads its lists on first use and tries again after a failed load (until then,
 * screening fails and deposits wait as pending: unscreened funds are never credited).
 */
export function lazyScreen(load: () => Promise<Screen>): Screen {
  let loading: Promise<Screen> | null = null
  return async (address) => {
    loading ??= load().catch((error: unknown) => {
      loading = null
      throw error
    })
    return (await loading)(address)
  }
}
