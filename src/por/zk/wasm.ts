/**
 * @module bb.js's single-threaded wasm for the browser verifier, served from our own server. The browser build
 * of bb.js 0.82.2 carries it only inlined (a gzip data: URL in `dest/browser/barretenberg.js`) and its fallback
 * would be Aztec's CDN; a page under our CSP may fetch neither, so the server extracts it once and serves it.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { AppError } from '../../platform/errors.ts'

const MARK = 'data:application/gzip;base64,'
let cached: Buffer | undefined

/** The gzipped single-threaded bb.js wasm (about 2.8 MB), as the browser build's loader expects it. */
export function browserWasm(): Buffer {
  if (cached) return cached
  // `@aztec/bb.js` resolves to dest/node-cjs/index.js under require; the browser build sits beside it.
  const entry = createRequire(import.meta.url).resolve('@aztec/bb.js')
  const text = readFileSync(join(dirname(entry), '..', 'browser', 'barretenberg.js'), 'utf8')
  const start = text.indexOf(MARK)
  const end = start < 0 ? -1 : text.indexOf('"', start)
  if (end < 0)
    throw new AppError(
      'ZK_WASM_MISSING',
      500,
      'The bb.js browser wasm is missing from node_modules: reinstall',
    )
  cached = Buffer.from(text.slice(start + MARK.length, end), 'base64')
  return cached
}
