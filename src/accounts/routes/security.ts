import { z } from 'zod'
import { requireCustomer, requireUser } from '../../platform/http/auth.ts'
import { emailSchema } from '../../platform/identity/routes.ts'
import { changePassword, confirmEmailChange, requestEmailChange, setAntiPhishingCode } from '../lifecycle.ts'
import { factorFields, lockSchema, messageSchema, passwordSchema, tokenSchema } from '../schema.ts'
import { securityOverview } from '../security-center.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function securityRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- Security center (signed-in customers). ---
  app.get(
    '/api/accounts/security',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Security center: checklist, score, second factors, lock, anti-phishing code',
        response: {
          200: z.object({
            score: z.number(),
            checklist: z.array(
              z.object({ id: z.string(), label: z.string(), done: z.boolean(), fixPath: z.string() }),
            ),
            antiPhishingCode: z.string().nullable(),
            twoFactor: z.object({
              totp: z.boolean(),
              passkeys: z.number(),
              lockedUntil: z.string().nullable(),
            }),
            emailConfirmed: z.boolean(),
            frozen: z.boolean(),
            withdrawalLock: lockSchema,
          }),
        },
      },
    },
    async (request) => securityOverview(deps, request.user!.id),
  )

  app.post(
    '/api/accounts/password',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Change the password (current password, and second factor when on); ends other sessions',
        body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema, ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await changePassword(deps, request.user!.id, request.user!.sessionId, request.body)
      return { message: 'Password changed. Withdrawals are locked for 24 hours.' }
    },
  )

  app.post(
    '/api/accounts/email',
    {
      config: { reauth: true },
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary:
          'Change the email: a confirmation link goes to the new address (72 h withdrawal lock once confirmed)',
        body: z.object({ newEmail: emailSchema, currentPassword: passwordSchema, ...factorFields }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await requestEmailChange(deps, request.user!.id, request.body)
      return reply
        .status(202)
        .send({ message: 'Open the link we sent to the new address to finish the change.' })
    },
  )

  app.post(
    '/api/accounts/email/confirm',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an email change from the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await confirmEmailChange(deps, request.body.token)
      return { message: 'Email changed. Withdrawals are locked for 72 hours.' }
    },
  )

  app.post(
    '/api/accounts/anti-phishing',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Set the anti-phishing code (4-20 letters/digits)',
        body: z.object({ code: z.string().max(40), ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      const { code, ...factor } = request.body
      await setAntiPhishingCode(deps, request.user!.id, code, factor)
      return { message: 'Anti-phishing code saved. Look for it in every email from us.' }
    },
  )
}
