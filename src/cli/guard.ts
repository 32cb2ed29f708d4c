/**
 * @module `bulwark guard <verb>`: the wallet guard over JSON Lines. Each verb reads one input per line
 * (from `--in F` or standard input) and writes exactly one JSON line per input line, in order
 * (to `--out F` or standard output). A line that is not valid JSON or fails the schema gets
 * `{"line": n, "error": "..."}`; the command never stops on bad input. Exit code 0 when every line was
 * processed (verdicts are data, not failures), 2 for bad arguments or unreadable list files.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { ParseArgsOptionsConfig } from 'node:util'
import { createAddressScreener, type ListKind } from '../guard/address/lists.ts'
import {
  answerAddress,
  answerDomain,
  answerSanctions,
  answerToken,
  answerTransfer,
  answerTx,
  listsReport,
} from '../guard/answers.ts'
import { createDomainGuard } from '../guard/domain/guard.ts'
import { feedsDir } from '../guard/node/configured.ts'
import { loadDefaultLists } from '../guard/node/defaults.ts'
import { loadAddressLists, loadDomainLists, loadTokenLists } from '../guard/node/load.ts'
import { parseFeeds, updateFeeds } from '../guard/node/update.ts'
import { addressInputSchema, tokenInputSchema, transferInputSchema, txInputSchema } from '../guard/schema.ts'
import { mergeLists } from '../guard/service.ts'
import { fetchCode } from '../guard/token/bytecode.ts'
import { createTokenGuard } from '../guard/token/counterfeit.ts'
import type { TxInput } from '../guard/tx/analyze.ts'
import { loadConfig } from '../platform/config.ts'
import { printJson } from './output.ts'
import type { CliGroup, CliIo, CliVerb } from './types.ts'
import { UsageError } from './types.ts'
import { defineVerb, type ParsedArgs } from './verb.ts'

type LineHandler = (line: string) => unknown

/** Runs `handle` over every input line and writes one JSON line per input line. */
async function pump(
  io: CliIo,
  inPath: string | undefined,
  outPath: string | undefined,
  handle: LineHandler,
): Promise<number> {
  const out = outPath ? createWriteStream(outPath) : null
  const write = (obj: unknown): void => {
    const text = `${JSON.stringify(obj)}\n`
    if (out) out.write(text)
    else io.stdout(text)
  }
  let n = 0
  // Lines are handled one after another (awaiting async handlers) so output order is input order.
  const each = async (raw: string): Promise<void> => {
    n++
    const line = raw.replace(/\r$/, '')
    try {
      write(await handle(line))
    } catch (e) {
      write({
        line: n,
        input: line.slice(0, 500),
        error: e instanceof Error ? e.message.split('\n')[0] : String(e),
      })
    }
  }
  if (!inPath && io.readStdin) {
    const text = await io.readStdin()
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    for (const l of lines) await each(l)
  } else {
    const rl = createInterface({
      input: inPath ? createReadStream(inPath) : process.stdin,
      crlfDelay: Number.POSITIVE_INFINITY,
    })
    for await (const l of rl) await each(l)
  }
  if (out)
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
  return 0
}

/** Parses a JSON line and validates it; Zod issues become one readable error message. */
function parseLine<T>(
  line: string,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }
  },
): T {
  if (line.trim() === '') throw new Error('empty line')
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new Error('not valid JSON')
  }
  const r = schema.safeParse(value)
  if (!r.success)
    throw new Error(r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '))
  return r.data
}

/** Reads a line that is plain text, a JSON string, or a JSON object holding the text in one of `fields`. */
function textOrJsonField(line: string, fields: readonly string[]): string {
  let text = line.trim()
  if (text.startsWith('"') || text.startsWith('{')) {
    const v = JSON.parse(text) as unknown
    if (typeof v === 'string') text = v
    else {
      const record = v as Record<string, unknown>
      text = String(fields.map((f) => record[f]).find((x) => x !== undefined && x !== null) ?? '')
    }
  }
  if (text === '') throw new Error('empty line')
  return text
}

/** The verdict of an item, or its error thrown so `pump` writes it as that line's error. */
function orThrow<T extends object>(answer: T | { error: string }): T {
  if ('error' in answer) throw new Error(answer.error)
  return answer
}

