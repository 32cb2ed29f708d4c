/**
 * @module `bulwark p2p …`: the order-expiry job (run it from cron or a scheduler), reference prices
 * for floating ads, marketplace metrics, and `deposit`, which credits a customer's available
 * balance on the custody ledger (from external clearing) where no chain deposit is at hand.
 */
import { createOutflowGate } from '../accounts/index.ts'
import { p2pEscrow } from '../custody/index.ts'
import { assets, createP2p, fiats, parseUnits } from '../p2p/index.ts'
import { accountsSecondFactor } from '../p2p/second-factor.ts'
import { appendAudit } from '../platform/audit.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { createEventBus } from '../platform/events.ts'
import { findUserByEmail } from '../platform/identity/users.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { printJsonLine } from './output.ts'
import { type CliGroup, type CliIo, UsageError } from './types.ts'
import { defineVerb } from './verb.ts'

async function withP2p<T>(io: CliIo, run: (p2p: ReturnType<typeof createP2p>) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env)
  const handle = await openConfiguredDatabase(config)
  try {
    const deps = { db: handle.db, clock: systemClock, config }
    const p2p = createP2p({
      ...deps,
      events: createEventBus(),
      ledger: p2pEscrow(deps),
      secondFactor: accountsSecondFactor(deps),
      outflow: createOutflowGate(deps),
    })
    return await run(p2p)
  } finally {
    await handle.close()
  }
}

export const p2pCommands: CliGroup = {
  summary: 'P2P marketplace: expiry job, reference prices, metrics, deposits',
  verbs: {
    expire: defineVerb({
      summary: 'Expire unpaid orders whose payment window has ended (escrow returns to sellers)',
      usage: '[--json]',
      examples: ['bulwark p2p expire --json'],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const result = await withP2p(io, (p2p) => p2p.orders.expireDue())
        if (values.json) printJsonLine(io, result)
        else io.stdout(`expired ${result.expired} unpaid order(s)\n`)
        return 0
      },
    }),
    price: defineVerb({
      summary: 'Set the reference price floating ads follow',
      usage: '--asset USDT --fiat EUR --price 0.92',
      examples: ['bulwark p2p price --asset USDT --fiat EUR --price 0.92'],
      options: {
        asset: { type: 'string', description: 'The crypto asset, e.g. USDT.', valueName: 'ASSET' },
        fiat: { type: 'string', description: 'The fiat currency, e.g. EUR.', valueName: 'FIAT' },
        price: {
          type: 'string',
          description: 'The price of one unit of the asset in the fiat currency, as a decimal.',
          valueName: 'PRICE',
        },
      },
      async run({ values }, io) {
        const asset = values.asset ?? ''
        const fiat = values.fiat ?? ''
        if (!Object.hasOwn(assets, asset))
          throw new UsageError(`--asset must be one of ${Object.keys(assets).join(', ')}`)
        if (!Object.hasOwn(fiats, fiat))
          throw new UsageError(`--fiat must be one of ${Object.keys(fiats).join(', ')}`)
        if (!values.price || !/^\d+(\.\d{1,8})?$/.test(values.price))
          throw new UsageError('--price must be a decimal')
        await withP2p(io, (p2p) =>
          p2p.ads.setReferencePrice(asset as keyof typeof assets, fiat as keyof typeof fiats, values.price!),
        )
        io.stdout(`reference price ${asset}/${fiat} = ${values.price}\n`)
        return 0
      },
    }),
    metrics: defineVerb({
      summary: 'Marketplace metrics: overall and per ad',
      usage: '[--json]',
      examples: ['bulwark p2p metrics --json'],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const result = await withP2p(io, (p2p) => p2p.metrics())
        if (values.json) {
          printJsonLine(io, result)
          return 0
        }
        const o = result.overall
        io.stdout(
          `ads ${result.ads.length}  views ${o.views}  orders ${o.orders}  completed ${o.completed}  abnormal ${o.abnormal}  blocked ${o.blocked}  completion ${o.completionRate ?? '-'}  conversion ${o.conversion ?? '-'}\n`,
        )
        return 0
      },
    }),
    deposit: defineVerb({
      summary: 'Credit a customer’s available balance on the custody ledger, from external clearing',
      usage: '--email E --asset USDT --amount 100',
      examples: ['bulwark p2p deposit --email alice@demo.bulwark --asset USDT --amount 100'],
      options: {
        email: { type: 'string', description: "The customer's email address.", valueName: 'EMAIL' },
        asset: { type: 'string', description: 'The asset to credit, e.g. USDT.', valueName: 'ASSET' },
        amount: {
          type: 'string',
          description: 'The amount as a decimal in whole units (100 = 100 USDT).',
          valueName: 'AMOUNT',
        },
      },
      async run({ values }, io) {
        const asset = values.asset ?? ''
        if (!values.email) throw new UsageError('--email is required')
        if (!Object.hasOwn(assets, asset))
          throw new UsageError(`--asset must be one of ${Object.keys(assets).join(', ')}`)
        let amount: bigint
        try {
          amount = parseUnits(values.amount ?? '', assets[asset as keyof typeof assets])
        } catch (error) {
          throw new UsageError(`--amount: ${(error as Error).message}`)
        }
        if (amount <= 0n) throw new UsageError('--amount must be above zero')
        return withP2p(io, async (p2p) => {
          const user = await findUserByEmail(p2p.deps.db, values.email!)
          if (user?.kind !== 'customer') {
            io.stderr(`no customer with the email ${values.email}\n`)
            return 1
          }
          await p2p.deps.db.transaction().execute(async (tx) => {
            await p2p.deps.ledger.deposit(tx, {
              owner: user.id,
              asset: asset as keyof typeof assets,
              amount,
              ref: 'cli:deposit',
              at: new Date(),
            })
            await appendAudit(tx, {
              actor: 'cli',
              action: 'p2p.deposit',
              target: `user:${user.id}`,
              details: { asset, amount: amount.toString() },
            })
          })
          io.stdout(`credited ${values.amount} ${asset} to ${user.email}\n`)
          return 0
        })
      },
    }),
  },
}
