/**
 * @module The staff training page in the app's route table (one line in web/src/routes.tsx).
 */
import type { AppRoute } from '../../routes.tsx'
import { TrainingPage } from './TrainingPage.tsx'

export const trainingRoutes: AppRoute[] = [
  {
    path: '/staff/training',
    render: () => <TrainingPage />,
    audience: 'staff',
    permission: 'training.take',
    nav: 'Training',
  },
]
