/**
 * @module The training gate (config `TRAINING_GATE=true`, off by default): a staff member overdue on
 * training gets `403 TRAINING_OVERDUE` from every staff route whose declared permission is one of
 * SENSITIVE_PERMISSIONS, until they pass the overdue modules. It is a root preHandler hook reading
 * the matched route's `config.permission` (set by requireStaff), so it runs after authorisation and
 * covers routes of every domain registered after it; the training routes themselves stay open.
 */
import type { FastifyInstance } from 'fastify'
import type { DomainDeps } from '../../platform/deps.ts'
import { AppError } from '../../platform/errors.ts'
import type { Permission } from '../../platform/rbac.ts'
import { createTraining } from './training.ts'

/** Actions that move money, change who may do what, publish, or release a frozen account. */
export const SENSITIVE_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'staff.manage',
  'accounts.unfreeze',
  'por.rounds.publish',
  'p2p.disputes.resolve',
  'risk.rules.manage',
  'custody.withdrawals.approve',
  'custody.policy.manage',
  'custody.policy.approve',
  'bounty.rewards.approve',
  'vendors.approve',
])

/** Installs the gate on `app` (the root instance, before any domain registers) when TRAINING_GATE is on. */
export function installTrainingGate(
  app: FastifyInstance,
  deps: Pick<DomainDeps, 'config' | 'db' | 'clock'>,
): void {
  if (!deps.config.TRAINING_GATE) return
  const training = createTraining(deps)
  app.addHook('preHandler', async (request) => {
    const permission = (request.routeOptions.config as { permission?: Permission }).permission
    if (!permission || !SENSITIVE_PERMISSIONS.has(permission)) return
    const user = request.user
    if (user?.kind !== 'staff') return
    if (await training.isOverdue(user.id, user.role ?? '')) {
      throw new AppError(
        'TRAINING_OVERDUE',
        403,
        'Your security training is overdue: finish it under Staff › Training, then try again.',
      )
    }
  })
}
