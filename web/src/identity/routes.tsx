/**
 * @module The identity pages, spread into the app's route table with one line.
 */
import type { AppRoute } from '../routes.tsx'
import { IdentityReviewPage } from './IdentityReviewPage.tsx'
import { VerifyPage } from './VerifyPage.tsx'

export const identityRoutes: AppRoute[] = [
  { path: '/verify', render: () => <VerifyPage />, audience: 'customer', nav: 'Verify identity' },
  {
    path: '/staff/identity',
    render: () => <IdentityReviewPage />,
    audience: 'staff',
    permission: 'identity.review',
    nav: 'Identity reviews',
  },
]
