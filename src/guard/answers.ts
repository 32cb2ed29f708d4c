/**
 * @module The guard's answer to one item (a domain, a destination, a transfer, a token, a
 * transaction, an address to screen), from the shared input contract (schema.ts) to the public
 * output. `bulwark guard …` (JSON Lines) and the HTTP routes both call these, so a line and a
 * request body get the same verdict, reasons and summary.
 */
import type { z } from 'zod'
import type { AddressScreener } from './address/lists.ts'
import { checkDestination } from './address/lookalike.ts'
import { classifyTransfer } from './address/poisoning.ts'
import type { DomainGuard } from './domain/guard.ts'
import type {
  addressInputSchema,
  addressOutputSchema,
  domainOutputSchema,
  listsReportSchema,
  sanctionsOutputSchema,
  tokenInputSchema,
  tokenOutputSchema,
  transferInputSchema,
  transferOutputSchema,
  txOutputSchema,
} from './schema.ts'
import type { GuardEngines } from './service.ts'
import type { TokenGuard } from './token/counterfeit.ts'
import { analyzeTx, analyzeTxWithCode, type TxContext, type TxInput } from './tx/analyze.ts'
import { publicReasons } from './verdict.ts'

/** An item the guard could not check, with why (the caller decides how to report it). */
export type ItemError<K extends string> = Record<K, string> & { error: string }

/**
 * Checks a domain or URL; an input that is no web address is an error, not a verdict.
 * @example answerDomain(domains, 'https://app.uniswap.org') // { input, verdict: 'allow', … }
 */
export function answerDomain(
  domains: DomainGuard,
  input: string,
): z.infer<typeof domainOutputSchema> | ItemError<'input'> {
  const r = domains.check(input)
  if (r.reasons[0]?.code === 'NOT_A_DOMAIN') return { input, error: 'not a domain or URL' }
  return {
    input,
    verdict: r.verdict,
    reasons: publicReasons(r.reasons),
    ...(r.brand ? { brand: r.brand } : {}),
    summary: r.summary,
  }
}

/** Checks a destination against the addresses the user knows (lookalikes). */
export function answerAddress(
  input: z.output<typeof addressInputSchema>,
): z.infer<typeof addressOutputSchema> {
  const r = checkDestination(
    input.chain === undefined
      ? { to: input.to, known: input.known }
      : { to: input.to, known: input.known, chain: input.chain },
  )
  return {
    to: r.to,
    verdict: r.verdict,
    ...(r.lookalikeOf ? { lookalikeOf: r.lookalikeOf } : {}),
    reasons: publicReasons(r.reasons),
    summary: r.summary,
  }
}

/** Classifies a transfer from a wallet's history as address poisoning or not. */
export function answerTransfer(
  t: z.output<typeof transferInputSchema>,
  tokens: TokenGuard,
): z.infer<typeof transferOutputSchema> {
  const input = {
    chainId: t.chainId,
    token: t.token,
    symbol: t.symbol,
    from: t.from,
    to: t.to,
    value: t.value,
    known: t.known,
  }
  const r = classifyTransfer(t.decimals === undefined ? input : { ...input, decimals: t.decimals }, tokens)
  return {
    verdict: r.verdict,
    poisoning: r.poisoning,
    ...(r.lookalikeOf ? { lookalikeOf: r.lookalikeOf } : {}),
    reasons: publicReasons(r.reasons),
    summary: r.summary,
  }
}

/** Checks a token against the canonical token lists (counterfeits). */
export function answerToken(
  t: z.output<typeof tokenInputSchema>,
  tokens: TokenGuard,
): z.infer<typeof tokenOutputSchema> {
  const base = { chainId: t.chainId, address: t.address, symbol: t.symbol }
  const r = tokens.check(t.name === undefined ? base : { ...base, name: t.name })
  return {
    verdict: r.verdict,
    ...(r.impersonates ? { impersonates: r.impersonates } : {}),
    reasons: publicReasons(r.reasons),
    summary: r.summary,
  }
}

/**
 * Explains and flags a transaction or signature request; with `getCode` (an RPC lookup) spenders
 * are looked up, so approvals to plain accounts are caught.
 */
export async function answerTx(
  input: TxInput,
  ctx: Pick<TxContext, 'tokens' | 'screener'>,
  getCode?: (address: string) => Promise<string>,
): Promise<z.infer<typeof txOutputSchema>> {
  const r = getCode ? await analyzeTxWithCode(input, ctx, getCode) : analyzeTx(input, ctx)
  return { verdict: r.verdict, summary: r.summary, reasons: publicReasons(r.reasons) }
}

/** Screens an address against sanctions and other address lists; an unreadable address is an error. */
export function answerSanctions(
  screener: AddressScreener,
  address: string,
): z.infer<typeof sanctionsOutputSchema> | ItemError<'address'> {
  const r = screener.screen(address)
  if (r.error) return { address, error: r.error }
  return { address: r.address, verdict: r.verdict, lists: r.lists, reasons: publicReasons(r.reasons) }
}

/** Longest list of entries a report carries; the counts are always complete. */
const REPORT_SAMPLE = 200

/** What the guard has loaded and which blocklist entries need a person's eye (route and CLI). */
export function listsReport(engines: GuardEngines): z.infer<typeof listsReportSchema> {
  const stats = engines.domains.stats()
  const review = engines.domains.review()
  const sample = <T>(items: T[]) => ({ count: items.length, entries: items.slice(0, REPORT_SAMPLE) })
  return {
    loadedAt: engines.loadedAt?.toISOString() ?? null,
    domains: {
      ...stats,
      officialDomainsListed: sample(review.officialDomainsListed),
      linkShortenersListed: sample(review.linkShortenersListed),
      allowlistedEntries: sample(review.allowlistedEntries),
    },
    tokens: engines.tokens.size(),
    addresses: engines.screener.size(),
    sources: engines.sources,
  }
}
