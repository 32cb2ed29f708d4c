/**
 * @module Seeded generator of synthetic exchange traffic for evaluating the behaviour model: normal
 * accounts, account takeovers and money mules mixed in one time-ordered stream, with ground truth.
 * Kept apart from the model code (src/risk) on purpose: the model never sees how data was made.
 *
 * How the data is made (also in docs/risk.md):
 * - Normal accounts have a home country, 1–2 devices, a few home IPs, a personal amount scale
 *   (log-normal across accounts) and activity rates. They sign in (3% after a typo failure),
 *   deposit, withdraw mostly to 1–3 known addresses (15% of withdrawals go to a new address),
 *   sometimes trade P2P, travel (3% of sign-ins from another country), change phones (1.5% of
 *   sign-ins bring a new device, often followed by a password change), change passwords and
 *   whitelists, and 5% make one legitimate withdrawal 5–20× their usual size ("hard normals").
 * - Takeovers hit accounts with history during the evaluation window. Each step is random: failed
 *   attempts (0–5), sign-in from a new device and IP (new country 70%), device_new (80%), password
 *   change (60%), 2FA change (30%), e-mail change (20%), whitelist add (70%), then one or more
 *   withdrawals to the attacker's new address of 1–40× the usual amount (20% are only 1–2×).
 *   15% are patient: 1–3 days between the security change and the withdrawal.
 * - Mules are fresh accounts that receive P2P buys and deposits from 4–30 distinct counterparties
 *   over 1–5 days and send 70–100% out to new addresses within a day.
 */
import type { RiskEvent } from '../../src/risk/schema.ts'

export type ScenarioOptions = {
  seed: number
  normalAccounts: number
  takeovers: number
  mules: number
  days: number
  /** Attacks happen only after this many days (history to learn from). */
  warmupDays: number
  start?: number
}

export type Truth = {
  kind: 'takeover' | 'mule'
  account: string
  startAt: number
  /** Events produced by the attacker / the mule, any alert on which counts as caught. */
  eventIds: string[]
}

export type Scenario = {
  events: RiskEvent[]
  truth: Truth[]
  normalAccounts: string[]
  options: ScenarioOptions
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'BR', 'NG', 'IN', 'JP', 'KR', 'TR', 'VN', 'AR', 'ES', 'IT', 'PL']

/** mulberry32: small, fast, seedable; randomness quality is ample for simulation. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = () => {
    const u = Math.max(next(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
  }
  return {
    next,
    chance: (p: number) => next() < p,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    normal,
    logNormal: (mu: number, sigma: number) => Math.exp(mu + sigma * normal()),
    /** exponential waiting time with the given mean */
    exp: (mean: number) => -Math.log(Math.max(next(), 1e-12)) * mean,
  }
}
type Rng = ReturnType<typeof rng>

function hex(r: Rng, n: number) {
  let s = ''
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r.next() * 16)]
  return s
}

/**
 * Generates a scenario. Same options, same events.
 * @example const s = generateScenario({ seed: 1, normalAccounts: 100, takeovers: 10, mules: 5, days: 30, warmupDays: 20 })
 */
