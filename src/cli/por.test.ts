import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { base58 } from '@scure/base'
import { afterAll, describe, expect, it } from 'vitest'
import { challengeMessage, createChallenge } from '../por/reserves/index.ts'
import { runCli } from './main.ts'

const dir = mkdtempSync(join(tmpdir(), 'por-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} })
  return { code, stdout, stderr }
}

const assets = join(dir, 'assets.csv')
const liabilities = join(dir, 'liabilities.csv')
writeFileSync(assets, 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n')
writeFileSync(
  liabilities,
  `user_id,BTC,USDT\n${Array.from({ length: 50 }, (_, i) => `u${i},0.${i + 1},${i * 10}`).join('\n')}\n`,
)

describe('bulwark por', () => {
  const round = join(dir, 'round')
  const proofFile = join(dir, 'u7.proof')

  it('builds a round, extracts a proof and verifies it against the round (exit 0)', async () => {
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
    const root = JSON.parse(built.stdout).summary.root
    expect(root).toMatch(/^[0-9a-f]{64}$/)
    expect((await cli('por', 'proof', '--round', round, '--user', 'u7', '--out', proofFile)).code).toBe(0)
    const verified = await cli('por', 'verify', '--proof', proofFile, '--round', round)
    expect(verified.code).toBe(0)
    expect(verified.stdout).toContain('user u7 is included')
    expect((await cli('por', 'verify', '--proof', proofFile, '--root', root)).code).toBe(0)
    expect((await cli('por', 'audit', round)).code).toBe(0)
  })

  it('exits 1 naming the failed check for a tampered proof', async () => {
    const proof = JSON.parse((await cli('por', 'proof', '--round', round, '--user', 'u7')).stdout)
    const sums = proof.pieces[0].siblings[4].sums[1]
    sums.equity = String(BigInt(sums.equity) + 1n)
    const tampered = join(dir, 'tampered.json')
    writeFileSync(tampered, JSON.stringify(proof))
    const result = await cli('por', 'verify', '--proof', tampered, '--round', round, '--json')
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).failed).toMatchObject({ name: 'round-node', level: 4, asset: 'USDT' })
    // The same diagnosis from the auditor package alone (no round secret, no user index).
    const pkg = join(dir, 'auditor-package')
    cpSync(round, pkg, { recursive: true })
    rmSync(join(pkg, 'private.json'))
    rmSync(join(pkg, 'index.bin'))
    const fromPackage = await cli('por', 'verify', '--proof', tampered, '--round', pkg, '--json')
    expect(JSON.parse(fromPackage.stdout).failed).toMatchObject({
      name: 'round-node',
      level: 4,
      asset: 'USDT',
    })
    expect((await cli('por', 'audit', pkg)).code).toBe(0)
  })

  it('exits 1 on a truncated proof file, naming where it ends', async () => {
    const truncated = join(dir, 'short.proof')
    writeFileSync(truncated, readFileSync(proofFile).subarray(0, 100))
    const result = await cli('por', 'verify', '--proof', truncated, '--round', round)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAIL format .* at byte \d+: proof is truncated/)
  })

  it('fails the build with the list of undercollateralised users, as JSON', async () => {
    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'user_id,BTC,USDT\nrich,1,0\nshort,0,-5\n')
    const result = await cli(
      'por',
      'build',
      '--liabilities',
      bad,
      '--assets',
      assets,
      '--out',
      join(dir, 'x'),
      '--json',
    )
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      code: 'POR_UNDERCOLLATERALISED',
      details: { users: [{ userId: 'short', line: 3 }] },
    })
  })

  it('re-verifies the reserve signatures of the package in the audit, catching one from another round', async () => {
    const sk = sha256(new TextEncoder().encode('sol reserve key'))
    const pk = ed25519.getPublicKey(sk)
    const sk2 = sha256(new TextEncoder().encode('second sol reserve key'))
    const pk2 = ed25519.getPublicKey(sk2)
    const challenge = (round: string) =>
      createChallenge({
        exchange: 'bulwark-test',
        round,
        snapshots: { solana: 300_000_000 },
        random: () => new Uint8Array(32).fill(7),
      })
    const sign = (round: string, key = sk) =>
      bytesToHex(ed25519.sign(new TextEncoder().encode(challengeMessage(challenge(round))), key))
    const pkg = join(dir, 'reserves-round')
    const solAssets = join(dir, 'sol-assets.csv')
    writeFileSync(solAssets, 'symbol,decimals,price_usd,haircut\nSOL,9,150,0.8\n')
    const solLiabilities = join(dir, 'sol.csv')
    writeFileSync(solLiabilities, 'user_id,SOL\na,10\nb,5\n')
    const built = await cli(
      'por',
      'build',
      '--liabilities',
      solLiabilities,
      '--assets',
      solAssets,
      '--out',
      pkg,
      '--round-id',
      '2026-11',
    )
    expect(built.code).toBe(0)
    writeFileSync(join(pkg, 'challenge.json'), JSON.stringify(challenge('2026-11')))
    writeFileSync(
      join(pkg, 'reserves.csv'),
      [
        'chain,address,asset,token,amount,scheme,signature,public_key,script',
        `solana,${base58.encode(pk)},SOL,,10,ed25519,${sign('2026-11')},${bytesToHex(pk)},`,
        `solana,${base58.encode(pk2)},SOL,,10,ed25519,${sign('2026-10', sk2)},${bytesToHex(pk2)},`,
      ].join('\n'),
    )
    const audit = await cli('por', 'audit', pkg)
    expect(audit.code).toBe(1)
    expect(audit.stdout).toContain('ok   root')
    expect(audit.stdout).toMatch(/ok {3}reserve line 2 solana/)
    expect(audit.stdout).toMatch(/FAIL reserve line 3 solana \S+ SOL: .*(round|challenge|signature)/i)
    expect(audit.stdout).toContain('AUDIT FAILED')
  })

  it('reports a missing argument as a usage error (exit 2)', async () => {
    expect((await cli('por', 'proof', '--user', 'u1')).code).toBe(2)
  })
})
