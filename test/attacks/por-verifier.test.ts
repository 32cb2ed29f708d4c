/**
 * Finding 11: the proof verifier accepted JSON proofs with an unknown `version` or `mode`, and
 * `bulwark por verify` without a root exited 0 on a self-consistent forgery (a proof carries its own
 * root). Unknown versions and modes are refused everywhere the shared verifier runs (CLI, server, the
 * browser page), and the CLI fails without a trusted root, saying what to give.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { type PorProof, proofFromJson, verifyProof } from '../../src/por/verify/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'por-verifier-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} })
  return { code, stdout, stderr }
}

const round = join(dir, 'round')
let proofJson: Record<string, unknown>
let root: string
beforeAll(async () => {
  const assets = join(dir, 'assets.csv')
  const liabilities = join(dir, 'liabilities.csv')
  writeFileSync(assets, 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n')
  writeFileSync(
    liabilities,
    `user_id,BTC\n${Array.from({ length: 20 }, (_, i) => `u${i},0.${i + 1}`).join('\n')}\n`,
  )
  const built = await cli(
    'por',
    'build',
    '--liabilities',
    liabilities,
    '--assets',
    assets,
    '--out',
    round,
    '--json',
  )
  expect(built.code).toBe(0)
  root = JSON.parse(built.stdout).summary.root
  proofJson = JSON.parse((await cli('por', 'proof', '--round', round, '--user', 'u3')).stdout)
})

function writeProof(name: string, value: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(value))
  return file
}

describe('unknown proof versions and modes', () => {
  it('refuses a JSON proof of version 2 or mode 2 in the CLI, naming the field (exit 1)', async () => {
    for (const [field, value] of [
      ['version', 2],
      ['mode', 2],
    ] as const) {
      const file = writeProof(`${field}.json`, { ...proofJson, [field]: value })
      const result = await cli('por', 'verify', '--proof', file, '--round', round, '--json')
      expect(result.code).toBe(1)
      expect(JSON.parse(result.stdout).failed).toMatchObject({ name: 'format' })
      expect(JSON.parse(result.stdout).failed.detail).toContain(`unsupported ${field} 2`)
    }
  })

  it('refuses them in the shared verifier the browser runs, parsed or built in memory', () => {
    expect(() => proofFromJson({ ...proofJson, version: 7 })).toThrow(/unsupported version 7/)
    expect(() => proofFromJson({ ...proofJson, mode: 2 })).toThrow(/unsupported mode 2/)
    const valid = proofFromJson(proofJson)
    expect(verifyProof(valid, { expectedRoot: Uint8Array.from(Buffer.from(root, 'hex')) }).ok).toBe(true)
    const other: PorProof = { ...valid, mode: 2 }
    const result = verifyProof(other, { expectedRoot: Uint8Array.from(Buffer.from(root, 'hex')) })
    expect(result.ok).toBe(false)
    expect(result.failed).toMatchObject({ name: 'version' })
  })
})

describe('a published round.json of an unknown version or mode', () => {
  it('is refused as the trusted root (exit 1, POR_UNSUPPORTED_VERSION)', async () => {
    const file = writeProof('for-v2-round.json', proofJson)
    const summary = JSON.parse(readFileSync(join(round, 'round.json'), 'utf8'))
    for (const [field, value] of [
      ['version', 2],
      ['mode', 2],
    ] as const) {
      const other = join(dir, `round-${field}`)
      mkdirSync(other, { recursive: true })
      writeFileSync(join(other, 'round.json'), JSON.stringify({ ...summary, [field]: value }))
      const result = await cli('por', 'verify', '--proof', file, '--round', other)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('POR_UNSUPPORTED_VERSION')
    }
  })
})

describe('bulwark por verify without a trusted root', () => {
  it('exits 1 on a genuine proof too, saying to give --root or --round', async () => {
    const file = writeProof('genuine.json', proofJson)
    const result = await cli('por', 'verify', '--proof', file)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('FAIL published-root')
    expect(result.stdout).toContain('--root HEX')
    expect(result.stdout).toContain('--round DIR')
    expect((await cli('por', 'verify', '--proof', file, '--root', root)).code).toBe(0)
  })

  it("exits 1 on a self-consistent forgery whose root is the forger's own", async () => {
    // A forger builds a round of their own where u3 holds a different balance; the proof checks out
    // against the root inside it, and only a root the exchange published can tell.
    const assets = join(dir, 'assets.csv')
    const forgedLiabilities = join(dir, 'forged.csv')
    writeFileSync(forgedLiabilities, 'user_id,BTC\nu3,0.00000001\nu4,0.1\n')
    const forgedRound = join(dir, 'forged-round')
    expect(
      (
        await cli(
          'por',
          'build',
          '--liabilities',
          forgedLiabilities,
          '--assets',
          assets,
          '--out',
          forgedRound,
        )
      ).code,
    ).toBe(0)
    const forged = join(dir, 'forged.proof')
    expect((await cli('por', 'proof', '--round', forgedRound, '--user', 'u3', '--out', forged)).code).toBe(0)
    const alone = await cli('por', 'verify', '--proof', forged, '--json')
    expect(alone.code).toBe(1)
    expect(JSON.parse(alone.stdout).failed).toMatchObject({ name: 'published-root' })
    const published = await cli('por', 'verify', '--proof', forged, '--root', root)
    expect(published.code).toBe(1)
  })
})
