/**
 * @module Every page of the web app, by path. Domains add their pages here (one entry each).
 * `audience` decides who sees it: public, any signed-in customer, or staff with `permission`.
 */
import type { ReactNode } from 'react'
import { FrozenAccountsPage } from './accounts/FrozenAccountsPage.tsx'
import { LearnPage, LessonPage } from './accounts/LearnPages.tsx'
import * as accountPages from './accounts/PublicPages.tsx'
import { SecurityCenterPage } from './accounts/SecurityCenterPage.tsx'
import * as security from './accounts/SettingsPages.tsx'
import { travelRuleRoutes } from './compliance/routes.tsx'
import { custodyRoutes } from './custody/routes.tsx'
import { CheckBeforeYouSignPage } from './guard/CheckBeforeYouSignPage.tsx'
import { HomePage } from './home/HomePage.tsx'
import { identityRoutes } from './identity/routes.tsx'
import { opsRoutes } from './ops/routes.tsx'
import { trainingRoutes } from './ops/training/routes.tsx'
import { vendorRoutes } from './ops/vendors/routes.tsx'
import { p2pRoutes } from './p2p/routes.tsx'
import { SignInPage } from './platform/SignInPage.tsx'
import { ProofOfReservesPage } from './por/ProofOfReservesPage.tsx'
import { StaffRoundsPage } from './por/StaffRoundsPage.tsx'
import { RiskCasePage, RiskCasesPage } from './risk/RiskCasesPage.tsx'
import { RiskConsolePage } from './risk/RiskConsolePage.tsx'
import { RiskRulesPage } from './risk/RiskRulesPage.tsx'
import { AuditPage } from './staff/AuditPage.tsx'
import { InviteAcceptPage } from './staff/InviteAcceptPage.tsx'
import { StaffPage } from './staff/StaffPage.tsx'

export type AppRoute = {
  path: string
  render: (params: Record<string, string>) => ReactNode
  /** `user`: anyone signed in, customer or staff (staff enrol their second factor there). */
  audience: 'public' | 'customer' | 'staff' | 'user'
  permission?: string
  /** Shown in the navigation with this label. */
  nav?: string
}

export const routes: AppRoute[] = [
  { path: '/', render: () => <HomePage />, audience: 'public' },
  { path: '/signin', render: () => <SignInPage />, audience: 'public' },
  {
    path: '/guard',
    render: () => <CheckBeforeYouSignPage />,
    audience: 'public',
    nav: 'Check before you sign',
  },
  {
    path: '/proof-of-reserves',
    render: () => <ProofOfReservesPage />,
    audience: 'public',
    nav: 'Proof of reserves',
  },
  {
    path: '/staff/por/rounds',
    render: () => <StaffRoundsPage />,
    audience: 'staff',
    permission: 'por.rounds.read',
    nav: 'PoR rounds',
  },
  { path: '/staff/invite', render: () => <InviteAcceptPage />, audience: 'public' },
  { path: '/signup', render: () => <accountPages.SignUpPage />, audience: 'public' },
  { path: '/signup/confirm', render: () => <accountPages.ConfirmEmailPage />, audience: 'public' },
  { path: '/password-reset', render: () => <accountPages.PasswordResetPage />, audience: 'public' },
  { path: '/devices/approve', render: () => <accountPages.DeviceApprovePage />, audience: 'public' },
  { path: '/security/wasnt-me', render: () => <accountPages.WasntMePage />, audience: 'public' },
  { path: '/outbox', render: () => <accountPages.OutboxPage />, audience: 'public' },
  { path: '/security', render: () => <SecurityCenterPage />, audience: 'customer', nav: 'Security' },
  { path: '/security/password', render: () => <security.PasswordPage />, audience: 'customer' },
  { path: '/security/email', render: () => <security.EmailPage />, audience: 'customer' },
  {
    path: '/security/email/confirm',
    render: () => <accountPages.EmailChangeConfirmPage />,
    audience: 'public',
  },
  { path: '/security/two-factor', render: () => <security.TwoFactorPage />, audience: 'user' },
  { path: '/security/passkeys', render: () => <security.PasskeysPage />, audience: 'user' },
  { path: '/security/anti-phishing', render: () => <security.AntiPhishingPage />, audience: 'customer' },
  { path: '/security/devices', render: () => <security.DevicesPage />, audience: 'customer' },
  { path: '/security/whitelist', render: () => <security.WhitelistPage />, audience: 'customer' },
  { path: '/security/api-keys', render: () => <security.ApiKeysPage />, audience: 'customer' },
  { path: '/security/learn', render: () => <LearnPage />, audience: 'public' },
  { path: '/security/learn/:slug', render: (p) => <LessonPage slug={p.slug ?? ''} />, audience: 'public' },
  {
    path: '/staff/frozen',
    render: () => <FrozenAccountsPage />,
    audience: 'staff',
    permission: 'accounts.frozen.read',
    nav: 'Frozen accounts',
  },
  {
    path: '/staff/outbox',
    render: () => <accountPages.OutboxPage staff />,
    audience: 'staff',
    permission: 'mail.outbox.read',
    nav: 'Outbox',
  },
  {
    path: '/staff/members',
    render: () => <StaffPage />,
    audience: 'staff',
    permission: 'staff.read',
    nav: 'Staff',
  },
  {
    path: '/staff/audit',
    render: () => <AuditPage />,
    audience: 'staff',
    permission: 'audit.read',
    nav: 'Audit log',
  },
  {
    path: '/staff/risk',
    render: () => <RiskConsolePage />,
    audience: 'staff',
    permission: 'risk.alerts.read',
    nav: 'Risk alerts',
  },
  {
    path: '/staff/risk/cases',
    render: () => <RiskCasesPage />,
    audience: 'staff',
    permission: 'risk.alerts.read',
  },
  {
    path: '/staff/risk/rules',
    render: () => <RiskRulesPage />,
    audience: 'staff',
    permission: 'risk.alerts.read',
  },
  {
    path: '/staff/risk/cases/:id',
    render: (p) => <RiskCasePage id={p.id ?? ''} />,
    audience: 'staff',
    permission: 'risk.alerts.read',
  },
  ...custodyRoutes,
  ...p2pRoutes,
  ...opsRoutes,
  ...identityRoutes,
  ...vendorRoutes,
  ...trainingRoutes,
  ...travelRuleRoutes,
]
