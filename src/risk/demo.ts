/**
 * @module Demo activity for the analyst console: a burst of failed sign-ins against one customer
 * (credential stuffing) and, on another, the classic takeover sequence — new device, password
 * change, whitelist change, then a withdrawal far above the usual to a new address — after weeks
 * of ordinary withdrawals. The events go through the real risk service, so the alerts analysts
 * see are the ones the bundled rules and models raise.
 */
import type { DemoSeeder } from '../demo/seed.ts'
import type { RiskEventInput } from './schema.ts'
import { parseRiskEvent } from './schema.ts'
import { createRiskService } from './service.ts'

/** An event of any type without its id and version (distributes over the union). */
type NewEvent = RiskEventInput extends infer E ? (E extends unknown ? Omit<E, 'id' | 'v'> : never) : never

const HOUR = 3_600_000
const DAY = 24 * HOUR

export const seedRiskDemo: DemoSeeder = async ({ db, clock, users }) => {
  const now = clock.now().getTime()
  const victim = users.bruno
  const stuffed = users.dmitri
  if (!victim || !stuffed) return
  const events: RiskEventInput[] = []
  let n = 0
  const add = (e: NewEvent) => events.push({ ...e, v: 1, id: `demo-${++n}` } as RiskEventInput)

  // Bruno: three weeks of ordinary life — the same laptop, modest withdrawals to two addresses.
  for (let day = 21; day >= 3; day -= 2) {
    const at = now - day * DAY
    add({ type: 'signin', at, account: victim, device: 'bruno-laptop', ip: '88.130.12.4', country: 'DE' })
    add({
      type: 'withdrawal_requested',
      at: at + HOUR,
      account: victim,
      device: 'bruno-laptop',
      asset: 'USDT',
      amount: String(150_000_000 + (day % 3) * 40_000_000),
      valueUsd: 150 + (day % 3) * 40,
      to:
        day % 4 === 1
          ? '0x1111111111111111111111111111111111111111'
          : '0x2222222222222222222222222222222222222222',
    })
  }
  // …then a device never seen before, a password change, a new whitelist entry, and a large withdrawal.
  const t0 = now - 6 * HOUR
  add({
    type: 'device_new',
    at: t0,
    account: victim,
    device: 'unknown-android',
    ip: '185.220.101.7',
    country: 'NL',
  })
  add({
    type: 'signin',
    at: t0 + 60_000,
    account: victim,
    device: 'unknown-android',
    ip: '185.220.101.7',
    country: 'NL',
  })
  add({
    type: 'password_changed',
    at: t0 + 5 * 60_000,
    account: victim,
    device: 'unknown-android',
    ip: '185.220.101.7',
  })
  add({
    type: 'whitelist_changed',
    at: t0 + 9 * 60_000,
    account: victim,
    change: 'added',
    address: '0x9999999999999999999999999999999999999999',
  })
  add({
    type: 'withdrawal_requested',
    at: t0 + 25 * 60_000,
    account: victim,
    device: 'unknown-android',
    ip: '185.220.101.7',
    asset: 'USDT',
    amount: '9500000000',
    valueUsd: 9500,
    to: '0x9999999999999999999999999999999999999999',
  })

  // Dmitri: a dozen failed sign-ins from rotating addresses within the hour.
  for (let i = 0; i < 12; i++) {
    add({
      type: 'signin_failed',
      at: now - 2 * HOUR + i * 3 * 60_000,
      account: stuffed,
      ip: `45.155.205.${10 + i}`,
    })
  }

  const risk = createRiskService({ db, clock })
  await risk.ingest(events.map(parseRiskEvent), 'system', { audit: false })
}