async function loading<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    throw new UsageError(`Could not load ${what}: ${(e as Error).message}`)
  }
}

const domainListOptions = {
  'no-defaults': {
    type: 'boolean',
    description:
      'Skip the shipped lists (MetaMask, Uniswap token list, OFAC addresses): check against the given files only.',
  },
  blocklist: {
    type: 'string',
    multiple: true,
    description: 'A domain blocklist: plain, CSV with a domain column, or eth-phishing-detect JSON.',
    valueName: 'FILE',
  },
  allowlist: {
    type: 'string',
    multiple: true,
    description: 'Domains never blocked, in the same formats.',
    valueName: 'FILE',
  },
  brands: {
    type: 'string',
    multiple: true,
    description: 'Extra protected brands: JSON [{"name","tokens":[…],"domains":[…]}] (see docs/guard.md).',
    valueName: 'FILE',
  },
  'link-shortener': {
    type: 'string',
    multiple: true,
    description: 'An extra link-shortener domain: a feed entry naming it whole warns instead of blocking.',
    valueName: 'DOMAIN',
  },
} as const

/** The shipped lists (MetaMask config, Uniswap token list, OFAC), unless `--no-defaults`. */
const defaults = (values: { 'no-defaults'?: boolean }) => (values['no-defaults'] ? null : loadDefaultLists())

const loadDomainOptions = async (values: {
  'no-defaults'?: boolean
  blocklist?: string[]
  allowlist?: string[]
  brands?: string[]
  'link-shortener'?: string[]
  popular?: string[]
}) => {
  const configured = await loading('domain lists', () =>
    loadDomainLists({
      blocklists: values.blocklist ?? [],
      allowlists: values.allowlist ?? [],
      brands: values.brands ?? [],
      linkShorteners: values['link-shortener'] ?? [],
      popular: values.popular ?? [],
    }),
  )
  const d = defaults(values)
  return d ? (mergeLists({ domains: d.domains }, { domains: configured }).domains ?? configured) : configured
}

const loadDomainGuard = async (values: Parameters<typeof loadDomainOptions>[0]) =>
  createDomainGuard(await loadDomainOptions(values))

const loadTokenGuard = async (files: string[] | undefined, values: { 'no-defaults'?: boolean }) => {
  const loaded = await loading('token lists', () => loadTokenLists(files ?? []))
  return createTokenGuard([...(defaults(values)?.tokens ?? []), ...loaded])
}

const loadScreener = async (
  files: string[] | undefined,
  kind: ListKind,
  values: { 'no-defaults'?: boolean },
) => {
  const loaded = await loading('address lists', () => loadAddressLists(files ?? [], kind))
  return createAddressScreener([...(defaults(values)?.addresses ?? []), ...loaded])
}

const noDefaults = {
  'no-defaults': {
    type: 'boolean',
    description:
      'Skip the shipped lists (MetaMask, Uniswap token list, OFAC addresses): check against the given files only.',
  },
} as const

const inOut = {
  in: {
    type: 'string',
    description: 'Read lines from this file (default: standard input).',
    valueName: 'FILE',
  },
  out: {
    type: 'string',
    description: 'Write answers to this file (default: standard output).',
    valueName: 'FILE',
  },
} as const
const tokenListOption = {
  'token-list': {
    type: 'string',
    multiple: true,
    description: 'A token list in the standard token-list JSON format (canonical tokens).',
    valueName: 'FILE',
  },
} as const
const addressListOption = {
  list: {
    type: 'string',
    multiple: true,
    description: 'An address list: OFAC sanctioned_addresses_* files, JSON or plain (one address a line).',
    valueName: 'FILE',
  },
} as const

/**
 * A verb over JSON Lines: `prepare` loads what the verb needs from its own flags (a list that
 * cannot be loaded is a usage error) and returns the per-line function; `pump` keeps the contract
 * of one output line per input line, in order.
 */
