/**
 * @module Feature extraction: updates an account's state with one event and returns the named
 * features rules and models read (window counts and sums, baselines, novelty, time since the last
 * security change, counterparty novelty, exposure). Feature names are stable; docs/risk.md lists them.
 */
import type { AddressExposure } from './propagation.ts'
import type { RiskEvent, RiskEventType } from './schema.ts'
import { RISK_EVENT_TYPES, SECURITY_CHANGE_TYPES } from './schema.ts'
import { type AccountStore, DAY, HOUR, windowSlot } from './state.ts'

const W_AUTH_FAILED_1D = windowSlot('auth_failed', '1d')
const W_AUTH_FAILED_1H = windowSlot('auth_failed', '1h')
const W_DEPOSITS_1D = windowSlot('deposits', '1d')
const W_DEPOSITS_1H = windowSlot('deposits', '1h')
const W_DEPOSITS_30D = windowSlot('deposits', '30d')
const W_EVENTS_1D = windowSlot('events', '1d')
const W_EVENTS_1H = windowSlot('events', '1h')
const W_EVENTS_1M = windowSlot('events', '1m')
const W_NEW_COUNTERPARTIES_1D = windowSlot('new_counterparties', '1d')
const W_NEW_COUNTERPARTIES_7D = windowSlot('new_counterparties', '7d')
const W_NEW_DEVICES_1D = windowSlot('new_devices', '1d')
const W_NEW_DEVICES_30D = windowSlot('new_devices', '30d')
const W_SECURITY_CHANGES_1D = windowSlot('security_changes', '1d')
const W_P2P_1D = windowSlot('p2p', '1d')
const W_P2P_1H = windowSlot('p2p', '1h')
const W_SECURITY_CHANGES_7D = windowSlot('security_changes', '7d')
const W_WITHDRAWALS_1D = windowSlot('withdrawals', '1d')
const W_WITHDRAWALS_1H = windowSlot('withdrawals', '1h')
const W_WITHDRAWALS_30D = windowSlot('withdrawals', '30d')
const W_WITHDRAWALS_7D = windowSlot('withdrawals', '7d')

export const FEATURE_NAMES = [
  'amount',
  'events.1m',
  'events.1h',
  'events.1d',
  'auth_failed.1h',
  'auth_failed.1d',
  'withdrawals.count.1h',
  'withdrawals.count.1d',
  'withdrawals.sum.1h',
  'withdrawals.sum.1d',
  'withdrawals.sum.7d',
  'withdrawals.sum.30d',
  'deposits.count.1h',
  'deposits.count.1d',
  'deposits.sum.1d',
  'deposits.sum.30d',
  'p2p.count.1h',
  'p2p.sum.1d',
  'security_changes.1d',
  'security_changes.7d',
  'new_counterparties.1d',
  'new_counterparties.7d',
  'new_devices.1d',
  'new_devices.30d',
  'device.new',
  'ip.new',
  'country.new',
  'counterparty.new',
  'hours_since_security_change',
  'hours_since_new_device',
  'account_age_days',
  'amount.ewma',
  'amount.p50',
  'amount.p95',
  'amount.ratio_p95',
  'amount.z',
  'amount.ratio_max',
  'passthrough.1d',
  'exposure.direct',
  'exposure.indirect',
  'exposure.hops',
  'exposure.account',
  'behaviour.score',
  'behaviour.surprise',
] as const
export type FeatureName = (typeof FEATURE_NAMES)[number]
export type Features = Record<FeatureName, number>

/** Hours reported when something never happened (kept finite so rules and JSON stay simple). */
export const NEVER_HOURS = 1e6

export const TYPE_CODE: Record<RiskEventType, number> = Object.fromEntries(
  RISK_EVENT_TYPES.map((t, i) => [t, i]),
) as Record<RiskEventType, number>