export function generateScenario(options: ScenarioOptions): Scenario {
  const r = rng(options.seed)
  const start = options.start ?? Date.UTC(2026, 0, 1)
  const end = start + options.days * DAY
  const evalFrom = start + options.warmupDays * DAY
  const events: RiskEvent[] = []
  const truth: Truth[] = []
  const normalAccounts: string[] = []
  let seq = 0
  const id = (acct: string) => `${acct}-${(seq++).toString(36)}`

  type Profile = {
    account: string
    country: string
    devices: string[]
    ips: string[]
    scale: number
    addresses: string[]
    signinPerDay: number
    withdrawPerWeek: number
    depositPerWeek: number
    p2p: boolean
    bigOnce: boolean
  }
  const profiles: Profile[] = []
  const total = options.normalAccounts + options.takeovers
  for (let k = 0; k < total; k++) {
    const account = `acct-${options.seed}-${k}`
    profiles.push({
      account,
      country: r.pick(COUNTRIES),
      devices: Array.from({ length: r.int(1, 2) }, () => `dev-${hex(r, 12)}`),
      ips: Array.from({ length: r.int(1, 3) }, () => `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`),
      scale: r.logNormal(Math.log(300), 1.2),
      addresses: Array.from({ length: r.int(1, 3) }, () => `0x${hex(r, 40)}`),
      signinPerDay: r.logNormal(Math.log(0.6), 0.7),
      withdrawPerWeek: r.logNormal(Math.log(0.8), 0.7),
      depositPerWeek: r.logNormal(Math.log(1), 0.6),
      p2p: r.chance(0.2),
      bigOnce: r.chance(0.05),
    })
  }

  for (const p of profiles) normalTraffic(p)
  // takeovers reuse the last `takeovers` profiles: they have normal history first
  for (const p of profiles.slice(options.normalAccounts)) takeover(p)
  for (const p of profiles.slice(0, options.normalAccounts)) normalAccounts.push(p.account)
  for (let m = 0; m < options.mules; m++) mule(`mule-${options.seed}-${m}`)

  events.sort((a, b) => a.at - b.at)
  return { events, truth, normalAccounts, options }

  function push(e: RiskEvent) {
    if (e.at < end) events.push(e)
  }

  function normalTraffic(p: Profile) {
    let t = start + r.exp(DAY / p.signinPerDay)
    let bigDone = !p.bigOnce
    while (t < end) {
      const travelling = r.chance(0.03)
      let device = r.pick(p.devices)
      let ip = r.pick(p.ips)
      const country = travelling ? r.pick(COUNTRIES) : p.country
      if (travelling) ip = `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`
      const base = { v: 1 as const, account: p.account, device, ip, country }
      if (r.chance(0.03))
        push({ ...base, id: id(p.account), at: t - 30_000, type: 'signin_failed', reason: 'password' })
      if (r.chance(0.015)) {
        device = `dev-${hex(r, 12)}`
        p.devices.push(device)
        if (p.devices.length > 3) p.devices.shift()
        push({ ...base, device, id: id(p.account), at: t, type: 'device_new' })
        if (r.chance(0.3))
          push({ ...base, device, id: id(p.account), at: t + r.exp(2 * DAY), type: 'password_changed' })
      }
      push({ ...base, device, id: id(p.account), at: t + 1000, type: 'signin' })
      let u = t + 60_000
      if (r.chance(p.depositPerWeek / 7 / p.signinPerDay)) {
        const value = p.scale * r.logNormal(0, 0.8)
        push({
          v: 1,
          id: id(p.account),
          at: u,
          account: p.account,
          type: 'deposit',
          asset: 'USDT',
          amount: BigInt(Math.round(value * 1e6)),
          valueUsd: value,
          from: `0x${hex(r, 40)}`,
        })
        u += r.exp(10 * 60_000)
      }
      if (r.chance(0.01)) push({ ...base, device, id: id(p.account), at: u, type: 'password_changed' })
      if (r.chance(0.02)) {
        const addr = `0x${hex(r, 40)}`
        p.addresses.push(addr)
        push({
          ...base,
          device,
          id: id(p.account),
          at: u,
          type: 'whitelist_changed',
          change: 'added',
          address: addr,
        })
        u += r.exp(HOUR)
      }
      if (r.chance(p.withdrawPerWeek / 7 / p.signinPerDay)) {
        let value = p.scale * r.logNormal(0, 0.7)
        if (!bigDone && t > evalFrom && r.chance(0.3)) {
          value *= 5 + r.next() * 15
          bigDone = true
        }
        const to = r.chance(0.15) ? `0x${hex(r, 40)}` : r.pick(p.addresses)
        push({
          ...base,
          device,
          id: id(p.account),
          at: u + r.exp(5 * 60_000),
          type: 'withdrawal_requested',
          asset: 'USDT',
          amount: BigInt(Math.round(value * 1e6)),
          valueUsd: value,
          to,
        })
      }
      if (p.p2p && r.chance(0.1)) {
        const value = p.scale * r.logNormal(0, 0.6)
        push({
          ...base,
          device,
          id: id(p.account),
          at: u + 120_000,
          type: 'p2p_order',
          asset: 'USDT',
          amount: BigInt(Math.round(value * 1e6)),
          valueUsd: value,
          side: r.chance(0.5) ? 'buy' : 'sell',
          counterparty: `acct-p2p-${r.int(0, 50)}`,
        })
      }
      t += r.exp(DAY / p.signinPerDay)
    }
  }

  function takeover(p: Profile) {
    const ids: string[] = []
    const startAt = evalFrom + r.next() * (end - evalFrom - 4 * DAY)
    const device = `dev-${hex(r, 12)}`
    const ip = `172.${r.int(16, 31)}.${r.int(0, 255)}.${r.int(1, 254)}`
    const country = r.chance(0.7) ? r.pick(COUNTRIES.filter((c) => c !== p.country)) : p.country
    const base = { v: 1 as const, account: p.account, device, ip, country }
    let t = startAt
    const emit = (e: RiskEvent) => {
      ids.push(e.id)
      push(e)
    }
    const later = (mean: number) => {
      t += r.exp(mean)
      return t
    }
    for (let k = r.int(0, 5); k > 0; k--) {
      emit({ ...base, id: id(p.account), at: t, type: 'signin_failed', reason: 'password' })
      t += r.exp(60_000)
    }
    if (r.chance(0.8)) emit({ ...base, id: id(p.account), at: t, type: 'device_new' })
    emit({ ...base, id: id(p.account), at: t + 1000, type: 'signin' })
    t += r.exp(5 * 60_000)
    if (r.chance(0.6)) emit({ ...base, id: id(p.account), at: later(5 * 60_000), type: 'password_changed' })
    if (r.chance(0.3))
      emit({ ...base, id: id(p.account), at: later(5 * 60_000), type: 'second_factor_changed' })
    if (r.chance(0.2)) emit({ ...base, id: id(p.account), at: later(5 * 60_000), type: 'email_changed' })
    const drop = `0x${hex(r, 40)}`
    if (r.chance(0.7))
      emit({
        ...base,
        id: id(p.account),
        at: later(5 * 60_000),
        type: 'whitelist_changed',
        change: 'added',
        address: drop,
      })
    if (r.chance(0.15)) t += DAY + r.next() * 2 * DAY
    const factor = r.chance(0.2) ? 1 + r.next() : 3 + r.next() * 37
    for (let k = r.chance(0.3) ? r.int(2, 4) : 1; k > 0; k--) {
      t += r.exp(10 * 60_000)
      emit({ ...base, id: id(p.account), at: t, type: 'signin' })
      const value = p.scale * factor * r.logNormal(0, 0.3)
      emit({
        ...base,
        id: id(p.account),
        at: t + 30_000,
        type: 'withdrawal_requested',
        asset: 'USDT',
        amount: BigInt(Math.round(value * 1e6)),
        valueUsd: value,
        to: drop,
      })
    }
    truth.push({ kind: 'takeover', account: p.account, startAt, eventIds: ids })
  }

  function mule(account: string) {
    const ids: string[] = []
    const startAt = evalFrom + r.next() * (end - evalFrom - 6 * DAY)
    const base = {
      v: 1 as const,
      account,
      device: `dev-${hex(r, 12)}`,
      ip: `10.9.${r.int(0, 255)}.1`,
      country: r.pick(COUNTRIES),
    }
    const emit = (e: RiskEvent) => {
      ids.push(e.id)
      push(e)
    }
    let t = startAt
    emit({ ...base, id: id(account), at: t, type: 'signin' })
    const spanDays = 1 + r.next() * 4
    const n = r.chance(0.3) ? r.int(4, 8) : r.int(8, 30)
    let inflow = 0
    for (let k = 0; k < n; k++) {
      t = startAt + (k / n) * spanDays * DAY + r.exp(HOUR)
      const value = r.logNormal(Math.log(400), 0.5)
      inflow += value
      if (r.chance(0.6)) {
        emit({
          ...base,
          id: id(account),
          at: t,
          type: 'p2p_order',
          asset: 'USDT',
          amount: BigInt(Math.round(value * 1e6)),
          valueUsd: value,
          side: 'buy',
          counterparty: `victim-${hex(r, 8)}`,
        })
      } else {
        emit({
          v: 1,
          id: id(account),
          at: t,
          account,
          type: 'deposit',
          asset: 'USDT',
          amount: BigInt(Math.round(value * 1e6)),
          valueUsd: value,
          from: `0x${hex(r, 40)}`,
        })
      }
      if (r.chance(0.4) || k === n - 1) {
        const out = inflow * (0.7 + r.next() * 0.3)
        inflow -= out
        t += r.exp(3 * HOUR)
        emit({ ...base, id: id(account), at: t, type: 'signin' })
        emit({
          ...base,
          id: id(account),
          at: t + 60_000,
          type: 'withdrawal_requested',
          asset: 'USDT',
          amount: BigInt(Math.round(out * 1e6)),
          valueUsd: out,
          to: `0x${hex(r, 40)}`,
        })
      }
    }
    truth.push({ kind: 'mule', account, startAt, eventIds: ids })
  }
}