function jsonLinesVerb<const O extends ParseArgsOptionsConfig>(def: {
  summary: string
  usage: string
  examples: string[]
  options: O
  prepare(values: ParsedArgs<O>['values']): LineHandler | Promise<LineHandler>
}): CliVerb {
  return defineVerb({
    summary: def.summary,
    usage: def.usage,
    description:
      'Reads JSON Lines (or plain lines where noted) and writes one answer line per input line, in order: a verdict (allow, warn or block) with its reasons.',
    examples: def.examples,
    options: { ...inOut, ...def.options },
    async run({ values }, io) {
      const handle = await def.prepare(values as ParsedArgs<O>['values'])
      const files = values as { in?: string; out?: string }
      return pump(io, files.in, files.out, handle)
    },
  })
}

const domains = jsonLinesVerb({
  summary: 'Check domains or URLs (one per line; plain text or a JSON string)',
  usage:
    '[--no-defaults] [--blocklist F]… [--allowlist F]… [--brands F]… [--link-shortener D]… [--popular F]… [--in F] [--out F]',
  examples: [
    'echo rnetamask.io | bulwark guard domains',
    'bulwark guard domains --blocklist scamsniffer.csv --in domains.txt --out verdicts.jsonl',
  ],
  options: {
    ...domainListOptions,
    popular: {
      type: 'string',
      multiple: true,
      description: 'A Tranco-format CSV of popular domains, never blocked by heuristics alone.',
      valueName: 'FILE',
    },
  },
  async prepare(values) {
    const guard = await loadDomainGuard(values)
    return (line) => orThrow(answerDomain(guard, textOrJsonField(line, ['input', 'domain', 'url'])))
  },
})

const lists = defineVerb({
  summary:
    'Load lists as the server would and report their sizes and the blocklist entries to review (official domains, whole link shorteners, allowlisted)',
  usage:
    '[--no-defaults] [--blocklist F]… [--allowlist F]… [--brands F]… [--link-shortener D]… [--token-list F]… [--list F]…',
  examples: ['bulwark guard lists', 'bulwark guard lists --blocklist my-blocklist.txt --no-defaults'],
  options: { ...domainListOptions, ...tokenListOption, ...addressListOption },
  async run({ values }, io) {
    printJson(
      io,
      listsReport({
        domains: await loadDomainGuard(values),
        tokens: await loadTokenGuard(values['token-list'], values),
        screener: await loadScreener(values.list, 'sanctions', values),
        loadedAt: new Date(),
        sources: [
          ...(defaults(values)?.sources ?? []),
          ...[...(values.blocklist ?? []), ...(values.allowlist ?? [])].map((f) =>
            configuredSource(f, 'domains'),
          ),
          ...(values['token-list'] ?? []).map((f) => configuredSource(f, 'tokens')),
          ...(values.list ?? []).map((f) => configuredSource(f, 'addresses')),
        ],
      }),
    )
    return 0
  },
})

const configuredSource = (file: string, kind: 'domains' | 'tokens' | 'addresses') => ({
  name: file.replace(/^.*[\\/]/, ''),
  kind,
  source: file,
  licence: "the list's own",
  date: 'now',
  entries: null,
  shipped: false,
})

const update = defineVerb({
  summary:
    'Download the public feeds named by GUARD_FEEDS (or --feed), validate them and keep the last good copy; a feed that shrank by more than half is held for review',
  usage: '[--feed name=kind:URL]… [--dir D] [--accept-shrink] [--json]',
  examples: [
    'bulwark guard update',
    'bulwark guard update --feed metamask=domains:https://example.org/config.json --accept-shrink',
  ],
  options: {
    feed: {
      type: 'string',
      multiple: true,
      description:
        'A feed to download instead of GUARD_FEEDS, as name=kind:URL (kind: domains, tokens or addresses).',
      valueName: 'FEED',
    },
    dir: {
      type: 'string',
      description: 'Where the last good copies are kept (default: DATA_DIR/guard-feeds).',
      valueName: 'DIR',
    },
    'accept-shrink': {
      type: 'boolean',
      description: 'Accept a feed that shrank by more than half (it is held for review otherwise).',
    },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const config = loadConfig(values.feed ? { ...io.env, GUARD_FEEDS: values.feed.join(',') } : io.env)
    const feeds = parseFeeds(config.GUARD_FEEDS)
    if (feeds.length === 0)
      throw new UsageError('No feeds to update: set GUARD_FEEDS or pass --feed name=kind:https://…')
    const dir = values.dir ?? feedsDir(config)
    const results = await updateFeeds({
      feeds,
      dir,
      now: () => new Date(),
      acceptShrink: values['accept-shrink'] ?? false,
    })
    if (values.json) printJson(io, { dir, results })
    else
      for (const r of results)
        io.stdout(`${r.name} (${r.kind}): ${r.status}, ${r.entries} entries in force — ${r.message}\n`)
    return results.every((r) => r.status === 'updated' || r.status === 'unchanged') ? 0 : 1
  },
})

