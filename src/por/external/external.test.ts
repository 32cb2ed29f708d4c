import { describe, expect, it } from 'vitest'
import { detectFormat, type ExternalResult, verifyExternal } from './index.ts'
import {
  binanceFixture,
  bitgetFixture,
  bybitFixture,
  okxReservesFixture,
  okxV1Fixture,
  okxV2Fixture,
  serialiseJson,
} from './testing/fixtures.ts'

// biome-ignore lint/suspicious/noExplicitAny: tests poke into fixture JSON
type Json = Record<string, any>

const file = (path: string, value: unknown) => ({
  path,
  text: typeof value === 'string' ? value : JSON.stringify(value, null, 2),
})
const clone = <T>(v: T): T => structuredClone(v)

async function one(path: string, value: unknown): Promise<ExternalResult> {
  const [r] = await verifyExternal([file(path, value)])
  return r!
}

describe('format detection', () => {
  it('recognises every supported format from content alone', async () => {
    const v2 = okxV2Fixture()
    expect(detectFormat(file('a', okxV1Fixture()))).toBe('okx-v1')
    expect(detectFormat(file('a', bybitFixture()))).toBe('bybit')
    expect(detectFormat(file('a', bitgetFixture()))).toBe('bitget')
    expect(detectFormat({ path: 'a', text: serialiseJson(binanceFixture()) })).toBe('binance')
    expect(detectFormat(file('a', v2.userInfo))).toBe('okx-v2-user')
    expect(detectFormat(file('a', v2.tree))).toBe('okx-v2-tree')
    expect(detectFormat(file('a', await okxReservesFixture()))).toBe('okx-reserves')
  })

  it('refuses a file it does not recognise instead of calling it verified', async () => {
    await expect(verifyExternal([file('x.json', { hello: 'world' })])).rejects.toThrow(
      /not a recognised proof format/,
    )
  })
})

describe('OKX v1', () => {
  it('accepts a genuine proof and states the sum-max limitation', async () => {
    const r = await one('okx.json', okxV1Fixture())
    expect(r.reason).toBeUndefined()
    expect(r.ok).toBe(true)
    expect(r.balances).toEqual({ BTC: '1.2', ETH: '0.1', USDT: '0' })
    expect(r.guarantees.cannot.join(' ')).toContain('sum-max')
  })

  it('rejects a changed balance of the user', async () => {
    const f = clone(okxV1Fixture()) as Json
    f.self.balances.USDT = '1'
    expect((await one('okx.json', f)).reason).toMatch(
      /^leaf: SHA-256\(nonce ‖ balances\) = [0-9a-f]{64}, file says/,
    )
  })

  it('rejects a lowered sibling sum, naming the asset', async () => {
    const f = clone(okxV1Fixture()) as Json
    f.path[1].balances.BTC = '0'
    const r = await one('okx.json', f)
    expect(r.ok).toBe(false)
    expect(r.reason).toMatch(/^root sums: BTC sum is .* but the file says/)
  })

  it('rejects a reordered path and a truncated path', async () => {
    const reordered = clone(okxV1Fixture()) as Json
    ;[reordered.path[1], reordered.path[2]] = [reordered.path[2], reordered.path[1]]
    expect((await one('okx.json', reordered)).reason).toBe(
      'height 2: path entry 2 has height 3; expected 2 (truncated or reordered path)',
    )
    const truncated = clone(okxV1Fixture()) as Json
    truncated.path.splice(1, 1)
    expect((await one('okx.json', truncated)).ok).toBe(false)
  })
})

