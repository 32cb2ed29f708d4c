/**
 * @module The staff training page and the two public pages a phishing drill's links open, in the
 * app's route table (one line in web/src/routes.tsx).
 */
import type { AppRoute } from '../../routes.tsx'
import { DrillClickedPage, DrillReportedPage } from './DrillPages.tsx'
import { TrainingPage } from './TrainingPage.tsx'

export const trainingRoutes: AppRoute[] = [
  {
    path: '/staff/training',
    render: () => <TrainingPage />,
    audience: 'staff',
    permission: 'training.take',
    nav: 'Training',
  },
  { path: '/training/drill/clicked', render: () => <DrillClickedPage />, audience: 'public' },
  { path: '/training/drill/reported', render: () => <DrillReportedPage />, audience: 'public' },
]
