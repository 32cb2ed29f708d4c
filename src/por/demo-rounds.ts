/**
 * @module Demo proof-of-reserves history: six monthly rounds, published through the real life cycle (built by the
 * custody approver, reviewed by the auditor, published by the compliance officer), with the demo customers and
 * a few hundred synthetic accounts. One month shows USDT below 100% so the page's flag is visible.
 * The demo's reserves are made up (liabilities × 1.12 for BTC), declared totals no chain backs: each round
 * carries a recorded exemption "demo data", so the page shows them as declared, not verified.
 */
import { Readable } from 'node:stream'
import type { DemoSeeder } from '../demo/seed.ts'
import { createRounds } from './rounds.ts'

const ASSETS = 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nETH,10,3200,0.85\nUSDT,6,1,1\n'
const CUSTOMERS: Record<string, [string, string, string]> = {
  alice: ['0.5', '2.25', '1250.75'],
  bruno: ['0.02', '0', '15000'],
  chloe: ['1.2', '10', '-2500'],
  dmitri: ['0', '0.5', '80'],
}

/** The recorded reason the demo's reserve figures are published unverified. */
export const DEMO_EXEMPTION = 'demo data: made-up figures, no wallet was verified on any chain'

/** Seeds six published monthly rounds ending last month (needs the data directory for the trees). */
export const seedPorDemo: DemoSeeder = async ({ db, clock, users, dataDir }) => {
  if (!dataDir) return
  const builder = users.custody_approver
  const reviewer = users.auditor
  const publisher = users.compliance_officer
  if (!builder || !reviewer || !publisher) return
  const rounds = createRounds({ db, clock, dataDir, workers: 0 })
  const now = clock.now()
  for (let back = 6; back >= 1; back--) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1))
    const id = month.toISOString().slice(0, 7)
    const growth = 1 + (6 - back) * 0.03
    const rows = Object.entries(CUSTOMERS).flatMap(([key, amounts]) =>
      users[key] ? [`${users[key]},${amounts.join(',')}`] : [],
    )
    for (let i = 0; i < 300; i++) {
      const btc = (((i * 37) % 100) / 1000) * growth
      rows.push(
        `demo-${i},${btc.toFixed(8)},${((i % 9) * 0.1).toFixed(4)},${(((i * 13) % 500) * growth).toFixed(2)}`,
      )
    }
    const owed = { BTC: 0, ETH: 0, USDT: 0 }
    for (const r of rows) {
      const [, b, e, u] = r.split(',')
      owed.BTC += Number(b)
      owed.ETH += Number(e)
      owed.USDT += Number(u)
    }
    const usdtCover = back === 3 ? 0.97 : 1.08
    const reserves = `symbol,amount\nBTC,${(owed.BTC * 1.12).toFixed(8)}\nETH,${(owed.ETH * 1.05).toFixed(10)}\nUSDT,${(owed.USDT * usdtCover).toFixed(6)}\n`
    const file = (text: string) => Readable.from([Buffer.from(text)])
    await rounds.create(id, builder)
    await rounds.importFile(id, 'assets', file(ASSETS), builder)
    await rounds.importFile(id, 'liabilities', file(`user_id,BTC,ETH,USDT\n${rows.join('\n')}\n`), builder)
    await rounds.importFile(id, 'reserves', file(reserves), builder)
    await rounds.build(id, builder)
    await rounds.exemptReserves(id, DEMO_EXEMPTION, publisher)
    await rounds.review(id, reviewer)
    await rounds.publish(id, publisher)
  }
}
