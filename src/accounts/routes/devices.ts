import { z } from 'zod'
import { requireUser } from '../../platform/http/auth.ts'
import { listDevices, markDevicesReviewed, revokeDevice } from '../devices.ts'
import { messageSchema } from '../schema.ts'
import { type AccountsApp, type AccountsRouteContext, idParams } from './context.ts'

export function deviceRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  const deviceSchema = z.object({
    id: z.uuid(),
    description: z.string(),
    userAgent: z.string(),
    ip: z.string(),
    place: z.string().nullable(),
    status: z.enum(['trusted', 'pending']),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    current: z.boolean(),
  })
  app.get(
    '/api/accounts/devices',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Devices with last-seen time',
        response: { 200: z.object({ devices: z.array(deviceSchema) }) },
      },
    },
    async (request) => ({ devices: await listDevices(deps, request.user!.id, request.user!.sessionId) }),
  )
  app.delete(
    '/api/accounts/devices/:id',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a device and end its sessions now',
        params: idParams,
        response: { 200: z.object({ sessionsEnded: z.number() }) },
      },
    },
    async (request) => revokeDevice(deps, request.user!.id, request.params.id),
  )
  app.post(
    '/api/accounts/devices/reviewed',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Mark the device list as reviewed',
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await markDevicesReviewed(deps, request.user!.id)
      return { message: 'Thanks: devices reviewed.' }
    },
  )
}