/** The fiat-comparable value of a money event: `valueUsd` when given, else the raw amount. */
export function eventValue(event: RiskEvent): number {
  if (!('amount' in event)) return 0
  return event.valueUsd ?? Number(event.amount)
}

export type ExposureLookup = (address: string) => AddressExposure | undefined

/** The counterparty of an event: destination address, source address or P2P peer. */
export function counterpartyOf(event: RiskEvent): string | undefined {
  switch (event.type) {
    case 'withdrawal_requested':
      return event.to
    case 'deposit':
      return event.from
    case 'p2p_order':
      return `acct:${event.counterparty}`
    case 'whitelist_changed':
      return event.address
    case 'chain_tx':
      return event.to
    default:
      return undefined
  }
}

/**
 * Applies `event` to the account at slot `i` and returns its features (computed after the update,
 * so "withdrawals.count.1h" includes this withdrawal; amount baselines are those before it).
 * With `out`, the features are written into that object (valid until the next call).
 */
export function extractFeatures(
  store: AccountStore,
  i: number,
  event: RiskEvent,
  exposure: ExposureLookup | undefined,
  out?: Features,
): Features {
  const at = event.at
  const type = event.type
  const value = eventValue(event)
  const isOut = type === 'withdrawal_requested' || (type === 'p2p_order' && event.side === 'sell')

  // Baselines before this event, so an outlier is judged against the past.
  const base = store.amountBaseline(i)
  // quantiles sort the recent amounts: only worth it where an amount is judged
  const p50 = isOut ? store.amountQuantile(i, 0.5) : Number.NaN
  const p95 = isOut ? store.amountQuantile(i, 0.95) : Number.NaN
  const firstAt = store.firstAt(i)
  store.touch(i, at)

  let deviceNew = 0
  let ipNew = 0
  let countryNew = 0
  let counterpartyNew = 0
  if ('device' in event && event.device !== undefined) {
    const fresh = store.knowsNone(i, 'device')
    if (store.remember(i, 'device', event.device) && !fresh) deviceNew = 1
  }
  if (type === 'device_new') deviceNew = 1
  if (deviceNew) {
    store.markNewDevice(i, at)
    store.add(i, 'new_devices', at)
  }
  if ('ip' in event && event.ip !== undefined) {
    const fresh = store.knowsNone(i, 'ip')
    if (store.remember(i, 'ip', event.ip) && !fresh) ipNew = 1
  }
  if ('country' in event && event.country !== undefined) {
    const fresh = store.knowsNone(i, 'country')
    if (store.remember(i, 'country', event.country) && !fresh) countryNew = 1
  }
  const cp = counterpartyOf(event)
  let direct = 0
  let indirect = 0
  let hops = 0
  if (cp !== undefined) {
    // A whitelisted address is not yet a counterparty: the first payment to it is still new.
    if (type !== 'whitelist_changed' && store.remember(i, 'counterparty', cp)) {
      counterpartyNew = 1
      store.add(i, 'new_counterparties', at)
    }
    const x = exposure?.(cp)
    if (x) {
      if (x.hops === 0) direct = x.score
      else {
        indirect = x.score
        hops = x.hops
      }
      store.raiseExposure(i, x.score)
    }
  }

  store.add(i, 'events', at)
  if (type === 'signin_failed' || type === 'second_factor_failed') store.add(i, 'auth_failed', at)
  if (SECURITY_CHANGE_TYPES.has(type)) {
    store.add(i, 'security_changes', at)
    store.markSecurityChange(i, at)
  }
  if (type === 'withdrawal_requested') store.add(i, 'withdrawals', at, value)
  if (type === 'deposit') store.add(i, 'deposits', at, value)
  if (type === 'p2p_order') {
    store.add(i, 'p2p', at, value)
    if (event.side === 'buy') store.add(i, 'deposits', at, value)
  }
  if (isOut) store.observeAmount(i, value)

  const secAt = store.securityChangedAt(i)
  const devAt = store.newDeviceAt(i)
  const wd1d = store.read(i, W_WITHDRAWALS_1D, at, 'sum')
  const dep1d = store.read(i, W_DEPOSITS_1D, at, 'sum')
  const logStd = Math.max(base.logStd, 0.5)
  // written into `out` when given: the engine reuses one object per event instead of allocating
  const f = out ?? ({} as Features)
  f.amount = value
  f['events.1m'] = store.read(i, W_EVENTS_1M, at)
  f['events.1h'] = store.read(i, W_EVENTS_1H, at)
  f['events.1d'] = store.read(i, W_EVENTS_1D, at)
  f['auth_failed.1h'] = store.read(i, W_AUTH_FAILED_1H, at)
  f['auth_failed.1d'] = store.read(i, W_AUTH_FAILED_1D, at)
  f['withdrawals.count.1h'] = store.read(i, W_WITHDRAWALS_1H, at)
  f['withdrawals.count.1d'] = store.read(i, W_WITHDRAWALS_1D, at)
  f['withdrawals.sum.1h'] = store.read(i, W_WITHDRAWALS_1H, at, 'sum')
  f['withdrawals.sum.1d'] = wd1d
  f['withdrawals.sum.7d'] = store.read(i, W_WITHDRAWALS_7D, at, 'sum')
  f['withdrawals.sum.30d'] = store.read(i, W_WITHDRAWALS_30D, at, 'sum')
  f['deposits.count.1h'] = store.read(i, W_DEPOSITS_1H, at)
  f['deposits.count.1d'] = store.read(i, W_DEPOSITS_1D, at)
  f['deposits.sum.1d'] = dep1d
  f['deposits.sum.30d'] = store.read(i, W_DEPOSITS_30D, at, 'sum')
  f['p2p.count.1h'] = store.read(i, W_P2P_1H, at)
  f['p2p.sum.1d'] = store.read(i, W_P2P_1D, at, 'sum')
  f['security_changes.1d'] = store.read(i, W_SECURITY_CHANGES_1D, at)
  f['security_changes.7d'] = store.read(i, W_SECURITY_CHANGES_7D, at)
  f['new_counterparties.1d'] = store.read(i, W_NEW_COUNTERPARTIES_1D, at)
  f['new_counterparties.7d'] = store.read(i, W_NEW_COUNTERPARTIES_7D, at)
  f['new_devices.1d'] = store.read(i, W_NEW_DEVICES_1D, at)
  f['new_devices.30d'] = store.read(i, W_NEW_DEVICES_30D, at)
  f['device.new'] = deviceNew
  f['ip.new'] = ipNew
  f['country.new'] = countryNew
  f['counterparty.new'] = counterpartyNew
  f.hours_since_security_change = Number.isNaN(secAt) ? NEVER_HOURS : (at - secAt) / HOUR
  f.hours_since_new_device = Number.isNaN(devAt) ? NEVER_HOURS : (at - devAt) / HOUR
  f.account_age_days = Number.isNaN(firstAt) ? 0 : (at - firstAt) / DAY
  f['amount.ewma'] = base.n > 0 ? Math.exp(base.logMean) : 0
  f['amount.p50'] = Number.isNaN(p50) ? 0 : p50
  f['amount.p95'] = Number.isNaN(p95) ? 0 : p95
  f['amount.ratio_p95'] = isOut && p95 > 0 ? value / p95 : 0
  f['amount.z'] = isOut && base.n > 0 && value > 0 ? (Math.log(value) - base.logMean) / logStd : 0
  f['amount.ratio_max'] = isOut && base.max > 0 ? value / base.max : 0
  f['passthrough.1d'] = dep1d > 0 ? wd1d / dep1d : 0
  f['exposure.direct'] = direct
  f['exposure.indirect'] = indirect
  f['exposure.hops'] = hops
  f['exposure.account'] = store.exposure(i)
  f['behaviour.score'] = 0
  f['behaviour.surprise'] = 0
  return f
}
