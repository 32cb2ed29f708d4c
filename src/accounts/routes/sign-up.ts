import { z } from 'zod'
import { displayNameSchema } from '../../platform/identity/display-name.ts'
import { emailSchema } from '../../platform/identity/routes.ts'
import { reportWasntMeByToken } from '../alerts.ts'
import { approveDevice } from '../devices.ts'
import { completePasswordReset, confirmEmail, requestPasswordReset, signUp } from '../lifecycle.ts'
import { factorFields, messageSchema, passwordSchema, tokenSchema } from '../schema.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function signUpRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- Sign-up, confirmation, reset: the same answer whether or not the email has an account. ---
  app.post(
    '/api/accounts/signup',
    {
      config: { rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Open a customer account; a confirmation link is emailed',
        body: z.object({
          email: emailSchema,
          displayName: displayNameSchema,
          password: passwordSchema,
        }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await signUp(deps, { ...request.body, ip: request.ip })
      return reply.status(202).send({ message: 'Check your email to finish opening your account.' })
    },
  )

  app.post(
    '/api/accounts/confirm-email',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an email with the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await confirmEmail(deps, request.body.token)
      return { message: 'Email confirmed. You can sign in now.' }
    },
  )

  app.post(
    '/api/accounts/password-reset',
    {
      config: { rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Email a password reset link (same answer for any email)',
        body: z.object({ email: emailSchema }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, request.ip)
      return reply.status(202).send({ message: 'If this email has an account, a reset link is on its way.' })
    },
  )

  app.post(
    '/api/accounts/password-reset/complete',
    {
      config: { rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Set a new password from a reset link (second factor required when on)',
        body: z.object({ token: tokenSchema, password: passwordSchema, ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await completePasswordReset(deps, request.body)
      return {
        message: 'Password changed. Withdrawals are locked for 72 hours. Sign in with the new password.',
      }
    },
  )

  app.post(
    '/api/accounts/devices/approve',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Approve a new device from the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: z.object({ device: z.string(), ip: z.string() }) },
      },
    },
    async (request) => approveDevice(deps, request.body.token),
  )

  app.post(
    '/api/accounts/wasnt-me',
    {
      schema: {
        tags: ['accounts'],
        summary: '"This wasn\'t me" from an alert email: freezes the account',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await reportWasntMeByToken(deps, request.body.token)
      return { message: 'Your account is frozen. Support will contact you to review it.' }
    },
  )
}
