/**
 * @module The typed shape of the whole database, composed from each domain's tables. Add one
 * `extends` per domain.
 */
import type { AccountsTables } from '../../accounts/tables.ts'
import type { TravelRuleTables } from '../../compliance/tables.ts'
import type { InsuranceTables } from '../../custody/insurance.ts'
import type { CustodyTables } from '../../custody/tables.ts'
import type { WithdrawalTables } from '../../custody/withdrawals-tables.ts'
import type { IdentityTables } from '../../identity/tables.ts'
import type { OpsTables } from '../../ops/tables.ts'
import type { TrainingTables } from '../../ops/training/tables.ts'
import type { VendorTables } from '../../ops/vendors/tables.ts'
import type { P2pTables } from '../../p2p/tables.ts'
import type { PorTables } from '../../por/tables.ts'
import type { RiskTables } from '../../risk/tables.ts'
import type { DataProtectionTables } from '../crypto/tables.ts'
import type { PlatformTables } from '../tables.ts'

export interface Database
  extends PlatformTables,
    AccountsTables,
    P2pTables,
    PorTables,
    RiskTables,
    CustodyTables,
    WithdrawalTables,
    InsuranceTables,
    OpsTables,
    IdentityTables,
    DataProtectionTables,
    VendorTables,
    TrainingTables,
    TravelRuleTables {}
