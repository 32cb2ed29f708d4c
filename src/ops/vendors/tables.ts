/**
 * @module Vendor register table (see migrations.ts).
 */
import type { ColumnType, Generated } from 'kysely'

export type VendorRiskTier = 'critical' | 'high' | 'medium' | 'low'
export type VendorStatus = 'pending' | 'approved' | 'rejected'

export interface ComplianceVendorsTable {
  id: Generated<string>
  name: string
  service: string
  data_accessed: ColumnType<string[], string, string>
  risk_tier: VendorRiskTier
  questionnaire: ColumnType<Record<string, unknown>, string, string>
  certification: string | null
  certification_expires_on: string | null
  contract_expires_on: string
  next_review_on: string
  status: VendorStatus
  decided_by: string | null
  decided_at: Date | null
  decision_note: string | null
  changed_by: string
  created_at: Date
  updated_at: Date
}

export interface VendorTables {
  compliance_vendors: ComplianceVendorsTable
}
