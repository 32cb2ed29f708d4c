/**
 * @module The Travel Rule pages in the app's route table (one line in web/src/routes.tsx).
 */
import type { AppRoute } from '../routes.tsx'
import { TravelRuleDestinationsPage, TravelRuleQueuePage } from './TravelRulePage.tsx'

export const travelRuleRoutes: AppRoute[] = [
  {
    path: '/staff/travel-rule',
    render: () => <TravelRuleQueuePage />,
    audience: 'staff',
    permission: 'travel_rule.read',
    nav: 'Travel Rule',
  },
  {
    path: '/travel-rule/destinations',
    render: () => <TravelRuleDestinationsPage />,
    audience: 'customer',
  },
]
