/**
 * @module Every page of the web app, by path. Domains add their pages here (one entry each).
 * `audience` decides who sees it: public, any signed-in customer, or staff with `permission`.
 */
import type { ReactNode } from 'react'
import { CheckBeforeYouSignPage } from './guard/CheckBeforeYouSignPage.tsx'
import { HomePage } from './home/HomePage.tsx'
import { SignInPage } from './platform/SignInPage.tsx'
import { ProofOfReservesPage } from './por/ProofOfReservesPage.tsx'
import { StaffRoundsPage } from './por/StaffRoundsPage.tsx'
import { AuditPage } from './staff/AuditPage.tsx'
import { InviteAcceptPage } from './staff/InviteAcceptPage.tsx'
import { StaffPage } from './staff/StaffPage.tsx'

export type AppRoute = {
  path: string
  render: (params: Record<string, string>) => ReactNode
  audience: 'public' | 'customer' | 'staff'
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
  { path: '/proof-of-reserves', render: () => <ProofOfReservesPage />, audience: 'public', nav: 'Proof of reserves' },
  {
    path: '/staff/por/rounds',
    render: () => <StaffRoundsPage />,
    audience: 'staff',
    permission: 'por.rounds.read',
    nav: 'PoR rounds',
  },
  { path: '/staff/invite', render: () => <InviteAcceptPage />, audience: 'public' },
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
]