const addresses = jsonLinesVerb({
  summary: 'Check destinations against known addresses for lookalikes ({"to","known":[…],"chain"?})',
  usage: '[--in F] [--out F]',
  examples: [
    'echo \'{"to":"0xAb5801a7D398351b8bE11C439e05C5B3259aeC9C","known":["0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"]}\' | bulwark guard addresses',
  ],
  options: {},
  prepare: () => (line) => answerAddress(parseLine(line, addressInputSchema)),
})

const transfers = jsonLinesVerb({
  summary:
    'Classify transfers as address poisoning ({"chainId","token","symbol","from","to","value","known":[…]})',
  usage: '[--no-defaults] [--token-list F]… [--in F] [--out F]',
  examples: ['bulwark guard transfers --in transfers.jsonl'],
  options: { ...noDefaults, ...tokenListOption },
  async prepare(values) {
    const tokens = await loadTokenGuard(values['token-list'], values)
    return (line) => {
      const t = parseLine(line, transferInputSchema)
      // The line echoes the transfer (without the known list) ahead of its verdict.
      return { ...t, known: undefined, ...answerTransfer(t, tokens) }
    }
  },
})

const tokensVerb = jsonLinesVerb({
  summary: 'Detect counterfeit tokens against token lists ({"chainId","address","symbol","name"})',
  usage: '[--no-defaults] [--token-list F]… [--in F] [--out F]',
  examples: [
    'echo \'{"chainId":1,"address":"0x0000000000000000000000000000000000000001","symbol":"USDT","name":"Tether USD"}\' | bulwark guard tokens',
  ],
  options: { ...noDefaults, ...tokenListOption },
  async prepare(values) {
    const tokens = await loadTokenGuard(values['token-list'], values)
    return (line) => answerToken(parseLine(line, tokenInputSchema), tokens)
  },
})

const tx = jsonLinesVerb({
  summary:
    'Explain and flag transactions or signature requests ({"chainId","from","to","data","value"} or {"typedData"})',
  usage: '[--no-defaults] [--token-list F]… [--list F]… [--rpc URL] [--in F] [--out F]',
  examples: ['bulwark guard tx --in requests.jsonl --rpc http://127.0.0.1:8545'],
  options: {
    ...noDefaults,
    ...tokenListOption,
    ...addressListOption,
    rpc: {
      type: 'string',
      description: 'A JSON-RPC endpoint: approvals to addresses without code (plain accounts) are blocked.',
      valueName: 'URL',
    },
  },
  async prepare(values) {
    const rpc = values.rpc
    const tokens = await loadTokenGuard(values['token-list'], values)
    const screener = await loadScreener(values.list, 'drainer', values)
    const getCode = rpc ? (address: string) => fetchCode(rpc, address) : undefined
    return (line) => answerTx(parseLine(line, txInputSchema) as TxInput, { tokens, screener }, getCode)
  },
})

const sanctions = jsonLinesVerb({
  summary: 'Screen addresses (one per line) against sanctions and other address lists',
  usage: '[--no-defaults] [--list F]… [--in F] [--out F]',
  examples: ['echo 0x8589427373D6D84E98730D7795D8f6f8731FDA16 | bulwark guard sanctions'],
  options: { ...noDefaults, ...addressListOption },
  async prepare(values) {
    const screener = await loadScreener(values.list, 'sanctions', values)
    return (line) => orThrow(answerSanctions(screener, textOrJsonField(line, ['address'])))
  },
})

export const guardCommands: CliGroup = {
  summary: 'Wallet guard: domains, lookalike addresses, poisoning, tokens, transactions, sanctions',
  verbs: { domains, addresses, transfers, tokens: tokensVerb, tx, sanctions, lists, update },
}
