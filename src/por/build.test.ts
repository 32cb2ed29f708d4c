import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../platform/errors.ts'
import { parseAmount } from './amount.ts'
import { auditRound } from './audit.ts'
import { type BuildParameters, buildRound } from './build.ts'
import { leafRecordSize } from './chunk.ts'
import { demoAssetsCsv, writeDemoLiabilities } from './demo.ts'
import { buildMemTree } from './memtree.ts'
import { openRound, ROUND_FILES } from './store.ts'
import { encodeProof, fromHex, nodeSize, toHex, verifyProof } from './verify/index.ts'

const work = mkdtempSync(join(tmpdir(), 'por-build-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
let n = 0
const secret = new Uint8Array(32).fill(3)
const assetsCsv = 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nETH,10,3200.5,0.8\nUSDT,6,1,1\n'

function files(liabilities: string, assets = assetsCsv) {
  const dir = join(work, `case-${n++}`)
  const l = `${dir}.liabilities.csv`
  const a = `${dir}.assets.csv`
  writeFileSync(l, liabilities)
  writeFileSync(a, assets)
  return { liabilitiesPath: l, assetsPath: a, outDir: dir }
}

async function build(liabilities: string, extra: Partial<BuildParameters> = {}, assets = assetsCsv) {
  return buildRound({ ...files(liabilities, assets), roundId: '2026-11', roundSecret: secret, ...extra })
}

async function buildError(liabilities: string, extra: Partial<BuildParameters> = {}, assets = assetsCsv) {
  try {
    await build(liabilities, extra, assets)
  } catch (e) {
    if (e instanceof AppError) return e
    throw e
  }
  throw new Error('build succeeded')
}

const rows = (count: number) =>
  `user_id,BTC,ETH,USDT\n${Array.from({ length: count }, (_, i) => `u${i},${i}.5,0.00${i % 10},${i * 3}\n`).join('')}`

describe('buildRound', () => {
  it('builds on disk exactly the tree of the in-memory reference (no shuffle, padding on the right)', async () => {
    const text = rows(37)
    const result = await build(text, { shuffle: false, depth: 7 })
    const leaves = text
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [id, ...cells] = line.split(',')
        const balances = cells.map((c, k) => {
          const v = parseAmount(c, [8, 10, 6][k]!)
          return v < 0n ? { equity: 0n, debt: -v } : { equity: v, debt: 0n }
        })
        return { userId: id!, piece: 0, balances }
      })
    const assets = [
      { symbol: 'BTC', decimals: 8 },
      { symbol: 'ETH', decimals: 10 },
      { symbol: 'USDT', decimals: 6 },
    ]
    const mem = buildMemTree({ sha256, roundId: '2026-11', roundSecret: secret, depth: 7, assets, leaves })
    expect(result.summary.root).toBe(toHex(mem.root))
    expect(result.summary.totals[0]).toEqual({
      symbol: 'BTC',
      equity: String(37 * 50_000_000 + 666 * 100_000_000),
      debt: '0',
    })
  })

  it('matches the reference across several 2^16-leaf chunks', async () => {
    const count = 70_000
    const text = `user_id,USDT\n${Array.from({ length: count }, (_, i) => `u${i},${i % 1000}\n`).join('')}`
    const result = await build(
      text,
      { shuffle: false, depth: 17 },
      'symbol,decimals,price_usd,haircut\nUSDT,6,1,1\n',
    )
    const leaves = Array.from({ length: count }, (_, i) => ({
      userId: `u${i}`,
      piece: 0,
      balances: [{ equity: BigInt(i % 1000) * 1_000_000n, debt: 0n }],
    }))
    const mem = buildMemTree({
      sha256,
      roundId: '2026-11',
      roundSecret: secret,
      depth: 17,
      assets: [{ symbol: 'USDT', decimals: 6 }],
      leaves,
    })
    expect(result.summary.root).toBe(toHex(mem.root))
  })

  it('gives every user of a shuffled, split round a proof that verifies against the published root', async () => {
    const result = await build(rows(300), { split: 3 })
    expect(result.leaves).toBe(900)
    expect(result.summary.depth).toBe(20)
    const round = openRound(result.summary.root ? join(work, `case-${n - 1}`) : '')
    try {
      const positions = new Set<number>()
      for (let i = 0; i < 300; i++) {
        const proof = round.proof(`u${i}`)
        expect(proof.pieces).toHaveLength(3)
        for (const p of proof.pieces) positions.add(p.position)
        const verified = verifyProof(proof, { expectedRoot: fromHex(result.summary.root) })
        expect(verified.failed).toBeUndefined()
        const btc = verified.pieces.reduce((s, p) => s + p.balances[0]!.equity, 0n)
        expect(btc).toBe(BigInt(i) * 100_000_000n + 50_000_000n)
      }
      expect(positions.size).toBe(900)
      // Shuffled: the first users are not at the first positions.
      expect(Math.min(...round.proof('u0').pieces.map((p) => p.position))).not.toBe(0)
    } finally {
      round.close()
    }
  })

  it('refuses to give a proof for a user who is not in the round', async () => {
    const result = await build(rows(5))
    const round = openRound(join(work, `case-${n - 1}`))
    expect(() => round.proof('nobody')).toThrow(/nobody has no leaf/)
    expect(result.users).toBe(5)
    round.close()
  })

  it('reports malformed rows, duplicate users and amounts beyond precision with their line numbers', async () => {
    const text =
      'user_id,BTC,ETH,USDT\n' +
      'alice,1,2,3\n' +
      'bob,1.123456789,0,0\n' +
      'carol,1,2\n' +
      'alice,0,0,0\n' +
      'dave,abc,0,0\n' +
      'erin,184467440737.09551616,0,0\n' +
      'frank,184467440737.09551615,0,0\n'
    const error = await buildError(text)
    expect(error.code).toBe('POR_IMPORT_INVALID')
    const issues = ((error.details?.issues ?? []) as { line: number; message: string }[]).map(
      (i) => `${i.line}: ${i.message}`,
    )
    expect(issues).toEqual([
      '3: BTC amount "1.123456789" has more than 8 decimal places',
      '4: expected 4 columns, found 3',
      '5: user alice already appears on line 2',
      '6: BTC amount "abc" is not a decimal number',
      '7: BTC amount "184467440737.09551616" is 2^64 or more in smallest units',
    ])
  })

  it('finds duplicates and errors across the parallel import ranges, with global line numbers', async () => {
    const lines = Array.from({ length: 80_000 }, (_, i) => `user-number-${i},0.${i % 100},${i % 7},${i % 13}`)
    lines[50_000] = 'user-number-5,1,1,1' // line 50002 repeats line 7
    lines[70_000] = 'user-number-70000,1,x,1' // line 70002
    const error = await buildError(`user_id,BTC,ETH,USDT\n${lines.join('\n')}\n`)
    const issues = ((error.details?.issues ?? []) as { line: number; message: string }[]).map(
      (i) => `${i.line}: ${i.message}`,
    )
    expect(issues).toEqual([
      '50002: user user-number-5 already appears on line 7',
      '70002: ETH amount "x" is not a decimal number',
    ])
  })

  it('reports an unknown asset column and a bad assets file', async () => {
    expect((await buildError('user_id,BTC,DOGE\n')).message).toMatch(/line 1: column DOGE is not an asset/)
    const bad = await buildError(rows(1), {}, 'symbol,decimals,price_usd,haircut\nBTC,8,65000,1.5\n')
    expect(bad.message).toMatch(/line 2: haircut 1.5 must be between 0 and 1/)
  })

  it('fails the build listing users whose haircut collateral does not cover their debt', async () => {
    // 0.001 BTC × 65000 × 0.9 = 58.5 USD of collateral: covers 58.5 USDT of debt, not 58.6.
    const text = 'user_id,BTC,ETH,USDT\nok,0.001,0,-58.5\nshort,0.001,0,-58.6\nbare,0,0,-1\n'
    const error = await buildError(text)
    expect(error.code).toBe('POR_UNDERCOLLATERALISED')
    expect(error.details?.users).toEqual([
      { userId: 'short', line: 3 },
      { userId: 'bare', line: 4 },
    ])
  })

  it('builds with an explicit exemption and records it in the round', async () => {
    const text = 'user_id,BTC,ETH,USDT\nok,0.001,0,-58.5\nshort,0.001,0,-58.6\n'
    const result = await build(text, { exemptions: ['short'] })
    expect(result.exemptedUndercollateralised).toEqual(['short'])
    expect(result.summary.exemptions.count).toBe(1)
    expect(result.summary.totals[2]).toEqual({ symbol: 'USDT', equity: '0', debt: String(117_100_000) })
  })

  it('handles 500 assets', async () => {
    const liabilities = join(work, 'wide.csv')
    writeDemoLiabilities(liabilities, 50, 500)
    const assets = join(work, 'wide-assets.csv')
    writeFileSync(assets, demoAssetsCsv(500))
    const outDir = join(work, 'wide')
    const result = await buildRound({
      liabilitiesPath: liabilities,
      assetsPath: assets,
      outDir,
      roundId: 'w',
      roundSecret: secret,
    })
    expect(result.summary.assets).toHaveLength(500)
    const round = openRound(outDir)
    expect(verifyProof(round.proof('user-7'), { expectedRoot: fromHex(result.summary.root) }).ok).toBe(true)
    round.close()
  })
})

