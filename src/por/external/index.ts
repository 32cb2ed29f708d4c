/**
 * @module Verifies proof-of-reserves files published by other exchanges, detecting the format of
 * each file: OKX v1 proofs, OKX v2 user info + full tree, Binance zkmerkle user proofs (leaf and path),
 * Bybit and Bitget Merkle paths, and OKX's reserve CSV with address signatures.
 */
import { isBinance, parseBinanceJson, verifyBinance } from './binance.ts'
import { isBitget, verifyBitget } from './bitget.ts'
import { isBybit, verifyBybit } from './bybit.ts'
import { GUARANTEES } from './guarantees.ts'
import { isOkxReserves, verifyOkxReserves } from './okx-reserves.ts'
import { isOkxV1, verifyOkxV1 } from './okx-v1.ts'
import { isOkxV2Tree, isOkxV2UserInfo, type TreeSource, verifyOkxV2 } from './okx-v2.ts'
import type { ExternalFormat, ExternalResult } from './types.ts'

export { poseidonHash } from './binance.ts'
export { GUARANTEES } from './guarantees.ts'
export type { ExternalCheck, ExternalFormat, ExternalResult } from './types.ts'

export type ExternalFile = {
  path: string
  /** The whole file, or for a streamed OKX v2 tree just its beginning (enough to detect the format). */
  text: string
  /** Streamed tree lines for big OKX v2 tree files. */
  source?: TreeSource
}

type Detected = {
  file: ExternalFile
  format: ExternalFormat | 'okx-v2-user' | 'okx-v2-tree' | 'unknown'
  json?: unknown
}

/** Which format a file is in, from its content (never from its name). */
export function detectFormat(file: ExternalFile): Detected['format'] {
  return detect(file).format
}

function detect(file: ExternalFile): Detected {
  const text = file.text.replace(/^\uFEFF/, '')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (json !== undefined) {
    if (isBybit(json)) return { file, format: 'bybit', json }
    if (isBitget(json)) return { file, format: 'bitget', json }
    if (isOkxV1(json)) return { file, format: 'okx-v1', json }
    if (isOkxV2UserInfo(json)) return { file, format: 'okx-v2-user', json }
    if (isBinance(json)) return { file, format: 'binance', json: parseBinanceJson(text) }
    return { file, format: 'unknown' }
  }
  if (isOkxV2Tree(text)) return { file, format: 'okx-v2-tree' }
  if (isOkxReserves(text)) return { file, format: 'okx-reserves' }
  return { file, format: 'unknown' }
}

function failure(format: ExternalFormat, files: string[], reason: string): ExternalResult {
  return {
    format,
    files,
    ok: false,
    reason: `input: ${reason}`,
    checks: [{ name: 'input', ok: false, detail: reason }],
    warnings: [],
    balances: undefined,
    root: undefined,
    guarantees: GUARANTEES[format],
  }
}

/**
 * Verifies a set of files; OKX v2 user-info files are paired with the full-tree files given
 * alongside them (in order). Unknown files throw, so a typo never reads as "verified".
 * @example await verifyExternal([{ path: 'proof.json', text }])
 */
export async function verifyExternal(files: ExternalFile[]): Promise<ExternalResult[]> {
  const detected = files.map(detect)
  const unknown = detected.find((d) => d.format === 'unknown')
  if (unknown) {
    throw new Error(
      `${unknown.file.path}: not a recognised proof format (OKX v1/v2, Binance, Bybit, Bitget, OKX reserve CSV)`,
    )
  }
  const trees = detected.filter((d) => d.format === 'okx-v2-tree')
  const users = detected.filter((d) => d.format === 'okx-v2-user')
  const results: ExternalResult[] = []
  for (const d of detected) {
    const path = d.file.path
    switch (d.format) {
      case 'okx-v1':
        results.push(verifyOkxV1(d.json, path))
        break
      case 'bybit':
        results.push(verifyBybit(d.json, path))
        break
      case 'bitget':
        results.push(verifyBitget(d.json, path))
        break
      case 'binance':
        results.push(verifyBinance(d.json, path))
        break
      case 'okx-reserves':
        results.push(await verifyOkxReserves(d.file.text, path))
        break
      case 'okx-v2-user': {
        const tree = trees[users.indexOf(d)]
        results.push(
          tree
            ? await verifyOkxV2(d.json, tree.file.source ?? tree.file.text, [path, tree.file.path])
            : failure(
                'okx-v2',
                [path],
                'an OKX v2 user-info file needs the full liabilities tree file next to it',
              ),
        )
        break
      }
      case 'okx-v2-tree':
        if (trees.indexOf(d) >= users.length) {
          results.push(failure('okx-v2', [path], 'an OKX v2 tree file needs your user-info file next to it'))
        }
        break
      default:
        break
    }
  }
  return results
}

/**
 * Reads the files from disk and verifies them. OKX v2 tree files are streamed, never loaded whole.
 */
export async function verifyExternalFiles(paths: string[]): Promise<ExternalResult[]> {
  // Imported lazily so the verifiers above stay usable in the browser.
  const { open, readFile } = await import('node:fs/promises')
  const { fileTreeSource } = await import('./tree-file.ts')
  const files: ExternalFile[] = []
  for (const path of paths) {
    const handle = await open(path, 'r')
    const head = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    await handle.close()
    const start = head.toString('utf8', 0, bytesRead)
    if (isOkxV2Tree(start)) files.push({ path, text: start, source: fileTreeSource(path) })
    else files.push({ path, text: await readFile(path, 'utf8') })
  }
  return verifyExternal(files)
}

/** Human-readable rendering: verdict, each check, warnings and the format's guarantees. */
export function formatExternalResult(r: ExternalResult): string {
  const out = [`${r.ok ? 'PASS' : 'FAIL'}  ${r.format}  ${r.files.join(' + ')}`]
  if (!r.ok && r.reason) out.push(`  reason: ${r.reason}`)
  for (const c of r.checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
  if (r.balances)
    out.push(
      `  balances: ${Object.entries(r.balances)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    )
  if (r.root) out.push(`  root: ${r.root.hash}`)
  for (const w of r.warnings) out.push(`  warning: ${w}`)
  out.push('  this format can prove:')
  for (const g of r.guarantees.can) out.push(`    + ${g}`)
  out.push('  it cannot prove:')
  for (const g of r.guarantees.cannot) out.push(`    - ${g}`)
  return out.join('\n')
}
