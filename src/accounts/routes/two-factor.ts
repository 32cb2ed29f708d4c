import { z } from 'zod'
import { requireUser } from '../../platform/http/auth.ts'
import { factorFields, messageSchema } from '../schema.ts'
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
} from '../two-factor.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function twoFactorRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  app.post(
    '/api/accounts/totp/setup',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Start TOTP enrolment: secret and QR code',
        response: { 200: z.object({ secret: z.string(), uri: z.string(), qrDataUrl: z.string() }) },
      },
    },
    async (request) => beginTotpEnrolment(deps, request.user!.id),
  )

  app.post(
    '/api/accounts/totp/confirm',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Finish TOTP enrolment with a code; returns 10 recovery codes (shown once)',
        body: z.object({ code: z.string().trim().max(12) }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
    },
    async (request) => confirmTotpEnrolment(deps, request.user!.id, request.body.code),
  )

  app.post(
    '/api/accounts/totp/disable',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Turn TOTP off (second factor required)',
        body: z.object(factorFields),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await disableTotp(deps, request.user!.id, request.body)
      return { message: 'Two-factor authentication is off. Withdrawals are locked for 24 hours.' }
    },
  )

  app.post(
    '/api/accounts/recovery-codes',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Replace the recovery codes (second factor required)',
        body: z.object(factorFields),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
    },
    async (request) => regenerateRecoveryCodes(deps, request.user!.id, request.body),
  )
}
