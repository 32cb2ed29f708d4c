/**
 * @module The operations pages (support desk, bug bounty, audit register), spread into the app's
 * route table with one line. Support sits in the menu of every page for customers.
 */
import type { AppRoute } from '../routes.tsx'
import { PublicAuditsPage, StaffAuditPage, StaffAuditsPage } from './AuditPages.tsx'
import {
  ConfirmReportPage,
  HallOfFamePage,
  ReportPage,
  SecurityPolicyPage,
  StaffBountyPage,
} from './BountyPages.tsx'
import { StaffSupportPage, StaffTicketPage, SupportPage, TicketPage } from './SupportPages.tsx'

export const opsRoutes: AppRoute[] = [
  { path: '/support', render: () => <SupportPage />, audience: 'customer', nav: 'Support' },
  {
    path: '/support/tickets/:id',
    render: (p) => <TicketPage key={p.id} id={p.id ?? ''} />,
    audience: 'customer',
  },
  {
    path: '/security/policy',
    render: () => <SecurityPolicyPage />,
    audience: 'public',
    nav: 'Security policy',
  },
  { path: '/security/report', render: () => <ReportPage />, audience: 'public' },
  { path: '/security/report/confirm', render: () => <ConfirmReportPage />, audience: 'public' },
  { path: '/security/hall-of-fame', render: () => <HallOfFamePage />, audience: 'public' },
  { path: '/audits', render: () => <PublicAuditsPage />, audience: 'public' },
  {
    path: '/staff/support',
    render: () => <StaffSupportPage />,
    audience: 'staff',
    permission: 'support.tickets.read',
    nav: 'Support queue',
  },
  {
    path: '/staff/support/tickets/:id',
    render: (p) => <StaffTicketPage key={p.id} id={p.id ?? ''} />,
    audience: 'staff',
    permission: 'support.tickets.read',
  },
  {
    path: '/staff/bounty',
    render: () => <StaffBountyPage />,
    audience: 'staff',
    permission: 'bounty.reports.read',
    nav: 'Bug bounty',
  },
  {
    path: '/staff/security-audits',
    render: () => <StaffAuditsPage />,
    audience: 'staff',
    permission: 'ops.audits.read',
    nav: 'Security audits',
  },
  {
    path: '/staff/security-audits/:id',
    render: (p) => <StaffAuditPage key={p.id} id={p.id ?? ''} />,
    audience: 'staff',
    permission: 'ops.audits.read',
  },
]
