/**
 * @module Wallet guard HTTP routes (public, no sign-in, rate limited per IP by GUARD_RATE_LIMIT_MAX
 * a minute): check domains, lookalike destinations, poisoning transfers, counterfeit tokens,
 * bytecode, transactions/signatures and sanctions. Same Zod contracts as the CLI's JSON Lines.
 * Lists come from GUARD_* configuration and refresh in the background (see docs/guard.md).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../platform/deps.ts'
import {
  answerAddress,
  answerDomain,
  answerSanctions,
  answerToken,
  answerTransfer,
  answerTx,
  listsReport,
} from './answers.ts'
import { startConfiguredGuard } from './node/configured.ts'
import {
  addressInputSchema,
  addressOutputSchema,
  bytecodeInputSchema,
  bytecodeOutputSchema,
  domainOutputSchema,
  listsReportSchema,
  sanctionsOutputSchema,
  tokenInputSchema,
  tokenOutputSchema,
  transferInputSchema,
  transferOutputSchema,
  txInputSchema,
  txOutputSchema,
} from './schema.ts'
import type { GuardService } from './service.ts'
import { analyzeBytecode, fetchCode } from './token/bytecode.ts'
import type { TxInput } from './tx/analyze.ts'
import { publicReasons } from './verdict.ts'

const domainResult = z.union([domainOutputSchema, z.object({ input: z.string(), error: z.string() })])

const RPC_TIMEOUT_MS = 3000

const fetchWithTimeout: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(RPC_TIMEOUT_MS) })

/** `1=https://…,8453=https://…` → chain id → URL (the format is validated by the config schema). */
export function parseRpcUrls(value: string): Map<number, string> {
  const urls = new Map<number, string>()
  for (const pair of value.split(',').filter(Boolean)) {
    const at = pair.indexOf('=')
    urls.set(Number(pair.slice(0, at)), pair.slice(at + 1))
  }
  return urls
}

/** The chain a request is for: the transaction's, or the EIP-712 domain's. */
function txChainId(input: TxInput): number | undefined {
  if (input.chainId !== undefined) return input.chainId
  const domain = (input.typedData as { domain?: { chainId?: unknown } } | undefined)?.domain
  const id = Number(domain?.chainId)
  return Number.isSafeInteger(id) ? id : undefined
}

export async function guardRoutes(base: FastifyInstance, deps: DomainDeps & { guard?: GuardService }) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  let guard = deps.guard
  if (!guard) {
    const started = startConfiguredGuard(
      deps.config,
      () => deps.clock.now(),
      (e) => app.log.error({ err: e }, 'guard list load failed'),
      (feeds) =>
        app.log.info(
          { feeds: feeds.map((f) => ({ name: f.name, status: f.status, entries: f.entries })) },
          'guard feeds updated',
        ),
    )
    guard = started.service
    app.addHook('onClose', async () => started.stop())
  }
  const rpcUrls = parseRpcUrls(deps.config.GUARD_RPC_URLS)
  const service = guard
  const tags = ['guard']
  const config = { rateLimit: { max: deps.config.GUARD_RATE_LIMIT_MAX, timeWindow: '1 minute' } }

  app.post(
    '/api/guard/domains',
    {
      config,
      schema: {
        tags,
        summary:
          'Check up to 1000 domains or URLs before connecting a wallet (allow | warn | block, with reasons)',
        body: z.object({ inputs: z.array(z.string().min(1).max(2048)).min(1).max(1000) }),
        response: { 200: z.object({ results: z.array(domainResult), listsLoadedAt: z.string().nullable() }) },
      },
    },
    async (request) => {
      const { domains, loadedAt } = service.engines()
      const results = request.body.inputs.map((input) => answerDomain(domains, input))
      return { results, listsLoadedAt: loadedAt?.toISOString() ?? null }
    },
  )

  app.post(
    '/api/guard/address',
    {
      config,
      schema: {
        tags,
        summary: 'Check a destination against the addresses the user knows (address-poisoning lookalikes)',
        body: addressInputSchema,
        response: { 200: addressOutputSchema },
      },
    },
    async (request) => answerAddress(request.body),
  )

  app.post(
    '/api/guard/transfers',
    {
      config,
      schema: {
        tags,
        summary: 'Classify up to 1000 transfers from a wallet history as address poisoning',
        body: z.object({ transfers: z.array(transferInputSchema).min(1).max(1000) }),
        response: { 200: z.object({ results: z.array(transferOutputSchema) }) },
      },
    },
    async (request) => {
      const { tokens } = service.engines()
      return { results: request.body.transfers.map((t) => answerTransfer(t, tokens)) }
    },
  )

  app.post(
    '/api/guard/tokens',
    {
      config,
      schema: {
        tags,
        summary: 'Detect counterfeit tokens (look-alike symbol or name at a non-canonical contract)',
        body: z.object({ tokens: z.array(tokenInputSchema).min(1).max(1000) }),
        response: { 200: z.object({ results: z.array(tokenOutputSchema) }) },
      },
    },
    async (request) => {
      const { tokens } = service.engines()
      return { results: request.body.tokens.map((t) => answerToken(t, tokens)) }
    },
  )

  app.post(
    '/api/guard/bytecode',
    {
      config,
      schema: {
        tags,
        summary: 'Risk flags from contract bytecode (mint, blacklist, pause, fees, proxy, selfdestruct)',
        body: bytecodeInputSchema,
        response: { 200: bytecodeOutputSchema },
      },
    },
    async (request) => {
      const r = analyzeBytecode(request.body.code)
      return {
        verdict: r.verdict,
        summary: r.summary,
        reasons: publicReasons(r.reasons),
        selectors: r.selectors,
      }
    },
  )

  app.post(
    '/api/guard/tx',
    {
      // Signature requests are multi-line text (EIP-4361 sign-in messages, pretty-printed typed data).
      config: { ...config, multilineFields: ['message', 'typedData', 'typedData.**'] },
      schema: {
        tags,
        summary:
          'Explain a transaction or signature request (calldata, EIP-712 typed data, eth_sign) and flag dangerous ones',
        body: txInputSchema,
        response: { 200: txOutputSchema },
      },
    },
    async (request) => {
      const { tokens, screener } = service.engines()
      const input = request.body as TxInput
      const rpc = rpcUrls.get(txChainId(input) ?? -1)
      // With an RPC endpoint for the chain, spenders are looked up so approvals to plain accounts
      // (EOAs) are caught; a slow or failing endpoint leaves the kind unknown rather than stalling.
      return answerTx(
        input,
        { tokens, screener },
        rpc ? (a) => fetchCode(rpc, a, fetchWithTimeout) : undefined,
      )
    },
  )

  app.post(
    '/api/guard/sanctions',
    {
      config,
      schema: {
        tags,
        summary: 'Screen up to 1000 addresses against sanctions and drainer lists',
        body: z.object({ addresses: z.array(z.string().min(1).max(200)).min(1).max(1000) }),
        response: {
          200: z.object({
            results: z.array(
              z.union([sanctionsOutputSchema, z.object({ address: z.string(), error: z.string() })]),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { screener } = service.engines()
      return { results: request.body.addresses.map((a) => answerSanctions(screener, a)) }
    },
  )

  app.get(
    '/api/guard/lists',
    {
      config,
      schema: {
        tags,
        summary:
          'What the guard has loaded: list sizes, when, and blocklist entries to review (official domains and whole link shorteners that a feed lists)',
        response: { 200: listsReportSchema },
      },
    },
    async () => listsReport(service.engines()),
  )
}
