/**
 * @module The registry of every domain's migrations. Keys are `NNNN_<domain>_<what>`; ranges:
 * platform 0001-0099, accounts 0100-0199, por 0200-0299, guard 0300-0399, risk 0400-0499,
 * p2p 0500-0599, custody 0700-0799, ops 0800-0899,
 * identity 0900-0999, compliance 1000-1099, data protection 1100-1199. Add one line per domain.
 */
import type { Migration } from 'kysely'
import { migrations as accounts } from '../../accounts/migrations.ts'
import { migrations as travelRule } from '../../compliance/migrations.ts'
import { migrations as custodyInsurance } from '../../custody/insurance.ts'
import { migrations as custody } from '../../custody/migrations.ts'
import { migrations as custodyP2pEscrow } from '../../custody/p2p-escrow.ts'
import { migrations as custodyWithdrawals } from '../../custody/withdrawal-migrations.ts'
import { migrations as identity } from '../../identity/migrations.ts'
import { migrations as ops } from '../../ops/migrations.ts'
import { migrations as training } from '../../ops/training/migrations.ts'
import { migrations as vendors } from '../../ops/vendors/migrations.ts'
import { migrations as p2p } from '../../p2p/migrations.ts'
import { migrations as por } from '../../por/migrations.ts'
import { migrations as risk } from '../../risk/migrations.ts'
import { migrations as dataProtection } from '../crypto/migrations.ts'
import { migrations as platform } from '../migrations.ts'

export function allMigrations(): Record<string, Migration> {
  return {
    ...platform,
    ...accounts,
    ...p2p,
    ...por,
    ...risk,
    ...custody,
    ...custodyWithdrawals,
    ...custodyInsurance,
    ...custodyP2pEscrow,
    ...identity,
    ...ops,
    ...training,
    ...vendors,
    ...travelRule,
    ...dataProtection,
  }
}