describe('OKX v2 (user info + full tree)', () => {
  it('accepts a genuine pair and recomputes every level of the tree', async () => {
    const { userInfo, tree } = okxV2Fixture()
    const [r] = await verifyExternal([file('user.json', userInfo), file('tree.txt', tree)])
    expect(r!.reason).toBeUndefined()
    expect(r!.checks.filter((c) => c.name.startsWith('height ')).length).toBeGreaterThanOrEqual(3)
    expect(r!.root?.balances).toEqual({ BTC: '4.70000001', ETH: '9.35', USDT: '1363.24' })
  })

  it('rejects a parent whose sum was set to the max of its children instead of their sum', async () => {
    const { userInfo, tree } = okxV2Fixture()
    const lines = tree.trim().split('\n')
    // Second line is a child of the root; replace its USDT sum with a smaller one.
    const [hash, height, json] = [
      lines[1]!.slice(0, 64),
      lines[1]!.split(',')[1],
      lines[1]!.slice(lines[1]!.indexOf('{')),
    ]
    const bal = JSON.parse(json)
    bal.USDT = '1'
    lines[1] = `${hash},${height},${JSON.stringify(bal)}`
    const [r] = await verifyExternal([file('user.json', userInfo), file('tree.txt', `${lines.join('\n')}\n`)])
    expect(r!.ok).toBe(false)
    expect(r!.reason).toMatch(/^height \d: tree line 2: USDT sum is .* but the file says 1$/)
  })

  it('rejects a user leaf missing from the tree', async () => {
    const { userInfo, tree } = okxV2Fixture()
    const u = clone(userInfo) as Json
    const other = okxV2Fixture()
    const lines = other.tree.split('\n').filter((l) => !l.startsWith(u.nodes[0].hash))
    const [r] = await verifyExternal([file('user.json', u), file('tree.txt', lines.join('\n'))])
    expect(r!.ok).toBe(false)
    expect(r!.reason).toContain('is not a leaf of the tree')
    expect(tree).toContain(u.nodes[0].hash)
  })

  it('streams a tree file from disk and names the tampered line', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { verifyExternalFiles } = await import('./index.ts')
    const dir = mkdtempSync(join(tmpdir(), 'okx-v2-'))
    try {
      const { userInfo, tree } = okxV2Fixture()
      writeFileSync(join(dir, 'user.json'), JSON.stringify(userInfo))
      writeFileSync(join(dir, 'tree.txt'), tree)
      const [good] = await verifyExternalFiles([join(dir, 'user.json'), join(dir, 'tree.txt')])
      expect(good!.reason).toBeUndefined()
      // Swap two leaves of another user: their parent's hash no longer matches.
      const lines = tree.trim().split('\n')
      const last = lines.length - 1
      ;[lines[last], lines[last - 1]] = [lines[last - 1]!, lines[last]!]
      writeFileSync(join(dir, 'tree.txt'), `${lines.join('\n')}\n`)
      const [bad] = await verifyExternalFiles([join(dir, 'user.json'), join(dir, 'tree.txt')])
      expect(bad!.reason).toMatch(
        /^height 2: tree line \d+: hash should be [0-9a-f]{64}, file has [0-9a-f]{64}$/,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('needs both files', async () => {
    const [r] = await verifyExternal([file('user.json', okxV2Fixture().userInfo)])
    expect(r!.reason).toBe('input: an OKX v2 user-info file needs the full liabilities tree file next to it')
  })
})

describe('Bybit', () => {
  it('accepts a genuine path', async () => {
    const r = await one('bybit.json', bybitFixture())
    expect(r.reason).toBeUndefined()
    expect(r.balances?.USDT).toBe('12.50000000')
  })

  it('rejects a changed sibling balance', async () => {
    const f = clone(bybitFixture()) as Json
    f.path[0].balance.ETH = '5.00000000'
    const r = await one('bybit.json', f)
    expect(r.reason).toMatch(/^root sums: ETH sum is/)
  })

  it('rejects a forged root hash', async () => {
    const f = clone(bybitFixture()) as Json
    f.path[f.path.length - 1].hash = 'f'.repeat(64)
    expect((await one('bybit.json', f)).reason).toMatch(
      /^root hash: recomputed root [0-9a-f]{64} differs from the published root f{64}/,
    )
  })
})

describe('Bitget', () => {
  it('accepts a genuine path', async () => {
    const r = await one('merkel_tree_bg.json', bitgetFixture())
    expect(r.reason).toBeUndefined()
    expect(r.ok).toBe(true)
  })

  it('rejects a changed balance of the user and a sibling taken from another level', async () => {
    const f = clone(bitgetFixture()) as Json
    f.self.balances.BTC = '10'
    expect((await one('bg.json', f)).reason).toMatch(/^leaf: /)
    const g = clone(bitgetFixture()) as Json
    g.path[1].level = 9
    expect((await one('bg.json', g)).reason).toContain('(reordered path)')
  })
})

describe('Binance zkmerkle user proof', () => {
  const bfile = (value: unknown) => ({ path: 'user_config.json', text: serialiseJson(value) })
  const run = async (value: unknown) => (await verifyExternal([bfile(value)]))[0]!

  it('recomputes the leaf from the account balances and reaches the root', async () => {
    const r = await run(binanceFixture())
    expect(r.reason).toBeUndefined()
    expect(r.checks.find((c) => c.name === 'leaf')?.detail).toMatch(
      /^leaf recomputed from your balances \(5 fields per asset, tiers 50\/350, padded to 50, Poseidon state\[1\]\)/,
    )
  })

  it('accepts the Merkle part alone from a LeafHash', async () => {
    expect((await run(binanceFixture(5, { leafOnly: true }))).ok).toBe(true)
  })

  it('rejects a changed balance, and a proof presented for another account index', async () => {
    const f = binanceFixture() as Json
    f.Assets[1].Debt = 0n
    expect((await run(f)).reason).toMatch(
      /^root hash: no leaf reaches the published root [0-9a-f]{64} from account index 5/,
    )
    const g = binanceFixture() as Json
    g.AccountIndex = 4
    expect((await run(g)).ok).toBe(false)
  })

  it('rejects a non-canonical field element and an amount beyond uint64', async () => {
    const f = binanceFixture() as Json
    f.Proof[0] = Buffer.alloc(32, 0xff).toString('base64')
    expect((await run(f)).reason).toBe('level 0: Proof[0] is not a canonical BN254 field element')
    const g = binanceFixture() as Json
    g.Assets[0].Equity = 2n ** 64n
    expect((await run(g)).reason).toBe('account: Assets[0].Equity must be an integer in [0, 2^64)')
  })
})

describe('OKX reserve CSV', () => {
  it('verifies EVM, contract-wallet, Bitcoin and TRON rows and warns about the static message', async () => {
    const r = await one('okx_por.csv', await okxReservesFixture())
    expect(r.reason).toBeUndefined()
    expect(r.balances).toEqual({ ETH: '3', BTC: '1.5', 'USDT-TRC20': '100' })
    expect(r.warnings.some((w) => w.includes('static message'))).toBe(true)
    expect(r.checks.find((c) => c.name.startsWith('line 10'))?.detail).toMatch(/^TRON v1 signature by T/)
    expect(r.warnings.some((w) => w.includes('network SOL is not verified'))).toBe(true)
  })

  it('rejects a row whose signature belongs to another address', async () => {
    const csv = (await okxReservesFixture()).split('\n')
    const eoaRow = csv[5]!.split(',')
    const contractRow = csv[6]!.split(',')
    eoaRow[6] = contractRow[6]!
    csv[5] = eoaRow.join(',')
    const r = await one('okx_por.csv', csv.join('\n'))
    expect(r.ok).toBe(false)
    expect(r.reason).toMatch(
      /^line 6 \(ETH 0x[0-9a-fA-F]{40}\): signature recovers 0x[0-9a-fA-F]{40}, not 0x/,
    )
  })

  it('warns when a contract row reuses the signature of an EOA row', async () => {
    const csv = (await okxReservesFixture()).split('\n')
    const eoaRow = csv[5]!.split(',')
    const contractRow = csv[6]!.split(',')
    contractRow[6] = eoaRow[6]!
    contractRow[9] = eoaRow[3]!
    csv[6] = contractRow.join(',')
    const r = await one('okx_por.csv', csv.join('\n'))
    expect(r.ok).toBe(true)
    expect(r.warnings).toContain(
      `line 7 (ETH ${contractRow[3]}): reuses the signature of line 6 (one signature proves one key, counted twice?)`,
    )
  })

  it('rejects a multisig row with one signature', async () => {
    const csv = (await okxReservesFixture()).split('\n')
    const row = csv[8]!.split(',')
    row[7] = ''
    csv[8] = row.join(',')
    const r = await one('okx_por.csv', csv.join('\n'))
    expect(r.reason).toContain('1 of the required 2 signers signed (2-of-3)')
  })
})

describe('the sum-max attack on sum-only parents', () => {
  it('passes both users of a forged OKX v1 tree whose root total is the max, not the sum', async () => {
    const { okxV1LeafHash, okxParentHash, okxTruncate } = await import('./okx-v1.ts')
    const { readVector } = await import('./balances.ts')
    const a = { BTC: '5', ETH: '0', USDT: '0' }
    const b = { BTC: '3', ETH: '0', USDT: '0' }
    const ha = okxV1LeafHash('na', a)
    const hb = okxV1LeafHash('nb', b)
    const rootVec = okxTruncate(readVector(a, 'a') as never)
    // The exchange publishes a root totalling 5 BTC although its users hold 8.
    const root = { balances: a, hash: okxParentHash(ha, hb, rootVec, 2), type: 3, height: 2 }
    const forA = {
      self: { balances: a, nonce: 'na', hash: ha, type: 1, height: 1 },
      path: [{ balances: { BTC: '0', ETH: '0', USDT: '0' }, hash: hb, type: 2, height: 1 }, root],
    }
    const forB = {
      self: { balances: b, nonce: 'nb', hash: hb, type: 2, height: 1 },
      path: [{ balances: { BTC: '2', ETH: '0', USDT: '0' }, hash: ha, type: 1, height: 1 }, root],
    }
    expect((await one('a.json', forA)).ok).toBe(true)
    expect((await one('b.json', forB)).ok).toBe(true)
  })
})
