/**
 * @module The P2P pages, spread into the app's route table with one line.
 */
import type { AppRoute } from '../routes.tsx'
import { AdFormPage } from './AdFormPage.tsx'
import { AdPage } from './AdPage.tsx'
import { DisputesPage } from './DisputesPage.tsx'
import { IdentityPage } from './IdentityPage.tsx'
import { KycReviewPage } from './KycReviewPage.tsx'
import { MarketPage } from './MarketPage.tsx'
import { MyAdsPage } from './MyAdsPage.tsx'
import { OrderPage } from './OrderPage.tsx'
import { OrdersPage } from './OrdersPage.tsx'
import { PaymentDetailsPage } from './PaymentDetailsPage.tsx'

export const p2pRoutes: AppRoute[] = [
  { path: '/p2p', render: () => <MarketPage />, audience: 'customer', nav: 'P2P' },
  { path: '/p2p/ads/new', render: () => <AdFormPage />, audience: 'customer' },
  { path: '/p2p/ads/:id', render: (p) => <AdPage key={p.id} id={p.id ?? ''} />, audience: 'customer' },
  {
    path: '/p2p/ads/:id/edit',
    render: (p) => <AdFormPage key={p.id} id={p.id ?? ''} />,
    audience: 'customer',
  },
  { path: '/p2p/my-ads', render: () => <MyAdsPage />, audience: 'customer', nav: 'My ads' },
  { path: '/p2p/orders', render: () => <OrdersPage />, audience: 'customer', nav: 'P2P orders' },
  { path: '/p2p/orders/:id', render: (p) => <OrderPage key={p.id} id={p.id ?? ''} />, audience: 'customer' },
  { path: '/p2p/identity', render: () => <IdentityPage />, audience: 'customer' },
  { path: '/p2p/payment-details', render: () => <PaymentDetailsPage />, audience: 'customer' },
  {
    path: '/staff/p2p/identities',
    render: () => <KycReviewPage />,
    audience: 'staff',
    permission: 'p2p.identity.review',
    nav: 'P2P identities',
  },
  {
    path: '/staff/p2p/disputes',
    render: () => <DisputesPage />,
    audience: 'staff',
    permission: 'p2p.disputes.read',
    nav: 'P2P disputes',
  },
]
