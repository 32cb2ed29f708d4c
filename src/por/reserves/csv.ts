/**
 * @module The reserves CSV: one row per (chain, address, asset) the exchange claims, with the
 * ownership proof for the round's challenge. Part of the public interface; documented in
 * docs/por-reserves.md ("Reserves CSV"). Errors name the line and column so an operator can fix
 * the file without guessing.
 */
import { readFile } from 'node:fs/promises'
import { AppError } from '../../platform/errors.ts'
import { parseAmount } from './amount.ts'

export const RESERVE_SCHEMES = [
  'eip191',
  'safe',
  'erc1271',
  'btc-message',
  'bip322',
  'btc-multisig',
  'ed25519',
  'tron-message',
] as const
export type ReserveScheme = (typeof RESERVE_SCHEMES)[number]

export const RESERVES_HEADER = [
  'chain',
  'address',
  'asset',
  'token',
  'amount',
  'scheme',
  'signature',
  'public_key',
  'script',
]

export type ReserveEntry = {
  /** 1-based line in the file, for error messages. */
  line: number
  chain: string
  address: string
  /** Asset symbol as in the liabilities assets file, e.g. `BTC`, `USDT`. */
  asset: string
  /** ERC-20 contract for tokens; undefined for the chain's native coin. */
  token: string | undefined
  /** Amount the exchange declares, in the asset's smallest unit. */
  declared: bigint
  scheme: ReserveScheme
  /** One signature, or one per signer for multisig and Safe owners (`;`-separated in the file). */
  signatures: string[]
  publicKey: string | undefined
  script: string | undefined
}

/** Splits one CSV line, honouring double quotes (`""` inside quotes is a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((s) => s.trim())
}

/**
 * Parses reserves CSV text. `decimals(symbol)` gives each asset's precision (from the assets file);
 * an unknown asset is an error. Throws `POR_RESERVES_INVALID` listing every bad line.
 */
export function parseReservesCsv(
  text: string,
  decimals: (asset: string) => number | undefined,
): ReserveEntry[] {
  const lines = text.split(/\r?\n/)
  const errors: string[] = []
  const header = splitCsvLine(lines[0] ?? '')
  if (header.join(',') !== RESERVES_HEADER.join(',')) {
    throw new AppError(
      'POR_RESERVES_INVALID',
      400,
      `Line 1: the header must be exactly "${RESERVES_HEADER.join(',')}" (got "${header.join(',')}").`,
    )
  }
  const entries: ReserveEntry[] = []
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    if (raw.trim() === '' || raw.startsWith('#')) continue
    const line = i + 1
    const f = splitCsvLine(raw)
    if (f.length !== RESERVES_HEADER.length) {
      errors.push(`Line ${line}: expected ${RESERVES_HEADER.length} columns, found ${f.length}.`)
      continue
    }
    const [chain, address, asset, token, amount, scheme, signature, publicKey, script] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(chain))
      errors.push(`Line ${line}: chain "${chain}" must be a lowercase chain id.`)
    if (address === '') errors.push(`Line ${line}: address is empty.`)
    if (!(RESERVE_SCHEMES as readonly string[]).includes(scheme)) {
      errors.push(`Line ${line}: scheme "${scheme}" must be one of ${RESERVE_SCHEMES.join(', ')}.`)
    }
    const dec = decimals(asset)
    let declared = 0n
    if (dec === undefined) errors.push(`Line ${line}: asset "${asset}" is not in the assets file.`)
    else {
      const parsed = parseAmount(amount, dec)
      if ('error' in parsed) errors.push(`Line ${line}: amount ${parsed.error}.`)
      else declared = parsed.value
    }
    const signatures = signature
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    if (signatures.length === 0) errors.push(`Line ${line}: signature is empty.`)
    if (scheme === 'btc-multisig' && script === '')
      errors.push(`Line ${line}: btc-multisig needs the redeem script.`)
    if (scheme === 'ed25519' && publicKey === '') errors.push(`Line ${line}: ed25519 needs the public key.`)
    entries.push({
      line,
      chain,
      address,
      asset,
      token: token === '' ? undefined : token,
      declared,
      scheme: scheme as ReserveScheme,
      signatures,
      publicKey: publicKey === '' ? undefined : publicKey,
      script: script === '' ? undefined : script,
    })
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, 20).join('\n')
    const more = errors.length > 20 ? `\n… and ${errors.length - 20} more.` : ''
    throw new AppError(
      'POR_RESERVES_INVALID',
      400,
      `The reserves file has ${errors.length} error(s):\n${shown}${more}`,
      {
        details: { errors },
      },
    )
  }
  return entries
}

/**
 * Reads a reserves CSV file. `assets` is the assets list of the round (symbol and decimals).
 * @example await loadReserves('R.csv', [{ symbol: 'BTC', decimals: 8 }])
 */
export async function loadReserves(
  file: string,
  assets: ReadonlyArray<{ symbol: string; decimals: number }>,
): Promise<ReserveEntry[]> {
  const bySymbol = new Map(assets.map((a) => [a.symbol, a.decimals]))
  return parseReservesCsv(await readFile(file, 'utf8'), (s) => bySymbol.get(s))
}
