/**
 * @module The custody HTTP API: a customer's balances, ledger movements, deposit address and
 * deposits; staff see the exchange's own accounts (wallets, fees, insurance fund). When
 * CUSTODY_EVM_RPC_URL is set the EVM deposit watcher runs here as a job, stopped on `app.close()`.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { getAddress } from 'viem'
import { z } from 'zod'
import type { DomainDeps } from '../platform/deps.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { heldDepositCase, openSystemCase } from '../risk/index.ts'
import { type CustodyAsset, formatAmount } from './assets.ts'
import { type DepositRow, presentDeposit, type Screen } from './deposits.ts'
import { createCustody } from './index.ts'
import {
  assetEnum,
  balanceSchema,
  depositAddressSchema,
  depositSchema,
  movementSchema,
  movementsQuery,
  walletAccountSchema,
} from './schema.ts'
import { screenFromGuard } from './screening.ts'
import { evmClient, runPolling } from './watcher.ts'

/** The app's DomainDeps, plus an optional screening override (tests, another screening service). */
export type CustodyRouteDeps = DomainDeps & { custodyScreen?: Screen }

const tags = ['custody']

export async function custodyRoutes(base: FastifyInstance, deps: CustodyRouteDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const screen = deps.custodyScreen ?? screenFromGuard(deps.config)
  const custody = createCustody({
    db: deps.db,
    clock: deps.clock,
    config: deps.config,
    screen,
    events: deps.events,
    // A held deposit opens a risk case for the analysts (one per deposit, whoever calls again).
    onHeld: async (d: DepositRow, tx) => {
      base.log.warn({ deposit: d.id, asset: d.asset }, 'deposit held after screening')
      await openSystemCase(tx, heldDepositCase(d, deps.clock.now()))
    },
  })
  const me = (request: { user: { id: string } | null }) => request.user!.id

  if (deps.config.CUSTODY_EVM_RPC_URL) {
    const watcher = custody.evmWatcher(evmClient(deps.config.CUSTODY_EVM_RPC_URL))
    let job: { stop(): Promise<void> } | null = null
    base.addHook('onReady', async () => {
      job = runPolling(() => watcher.poll(), deps.config.CUSTODY_EVM_POLL_SECONDS * 1000, base.log)
    })
    base.addHook('onClose', async () => {
      await job?.stop()
    })
  }

  app.get(
    '/api/custody/balances',
    {
      preHandler: requireCustomer,
      config: { apiKey: 'read' },
      schema: {
        tags,
        summary: 'My balances per asset: available, locked, pending withdrawal, under review',
        response: { 200: z.object({ balances: z.array(balanceSchema) }) },
      },
    },
    async (request) => {
      const byAsset = new Map<string, Record<string, bigint>>()
      for (const b of await custody.ledger.balances(deps.db, me(request))) {
        const row = byAsset.get(b.asset) ?? {}
        row[b.kind] = b.balance
        byAsset.set(b.asset, row)
      }
      return {
        balances: [...byAsset].map(([asset, k]) => ({
          asset,
          available: formatAmount(asset, k.available ?? 0n),
          locked: formatAmount(asset, k.locked ?? 0n),
          pendingWithdrawal: formatAmount(asset, k.pending_withdrawal ?? 0n),
          underReview: formatAmount(asset, k.held_deposit ?? 0n),
        })),
      }
    },
  )

  app.get(
    '/api/custody/movements',
    {
      preHandler: requireCustomer,
      config: { apiKey: 'read' },
      schema: {
        tags,
        summary: 'My ledger movements, newest first (page with `before`)',
        querystring: movementsQuery,
        response: { 200: z.object({ movements: z.array(movementSchema) }) },
      },
    },
    async (request) => {
      const { limit, before } = request.query
      const rows = await custody.ledger.history(deps.db, me(request), {
        limit,
        ...(before ? { before: BigInt(before) } : {}),
      })
      return {
        movements: rows.map((r) => ({
          id: r.id.toString(),
          transactionId: r.transactionId,
          at: r.at.toISOString(),
          kind: r.kind,
          ref: r.ref,
          asset: r.asset,
          account: r.account,
          amount: formatAmount(r.asset, r.amount),
        })),
      }
    },
  )

  app.get(
    '/api/custody/deposit-address',
    {
      preHandler: requireCustomer,
      config: { apiKey: 'read' },
      schema: {
        tags,
        summary: 'My deposit address for an asset (created on first request)',
        description:
          'ETH, USDT and USDC share one EVM address; BTC has its own. 503 CUSTODY_NOT_CONFIGURED when the exchange has not set up deposits of that asset.',
        querystring: z.object({ asset: assetEnum }),
        response: { 200: z.object({ depositAddress: depositAddressSchema }) },
      },
    },
    async (request) => {
      const a = await custody.addresses.forUser(me(request), request.query.asset as CustodyAsset)
      return {
        depositAddress: {
          asset: a.asset,
          chain: a.chain,
          address: a.chain === 'evm' ? getAddress(a.address) : a.address,
          createdAt: a.createdAt.toISOString(),
        },
      }
    },
  )

  app.get(
    '/api/custody/deposits',
    {
      preHandler: requireCustomer,
      config: { apiKey: 'read' },
      schema: {
        tags,
        summary: 'My deposits, newest first, with their confirmations',
        response: { 200: z.object({ deposits: z.array(depositSchema) }) },
      },
    },
    async (request) => ({
      deposits: (await custody.deposits.list(me(request))).map((d) =>
        presentDeposit(d, custody.deposits.required(d.asset)),
      ),
    }),
  )

  app.get(
    '/api/staff/custody/wallets',
    {
      preHandler: requireStaff('custody.read'),
      schema: {
        tags,
        summary: 'The exchange’s own accounts: hot/warm/cold wallets, clearing, fees, insurance fund',
        response: { 200: z.object({ accounts: z.array(walletAccountSchema) }) },
      },
    },
    async () => ({
      accounts: (await custody.ledger.balances(deps.db, null)).map((b) => ({
        asset: b.asset,
        kind: b.kind,
        balance: formatAmount(b.asset, b.balance),
      })),
    }),
  )
}
