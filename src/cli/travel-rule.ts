/**
 * @module `bulwark travel-rule keygen | identity` (docs/travel-rule.md): make the Ed25519 key that
 * signs this exchange's Travel Rule messages, and print the identity other VASPs put in their
 * directories (id, name, public key).
 */
import { randomBytes } from 'node:crypto'
import { publicKeyOf } from '../compliance/protocol.ts'
import { loadConfig } from '../platform/config.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb } from './verb.ts'

export const travelRuleCommands: CliGroup = {
  summary: 'Travel Rule: signing key and the identity to give counterparty VASPs',
  verbs: {
    keygen: defineVerb({
      summary: 'Make a new Ed25519 signing key for TRAVEL_RULE_SIGNING_KEY and print its public key',
      usage: '[--json]',
      description:
        'Prints a fresh 32-byte secret key as 64 hex digits (set it as TRAVEL_RULE_SIGNING_KEY, kept like any secret) and the public key counterparty VASPs enter in their directories. Nothing is stored.',
      examples: ['bulwark travel-rule keygen', 'bulwark travel-rule keygen --json'],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const secret = randomBytes(32).toString('hex')
        const publicKey = publicKeyOf(secret)
        if (values.json) printJsonLine(io, { signingKey: secret, publicKey })
        else io.stdout(`TRAVEL_RULE_SIGNING_KEY=${secret}\npublic key: ${publicKey}\n`)
        return 0
      },
    }),
    identity: defineVerb({
      summary: 'Print this exchange’s Travel Rule id, name and public key from the configuration',
      usage: '[--json]',
      description:
        'What a counterparty VASP needs for its directory: TRAVEL_RULE_VASP_ID, TRAVEL_RULE_VASP_NAME and the public key of TRAVEL_RULE_SIGNING_KEY (the same as GET /api/travel-rule/v1/identity). Exits 1 when no signing key is configured.',
      examples: ['TRAVEL_RULE_SIGNING_KEY=… bulwark travel-rule identity --json'],
      exitCodes: '1 no TRAVEL_RULE_SIGNING_KEY is configured',
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        if (!config.TRAVEL_RULE_SIGNING_KEY) {
          io.stderr('No TRAVEL_RULE_SIGNING_KEY is configured: make one with `bulwark travel-rule keygen`.\n')
          return 1
        }
        const identity = {
          id: config.TRAVEL_RULE_VASP_ID,
          name: config.TRAVEL_RULE_VASP_NAME,
          country: config.TRAVEL_RULE_COUNTRY,
          publicKey: publicKeyOf(config.TRAVEL_RULE_SIGNING_KEY.toLowerCase()),
        }
        if (values.json) printJsonLine(io, identity)
        else
          io.stdout(
            `${identity.name} (${identity.id}, ${identity.country})\npublic key: ${identity.publicKey}\n`,
          )
        return 0
      },
    }),
  },
}
