/**
 * @module The vendor register page in the app's route table (one line in web/src/routes.tsx).
 */
import type { AppRoute } from '../../routes.tsx'
import { VendorsPage } from './VendorsPage.tsx'

export const vendorRoutes: AppRoute[] = [
  {
    path: '/staff/vendors',
    render: () => <VendorsPage />,
    audience: 'staff',
    permission: 'vendors.read',
    nav: 'Vendors',
  },
]
