/**
 * @module The typed shape of the whole database, composed from each domain's tables. Add one
 * `extends` per domain.
 */
import type { PlatformTables } from '../tables.ts'

export interface Database extends PlatformTables {}
