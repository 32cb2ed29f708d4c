/**
 * @module Request and response contracts of the account-protection routes.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { z } from 'zod'
import { withdrawalNetworks } from './addresses.ts'
import { apiPermissions } from './api-keys.ts'

export const tokenSchema = z.string().min(20).max(100)
export const passwordSchema = z.string().min(1).max(128)

const passkeyResponse = z.custom<AuthenticationResponseJSON>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string',
  { message: 'expected a WebAuthn authentication response' },
)
export const registrationResponse = z.custom<RegistrationResponseJSON>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string',
  { message: 'expected a WebAuthn registration response' },
)

/** The second-factor fields any sensitive request may carry. */
export const factorFields = {
  totpCode: z.string().trim().max(12).optional(),
  recoveryCode: z.string().trim().max(40).optional(),
  passkeyResponse: passkeyResponse.optional(),
}

export const messageSchema = z.object({ message: z.string() })

export const whitelistSchema = z.object({
  enabled: z.boolean(),
  requested: z.boolean(),
  turnsOffAt: z.string().nullable(),
  entries: z.array(
    z.object({
      id: z.uuid(),
      network: z.string(),
      address: z.string(),
      label: z.string(),
      createdAt: z.string(),
      usableAt: z.string(),
      usable: z.boolean(),
    }),
  ),
})

export const lockSchema = z.object({
  locked: z.boolean(),
  until: z.string().nullable(),
  reason: z.string().nullable(),
})

export const networkSchema = z.enum(withdrawalNetworks)
export const apiPermissionSchema = z.enum(apiPermissions)

export const alertSchema = z.object({
  id: z.uuid(),
  kind: z.string(),
  title: z.string(),
  at: z.string(),
  details: z.record(z.string(), z.unknown()),
  wasntMeAt: z.string().nullable(),
  antiPhishingCode: z.string().nullable(),
})

export const withdrawDecisionSchema = z.object({
  allowed: z.boolean(),
  code: z.string().optional(),
  message: z.string().optional(),
  until: z.string().optional(),
})
