/**
 * @module The custody pages, spread into the app's route table with one line.
 */
import type { AppRoute } from '../routes.tsx'
import { StaffCustodyPage } from './StaffCustodyPage.tsx'
import { WalletPage } from './WalletPage.tsx'
import { WithdrawalsPage } from './WithdrawalsPage.tsx'
import { WithdrawPage } from './WithdrawPage.tsx'

export const custodyRoutes: AppRoute[] = [
  { path: '/wallet', render: () => <WalletPage />, audience: 'customer', nav: 'Wallet' },
  { path: '/wallet/withdraw', render: () => <WithdrawPage />, audience: 'customer' },
  { path: '/wallet/withdrawals', render: () => <WithdrawalsPage />, audience: 'customer' },
  {
    path: '/staff/custody',
    render: () => <StaffCustodyPage />,
    audience: 'staff',
    permission: 'custody.withdrawals.read',
    nav: 'Custody',
  },
]
