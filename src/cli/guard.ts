/**
 * @module `bulwark guard <verb>`: the wallet guard over JSON Lines. Each verb reads one input per line
 * (from `--in F` or standard input) and writes exactly one JSON line per input line, in order
 * (to `--out F` or standard output). A line that is not valid JSON or fails the schema gets
 * `{"line": n, "error": "..."}`; the command never stops on bad input. Exit code 0 when every line was
 * processed (verdicts are data, not failures), 2 for bad arguments or unreadable list files.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createAddressScreener } from '../guard/address/lists.ts'
import { checkDestination } from '../guard/address/lookalike.ts'
import { classifyTransfer } from '../guard/address/poisoning.ts'
import { createDomainGuard } from '../guard/domain/guard.ts'
import { loadAddressLists, loadDomainLists, loadTokenLists } from '../guard/node/load.ts'
import { addressInputSchema, tokenInputSchema, transferInputSchema, txInputSchema } from '../guard/schema.ts'
import { fetchCode } from '../guard/token/bytecode.ts'
import { createTokenGuard } from '../guard/token/counterfeit.ts'
import { analyzeTx, analyzeTxWithCode, type TxInput } from '../guard/tx/analyze.ts'
import { publicReasons } from '../guard/verdict.ts'
import type { CliGroup, CliIo, CliVerb } from './types.ts'
import { UsageError } from './types.ts'

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

const io2 = { in: { type: 'string' }, out: { type: 'string' } } as const

async function loading<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    throw new UsageError(`Could not load ${what}: ${(e as Error).message}`)
  }
}

const domains: CliVerb = {
  summary: 'Check domains or URLs (one per line; plain text or a JSON string)',
  usage: '[--blocklist F]… [--allowlist F]… [--brands F]… [--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...io2,
        blocklist: { type: 'string', multiple: true },
        allowlist: { type: 'string', multiple: true },
        brands: { type: 'string', multiple: true },
      },
    })
    const opts = await loading('domain lists', () =>
      loadDomainLists({
        blocklists: values.blocklist ?? [],
        allowlists: values.allowlist ?? [],
        brands: values.brands ?? [],
      }),
    )
    const guard = createDomainGuard(opts)
    return pump(io, values.in, values.out, (line) => {
      let input = line.trim()
      if (input.startsWith('"') || input.startsWith('{')) {
        const v = JSON.parse(input) as unknown
        input =
          typeof v === 'string'
            ? v
            : String(
                (v as { input?: unknown; domain?: unknown; url?: unknown }).input ??
                  (v as { domain?: unknown }).domain ??
                  (v as { url?: unknown }).url ??
                  '',
              )
      }
      if (input === '') throw new Error('empty line')
      const r = guard.check(input)
      if (r.reasons[0]?.code === 'NOT_A_DOMAIN') throw new Error('not a domain or URL')
      const out: Record<string, unknown> = {
        input: r.input,
        verdict: r.verdict,
        reasons: publicReasons(r.reasons),
      }
      if (r.brand) out.brand = r.brand
      out.summary = r.summary
      return out
    })
  },
}

const addresses: CliVerb = {
  summary: 'Check destinations against known addresses for lookalikes ({"to","known":[…],"chain"?})',
  usage: '[--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: io2 })
    return pump(io, values.in, values.out, (line) => {
      const input = parseLine(line, addressInputSchema)
      const r = checkDestination(
        input.chain === undefined
          ? { to: input.to, known: input.known }
          : { to: input.to, known: input.known, chain: input.chain },
      )
      const out: Record<string, unknown> = { to: r.to, verdict: r.verdict }
      if (r.lookalikeOf) out.lookalikeOf = r.lookalikeOf
      out.reasons = publicReasons(r.reasons)
      out.summary = r.summary
      return out
    })
  },
}

const transfers: CliVerb = {
  summary:
    'Classify transfers as address poisoning ({"chainId","token","symbol","from","to","value","known":[…]})',
  usage: '[--token-list F]… [--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...io2, 'token-list': { type: 'string', multiple: true } },
    })
    const tokens = createTokenGuard(
      await loading('token lists', () => loadTokenLists(values['token-list'] ?? [])),
    )
    return pump(io, values.in, values.out, (line) => {
      const t = parseLine(line, transferInputSchema)
      const input = {
        chainId: t.chainId,
        token: t.token,
        symbol: t.symbol,
        from: t.from,
        to: t.to,
        value: t.value,
        known: t.known,
      }
      const r = classifyTransfer(
        t.decimals === undefined ? input : { ...input, decimals: t.decimals },
        tokens,
      )
      const out: Record<string, unknown> = {
        ...t,
        known: undefined,
        verdict: r.verdict,
        poisoning: r.poisoning,
      }
      if (r.lookalikeOf) out.lookalikeOf = r.lookalikeOf
      out.reasons = publicReasons(r.reasons)
      out.summary = r.summary
      return out
    })
  },
}

const tokensVerb: CliVerb = {
  summary: 'Detect counterfeit tokens against token lists ({"chainId","address","symbol","name"})',
  usage: '[--token-list F]… [--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...io2, 'token-list': { type: 'string', multiple: true } },
    })
    const guard = createTokenGuard(
      await loading('token lists', () => loadTokenLists(values['token-list'] ?? [])),
    )
    return pump(io, values.in, values.out, (line) => {
      const t = parseLine(line, tokenInputSchema)
      const base = { chainId: t.chainId, address: t.address, symbol: t.symbol }
      const r = guard.check(t.name === undefined ? base : { ...base, name: t.name })
      const out: Record<string, unknown> = { verdict: r.verdict }
      if (r.impersonates) out.impersonates = r.impersonates
      out.reasons = publicReasons(r.reasons)
      out.summary = r.summary
      return out
    })
  },
}

const tx: CliVerb = {
  summary:
    'Explain and flag transactions or signature requests ({"chainId","from","to","data","value"} or {"typedData"})',
  usage: '[--token-list F]… [--list F]… [--rpc URL] [--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...io2,
        'token-list': { type: 'string', multiple: true },
        list: { type: 'string', multiple: true },
        rpc: { type: 'string' },
      },
    })
    const rpc = values.rpc
    const tokens = createTokenGuard(
      await loading('token lists', () => loadTokenLists(values['token-list'] ?? [])),
    )
    const screener = createAddressScreener(
      await loading('address lists', () => loadAddressLists(values.list ?? [], 'drainer')),
    )
    return pump(io, values.in, values.out, async (line) => {
      const input = parseLine(line, txInputSchema) as TxInput
      const r = rpc
        ? await analyzeTxWithCode(input, { tokens, screener }, (a) => fetchCode(rpc, a))
        : analyzeTx(input, { tokens, screener })
      return { verdict: r.verdict, summary: r.summary, reasons: publicReasons(r.reasons) }
    })
  },
}

const sanctions: CliVerb = {
  summary: 'Screen addresses (one per line) against sanctions and other address lists',
  usage: '[--list F]… [--in F] [--out F]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...io2, list: { type: 'string', multiple: true } } })
    const screener = createAddressScreener(
      await loading('address lists', () => loadAddressLists(values.list ?? [], 'sanctions')),
    )
    return pump(io, values.in, values.out, (line) => {
      let address = line.trim()
      if (address.startsWith('"') || address.startsWith('{')) {
        const v = JSON.parse(address) as unknown
        address = typeof v === 'string' ? v : String((v as { address?: unknown }).address ?? '')
      }
      if (address === '') throw new Error('empty line')
      const r = screener.screen(address)
      if (r.error) throw new Error(r.error)
      return { address: r.address, verdict: r.verdict, lists: r.lists, reasons: publicReasons(r.reasons) }
    })
  },
}

export const guardCommands: CliGroup = {
  summary: 'Wallet guard: domains, lookalike addresses, poisoning, tokens, transactions, sanctions',
  verbs: { domains, addresses, transfers, tokens: tokensVerb, tx, sanctions },
}
