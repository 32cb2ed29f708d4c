/**
 * @module The browser part of `npm run bench:por-zk -- --browser`: times the UltraHonk verification of one batch
 * proof in Debian's Chromium (playwright-core, as the browser tests drive it) through the public verifier page's
 * own code (`pageVerifier` + `verifyBatchProof` of web/src/por/zk-check.ts, bundled by Vite, bb.js's
 * single-threaded wasm served from the same origin as our server serves it). Cold: the first verification in a
 * fresh page (wasm loaded and setup initialised beforehand, timed apart); warm: later ones in the same page.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { browserWasm } from '../src/por/zk/wasm.ts'
import { launchBrowser } from '../test/support/browser.ts'
import { BB_WASM_PATH } from '../web/src/por/zk-check.ts'

export interface BrowserVerifyInput {
  exchangeId: string
  roundId: string
  index: number
  /** τ·G2 of the setup, hex (what a round publishes as `setupG2`). */
  setupG2: string
  vk: Uint8Array
  file: { root: string; prevCum: string; newCum: string; proof: string }
  /** Fresh pages for the cold figure. */
  pages: number
  /** Verifications per page after the first, for the warm figure. */
  warm: number
}

export interface BrowserVerifyResult {
  chromium: string
  /** bb.js import + wasm download, compile and setup initialisation, per fresh page. */
  loadMs: number[]
  coldMs: number[]
  warmMs: number[]
  allVerified: boolean
}

const ZK_CHECK = fileURLToPath(new URL('../web/src/por/zk-check.ts', import.meta.url))

/** Bundles a page exposing the verifier page's functions as `window.benchZk` (Vite, as `npm run build`). */
async function bundle(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body><script type="module" src="./entry.ts"></script></body></html>\n',
  )
  writeFileSync(
    join(dir, 'entry.ts'),
    `import { pageVerifier, verifyBatchProof } from ${JSON.stringify(ZK_CHECK)}
;(window as unknown as { benchZk: unknown }).benchZk = async (x: any) => {
  const t0 = performance.now()
  const bb = await pageVerifier(x.setupG2)
  const loadMs = performance.now() - t0
  const vk = Uint8Array.from(atob(x.vk), (c) => c.charCodeAt(0))
  const runs = []
  for (let i = 0; i <= x.warm; i++) runs.push(verifyBatchProof(bb, vk, x.exchangeId, x.roundId, x.index, x.file))
  return { loadMs, runs }
}
`,
  )
  const { build } = await import('vite')
  await build({
    root: dir,
    configFile: false,
    logLevel: 'warn',
    build: { outDir: join(dir, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 100_000 },
  })
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
}

/** Proves nothing: times the verification of a proof made by the caller. */
export async function timeBrowserVerify(
  workDir: string,
  x: BrowserVerifyInput,
): Promise<BrowserVerifyResult> {
  const dir = join(workDir, 'browser-page')
  await bundle(dir)
  const dist = join(dir, 'dist')
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (path === BB_WASM_PATH) {
      res.writeHead(200, { 'content-type': 'application/gzip' })
      res.end(browserWasm())
      return
    }
    const rel = path === '/' ? 'index.html' : path.replace(/^\/+/, '')
    if (rel.includes('..')) {
      res.writeHead(404).end()
      return
    }
    try {
      const body = readFileSync(join(dist, rel))
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const browser = await launchBrowser()
  const result: BrowserVerifyResult = {
    chromium: browser.version(),
    loadMs: [],
    coldMs: [],
    warmMs: [],
    allVerified: true,
  }
  try {
    const arg = {
      exchangeId: x.exchangeId,
      roundId: x.roundId,
      index: x.index,
      setupG2: x.setupG2,
      vk: Buffer.from(x.vk).toString('base64'),
      file: x.file,
      warm: x.warm,
    }
    for (let i = 0; i < x.pages; i++) {
      // A new context per page: no shared cache, a new wasm instance.
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(url)
      await page.waitForFunction(() => 'benchZk' in window)
      const r = await page.evaluate(
        (a) =>
          (
            window as unknown as {
              benchZk: (a: unknown) => Promise<{ loadMs: number; runs: { ok: boolean; ms: number }[] }>
            }
          ).benchZk(a),
        arg,
      )
      await context.close()
      result.loadMs.push(r.loadMs)
      const [first, ...rest] = r.runs
      if (first) result.coldMs.push(first.ms)
      result.warmMs.push(...rest.map((run) => run.ms))
      if (!r.runs.every((run) => run.ok)) result.allVerified = false
    }
  } finally {
    await browser.close()
    await new Promise((resolve) => server.close(resolve))
  }
  return result
}

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}
