/**
 * @module The operations routes plugin: support desk, bug bounty, audit register. It also opens a
 * support ticket for each frozen account and P2P dispute (from the event bus, after those flows
 * committed; the flows themselves are unchanged) and checks for overdue audit findings hourly.
 */
import type { FastifyInstance } from 'fastify'
import type { DomainDeps } from '../platform/deps.ts'
import type { PlatformEvent } from '../platform/events.ts'
import { auditRegisterRoutes } from './audits/routes.ts'
import { bountyRoutes } from './bounty/routes.ts'
import { createOps, type Ops } from './index.ts'
import { supportRoutes } from './support/routes.ts'

const OVERDUE_CHECK_MS = 60 * 60_000

export async function opsRoutes(app: FastifyInstance, deps: DomainDeps) {
  const ops = createOps(deps)
  await app.register(supportRoutes, { ...deps, support: ops.support })
  await app.register(bountyRoutes, { ...deps, bounty: ops.bounty })
  await app.register(auditRegisterRoutes, { ...deps, audits: ops.audits })

  const pending = new Set<Promise<unknown>>()
  const unsubscribe = deps.events.subscribe((event) => {
    const work = ticketsForFlows(ops, event).catch((error: unknown) =>
      app.log.error({ err: error, event: event.type }, 'ops: could not open the support ticket of a flow'),
    )
    pending.add(work)
    void work.finally(() => pending.delete(work))
  })
  const overdue = setInterval(() => {
    ops.audits
      .alertOverdue()
      .catch((error: unknown) => app.log.error({ err: error }, 'ops: overdue findings check failed'))
  }, OVERDUE_CHECK_MS)
  overdue.unref()
  app.addHook('onClose', async () => {
    unsubscribe()
    clearInterval(overdue)
    await Promise.allSettled([...pending])
  })
}

/** Frozen accounts and P2P disputes as ticket types: opened and resolved with their flows. */
export async function ticketsForFlows(ops: Ops, event: PlatformEvent): Promise<void> {
  if (event.type === 'account_frozen' && typeof event.account === 'string') {
    await ops.support.openForFlow({
      customerId: event.account,
      type: 'frozen_account',
      subject: 'Your account is frozen',
      body: `The account was frozen (${String(event.reason ?? 'reported')}). Support reviews it and contacts the customer through a verified channel before unfreezing; withdrawal locks keep running.`,
    })
  } else if (event.type === 'account_unfrozen' && typeof event.account === 'string') {
    await ops.support.resolveForFlow({
      customerId: event.account,
      type: 'frozen_account',
      note: 'The account was unfrozen after review.',
    })
  } else if (event.type === 'p2p_order_status' && typeof event.orderId === 'string') {
    const actor =
      typeof event.actor === 'string' && event.actor.startsWith('user:') ? event.actor.slice(5) : null
    if (event.action === 'appealed' && actor) {
      await ops.support.openForFlow({
        customerId: actor,
        type: 'p2p_dispute',
        subject: `Dispute on P2P order ${event.orderId.slice(0, 8)}`,
        body: `A dispute was opened on P2P order ${event.orderId}. Support reviews the order chat and payment evidence, then releases the escrow to the buyer or refunds the seller.`,
        p2pOrderId: event.orderId,
      })
    } else if (typeof event.action === 'string' && event.action.startsWith('resolved_')) {
      await ops.support.resolveForFlow({
        p2pOrderId: event.orderId,
        type: 'p2p_dispute',
        note: `The dispute was resolved: ${event.action === 'resolved_release' ? 'escrow released to the buyer' : 'the seller was refunded'}.`,
      })
    }
  }
}
