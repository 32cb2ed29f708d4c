/**
 * @module The staff permission matrix: the one place that says which role may do what. Every
 * staff route declares one permission (route `config.permission`); a test walks every such route
 * with every role and asserts exactly this matrix. Customers have no staff permissions.
 */

export const staffRoles = [
  'support',
  'risk_analyst',
  'compliance_officer',
  'custody_approver',
  'security_admin',
  'auditor',
] as const
export type StaffRole = (typeof staffRoles)[number]

export function isStaffRole(value: string): value is StaffRole {
  return (staffRoles as readonly string[]).includes(value)
}

/** permission -> roles that hold it. Read a row as "who may …". */
export const permissionMatrix = {
  /** See the staff list. */
  'staff.read': ['security_admin', 'auditor'],
  /** Invite staff, change roles, disable accounts. */
  'staff.manage': ['security_admin'],
  /** See the name and email behind an account id a staff page shows (risk alerts, cases, P2P). */
  'people.read': [
    'support',
    'risk_analyst',
    'compliance_officer',
    'custody_approver',
    'security_admin',
    'auditor',
  ],
  /** Read, filter and export the audit log. */
  'audit.read': ['security_admin', 'auditor', 'compliance_officer'],
  /** Run the audit chain verification. */
  'audit.verify': ['security_admin', 'auditor', 'compliance_officer'],
  /** See accounts frozen by "This wasn't me", waiting for review. */
  'accounts.frozen.read': ['support', 'security_admin', 'auditor'],
  /** Unfreeze an account after review (withdrawal locks are not shortened). */
  'accounts.unfreeze': ['support'],
  /** Read the mail outbox (installs without SMTP_URL). */
  'mail.outbox.read': ['support', 'security_admin'],
  /** See proof-of-reserves rounds in every state and download auditor packages. */
  'por.rounds.read': ['security_admin', 'auditor', 'compliance_officer', 'custody_approver'],
  /** Create proof-of-reserves rounds, upload their files and build them. */
  'por.rounds.manage': ['custody_approver'],
  /** Review a built round (must be someone other than its builder). */
  'por.rounds.review': ['auditor', 'compliance_officer'],
  /** Publish a reviewed round; published rounds are immutable. */
  'por.rounds.publish': ['compliance_officer'],
  /** Start or stop the zk proving job of a built round (docs/por-zk.md). */
  'por.rounds.prove': ['custody_approver'],
  /** Review customers' identity country for P2P (verify or reject). */
  'p2p.identity.review': ['compliance_officer'],
  /** Work the identity verification queue: images, extracted fields, scores, reasons; approve or reject with a note. */
  'identity.review': ['compliance_officer'],
  /** See P2P disputes and marketplace metrics. */
  'p2p.disputes.read': ['support', 'compliance_officer', 'auditor'],
  /** Resolve a P2P dispute: release escrow to the buyer or refund the seller. */
  'p2p.disputes.resolve': ['support'],
  /** Run the P2P order-expiry job by hand. */
  'p2p.jobs.run': ['support', 'security_admin'],
  /** Send batches of risk events to the engine (POST /api/risk/events). */
  'risk.events.ingest': ['risk_analyst', 'security_admin'],
  /** Read risk alerts, account timelines, counterparty graphs, cases and labels. */
  'risk.alerts.read': ['risk_analyst', 'compliance_officer', 'auditor'],
  /** Open, assign, annotate and resolve risk cases (resolutions become training labels). */
  'risk.cases.manage': ['risk_analyst'],
  /** Enable a new version of the risk rules (after a backtest); takes effect without a restart. */
  'risk.rules.manage': ['risk_analyst', 'security_admin'],
  /** See the exchange's own custody accounts: wallets, clearing, fees, insurance fund. */
  'custody.read': ['custody_approver', 'security_admin', 'auditor', 'compliance_officer'],
  /** See the withdrawal approval and review queues (payload, risk reasons, the policy that applied). */
  'custody.withdrawals.read': [
    'custody_approver',
    'risk_analyst',
    'compliance_officer',
    'auditor',
    'security_admin',
  ],
  /** Approve a withdrawal the policy sent for approval (bound to its payload hash; not one's own). */
  'custody.withdrawals.approve': ['custody_approver'],
  /** Reject a withdrawal waiting for approval or held for review (funds return to the customer). */
  'custody.withdrawals.reject': ['custody_approver', 'risk_analyst'],
  /** Propose a new withdrawal policy version. */
  'custody.policy.manage': ['custody_approver', 'security_admin'],
  /** Approve a proposed withdrawal policy (someone other than its proposer: four-eyes). */
  'custody.policy.approve': ['security_admin', 'compliance_officer'],
  /** Propose an insurance-fund payout (it moves funds only after m-of-n approvals). */
  'custody.insurance.propose': ['custody_approver', 'security_admin'],
  /** Approve an insurance-fund payout bound to its payload hash (not one's own proposal). */
  'custody.insurance.approve': ['custody_approver', 'security_admin', 'compliance_officer'],
  /** Hold or lift an account's withdrawals from a risk case; release withdrawals held for review. */
  'custody.holds.manage': ['risk_analyst', 'compliance_officer'],
  /** See support tickets (with internal notes, SLA clocks and the customer's linked records) and SLA reports. */
  'support.tickets.read': ['support', 'security_admin', 'compliance_officer', 'auditor'],
  /** Answer, assign, annotate (internal notes), prioritise and resolve support tickets. */
  'support.tickets.handle': ['support'],
  /** Write support macros (canned replies). */
  'support.macros.manage': ['support', 'security_admin'],
  /** Read bug-bounty reports. */
  'bounty.reports.read': ['security_admin', 'auditor', 'compliance_officer'],
  /** Triage bug-bounty reports (CVSS 4.0), mark duplicates, fixed, disclosed; propose rewards. */
  'bounty.reports.triage': ['security_admin'],
  /** Approve a proposed bounty reward (someone other than its proposer: four-eyes). */
  'bounty.rewards.approve': ['security_admin', 'compliance_officer'],
  /** See the register of third-party security audits, their findings and retests. */
  /** See the vendor register (vendors, data they access, risk tier, questionnaire, expiry reminders). */
  'vendors.read': ['compliance_officer', 'security_admin', 'auditor'],
  /** Register a vendor or change its record (sends it back for approval). */
  'vendors.manage': ['compliance_officer', 'security_admin'],
  /** Approve or reject a vendor (not one's own change). */
  'vendors.approve': ['compliance_officer'],
  'ops.audits.read': ['security_admin', 'auditor', 'compliance_officer'],
  /** Record third-party audits, findings, fixes and retests; run the overdue-findings check. */
  'ops.audits.manage': ['security_admin'],
  /** Take the security training modules due for one's role (every staff member). */
  'training.take': [
    'support',
    'risk_analyst',
    'compliance_officer',
    'custody_approver',
    'security_admin',
    'auditor',
  ],
  /** See training completion per role and phishing-drill results. */
  'training.read': ['security_admin', 'auditor', 'compliance_officer'],
  /** Write training modules and send phishing drills. */
  'training.manage': ['security_admin'],
  /** See the Travel Rule queue (transfers to and from other VASPs, held deposits), payloads and the VASP directory. */
  'travel_rule.read': ['compliance_officer', 'auditor'],
  /** Retry or reject an unanswered Travel Rule transfer; release or reject a deposit held for missing data. */
  'travel_rule.decide': ['compliance_officer'],
  /** Add or change counterparty VASPs in the Travel Rule directory (base URL, Ed25519 key, addresses). */
  'travel_rule.directory.manage': ['compliance_officer'],
  /** Set the Travel Rule threshold of a jurisdiction (amount, currency, effective from). */
  'travel_rule.thresholds.manage': ['compliance_officer'],
} as const satisfies Record<string, readonly StaffRole[]>

export type Permission = keyof typeof permissionMatrix

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(permissionMatrix, value)
}

export function roleHasPermission(role: string | null | undefined, permission: Permission): boolean {
  if (!role) return false
  return (permissionMatrix[permission] as readonly string[]).includes(role)
}

/** Every permission a role holds, for the UI to show or hide staff pages. */
export function permissionsOf(role: string | null | undefined): Permission[] {
  return (Object.keys(permissionMatrix) as Permission[]).filter((p) => roleHasPermission(role, p))
}
