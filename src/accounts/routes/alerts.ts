import { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import { requireUser } from '../../platform/http/auth.ts'
import { alertTitles, reportWasntMe } from '../alerts.ts'
import { alertSchema, messageSchema } from '../schema.ts'
import { listAlerts } from '../security-center.ts'
import { type AccountsApp, type AccountsRouteContext, idParams } from './context.ts'

export function alertRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- Alerts: list, live stream, "This wasn't me". ---
  app.get(
    '/api/accounts/alerts',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Recent security alerts',
        response: { 200: z.object({ alerts: z.array(alertSchema) }) },
      },
    },
    async (request) => ({
      alerts: (await listAlerts(deps, request.user!.id)).map((a) => ({
        ...a,
        title: alertTitles[a.kind as keyof typeof alertTitles] ?? a.kind,
      })),
    }),
  )
  app.get(
    '/api/accounts/alerts/stream',
    {
      preHandler: requireUser,
      schema: { tags: ['accounts'], summary: 'Security alerts pushed live (Server-Sent Events)' },
    },
    async (request, reply) => {
      // Only an event-stream client (EventSource sends this Accept header) gets the endless stream.
      if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
        throw new AppError(
          'NOT_ACCEPTABLE',
          406,
          'This is a Server-Sent Events stream: request it with Accept: text/event-stream.',
        )
      }
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-request-id': request.id,
      })
      raw.write(': connected\n\n')
      const unsubscribe = deps.hub.subscribe(request.user!.id, (alert) => {
        raw.write(`event: alert\ndata: ${JSON.stringify({ ...alert, wasntMeAt: null })}\n\n`)
      })
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), 25_000)
      request.raw.on('close', () => {
        clearInterval(heartbeat)
        unsubscribe()
      })
    },
  )
  app.post(
    '/api/accounts/alerts/:id/wasnt-me',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary:
          '"This wasn\'t me": freeze the account, end every other session, revoke the reported session\'s API keys',
        params: idParams,
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await reportWasntMe(deps, request.user!.id, request.params.id, request.user!.sessionId)
      return { message: 'Your account is frozen. Support will contact you to review it.' }
    },
  )
}