describe('auditRound', () => {
  async function freshRound() {
    await build(rows(200))
    return join(work, `case-${n - 1}`)
  }
  const k = 3
  const patch = (path: string, position: number, f: (b: Uint8Array) => void, length = 1) => {
    const fd = openSync(path, 'r+')
    const b = new Uint8Array(length)
    readSync(fd, b, 0, length, position)
    f(b)
    writeSync(fd, b, 0, length, position)
    closeSync(fd)
  }

  it('recomputes an untouched round from the auditor package', async () => {
    const report = auditRound(await freshRound())
    expect(report.failed).toBeUndefined()
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['root', 'leaf-hash', 'duplicate-leaf', 'tree-node', 'totals', 'exemptions']),
    )
  })

  it('catches a changed balance in a leaf', async () => {
    const dir = await freshRound()
    patch(join(dir, ROUND_FILES.leaves), 5 * leafRecordSize(k) + 64 + 7, (b) => {
      b[0]! ^= 1
    })
    expect(auditRound(dir).failed).toMatchObject({ name: 'leaf-hash', level: 0 })
  })

  it('catches a stored node whose sum is not the sum of its children, naming level and asset', async () => {
    const dir = await freshRound()
    patch(join(dir, ROUND_FILES.level(5)), 2 * nodeSize(k) + 32 + 32 + 15, (b) => {
      b[0]! -= 1
    })
    expect(auditRound(dir).failed).toMatchObject({ name: 'tree-node', level: 5, asset: 'ETH' })
  })

  it('catches a duplicated leaf', async () => {
    const dir = await freshRound()
    const size = leafRecordSize(k)
    const path = join(dir, ROUND_FILES.leaves)
    const first = readFileSync(path).subarray(0, size)
    patch(path, 9 * size, (b) => b.set(first), size)
    expect(auditRound(dir).checks.find((c) => !c.ok && c.name === 'duplicate-leaf')).toBeDefined()
  })

  it('catches published totals that differ from the tree', async () => {
    const dir = await freshRound()
    const path = join(dir, ROUND_FILES.summary)
    const summary = JSON.parse(readFileSync(path, 'utf8'))
    summary.totals[0].equity = '1'
    writeFileSync(path, JSON.stringify(summary))
    expect(auditRound(dir).failed).toMatchObject({ name: 'totals', asset: 'BTC' })
  })
})

describe('proof size', () => {
  it('stays under 8 KB for 22 assets at depth 24', async () => {
    const liabilities = join(work, 'demo.csv')
    writeDemoLiabilities(liabilities, 2000, 22)
    const assets = join(work, 'demo-assets.csv')
    writeFileSync(assets, demoAssetsCsv(22))
    const outDir = join(work, 'demo')
    await buildRound({
      liabilitiesPath: liabilities,
      assetsPath: assets,
      outDir,
      roundId: 'd',
      roundSecret: secret,
      depth: 24,
    })
    const round = openRound(outDir)
    expect(encodeProof(round.proof('user-1234')).length).toBeLessThan(8192)
    round.close()
  })
})
