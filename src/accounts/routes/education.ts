import { z } from 'zod'
import { errors } from '../../platform/errors.ts'
import { lessonBySlug, lessons } from '../education.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function educationRoutes(app: AccountsApp, _ctx: AccountsRouteContext): void {
  // --- Education (public). ---
  app.get(
    '/api/accounts/education',
    { schema: { tags: ['accounts'], summary: 'Security tips and common scams' } },
    async () => ({ lessons }),
  )
  app.get(
    '/api/accounts/education/:slug',
    {
      schema: {
        tags: ['accounts'],
        summary: 'One tip or scam, in detail',
        params: z.object({ slug: z.string().max(60) }),
      },
    },
    async (request) => {
      const lesson = lessonBySlug(request.params.slug)
      if (!lesson) throw errors.notFound('This page')
      return lesson
    },
  )
}
