import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { address as btcAddress, networks } from 'bitcoinjs-lib'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { okxV1Fixture } from '../por/external/testing/fixtures.ts'
import { bitcoinMessageHash, challengeMessage, parseChallenge } from '../por/reserves/index.ts'
import { runCli } from './main.ts'

const dir = mkdtempSync(join(tmpdir(), 'por-reserves-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} })
  return { code, stdout, stderr }
}

const eth = privateKeyToAccount(`0x${'44'.repeat(32)}`)
const btcSk = sha256(utf8ToBytes('cli btc key'))
const btcAddr = btcAddress.toBase58Check(
  ripemd160(sha256(secp256k1.getPublicKey(btcSk, true))),
  networks.bitcoin.pubKeyHash,
)
const btcSign = (message: string) => {
  const sig = secp256k1.sign(bitcoinMessageHash(message), btcSk, { prehash: false, format: 'recovered' })
  return Buffer.from(concatBytes(Uint8Array.of(31 + (sig[0] ?? 0)), sig.subarray(1))).toString('base64')
}

const round = join(dir, 'round')

beforeAll(async () => {
  writeFileSync(
    join(dir, 'assets.csv'),
    'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nETH,18,3000,0.9\n',
  )
  // 20 users holding 0.1 BTC and 1 ETH each: liabilities 2 BTC and 20 ETH.
  const rows = Array.from({ length: 20 }, (_, i) => `u${i},0.1,1`)
  writeFileSync(join(dir, 'liabilities.csv'), `user_id,BTC,ETH\n${rows.join('\n')}\n`)
  const built = await cli(
    'por',
    'build',
    '--liabilities',
    join(dir, 'liabilities.csv'),
    '--assets',
    join(dir, 'assets.csv'),
    '--out',
    round,
    '--json',
  )
  expect(built.code).toBe(0)
})

async function writeReserves(file: string, challengeFile: string, btc: string, eth20: string) {
  const message = challengeMessage(parseChallenge(JSON.parse(readFileSync(challengeFile, 'utf8'))))
  writeFileSync(
    file,
    [
      'chain,address,asset,token,amount,scheme,signature,public_key,script',
      `bitcoin,${btcAddr},BTC,,${btc},btc-message,${btcSign(message)},,`,
      `ethereum,${eth.address},ETH,,${eth20},eip191,${await eth.signMessage({ message })},,`,
    ].join('\n'),
  )
}

describe('bulwark por challenge / reserves', () => {
  const challenge = join(dir, 'challenge.json')
  const oldChallenge = join(dir, 'old-challenge.json')

  it('draws a challenge and prints the text to sign', async () => {
    const r = await cli(
      'por',
      'challenge',
      '--exchange',
      'bulwark-demo',
      '--round',
      '2026-11',
      '--snapshot',
      'bitcoin=870000',
      '--snapshot',
      'ethereum=21000000',
      '--out',
      challenge,
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('round: 2026-11\n')
    expect(r.stdout).toContain('snapshot ethereum: 21000000')
    await cli(
      'por',
      'challenge',
      '--exchange',
      'bulwark-demo',
      '--round',
      '2026-10',
      '--snapshot',
      'bitcoin=860000',
      '--snapshot',
      'ethereum=20800000',
      '--out',
      oldChallenge,
    )
  })

  it('passes when every signature verifies and reserves cover the round liabilities', async () => {
    const reserves = join(dir, 'reserves-ok.csv')
    await writeReserves(reserves, challenge, '2.5', '20')
    const r = await cli('por', 'reserves', '--reserves', reserves, '--challenge', challenge, '--round', round)
    expect(r.stdout).toMatch(/BTC\s+2\.5\s+2\s+1\.2500\s+ok/)
    expect(r.stdout).toMatch(/ETH\s+20\s+20\s+1\.0000\s+ok/)
    expect(r.code).toBe(0)
  })

  it('fails and flags the asset when reserves are below liabilities', async () => {
    const reserves = join(dir, 'reserves-low.csv')
    await writeReserves(reserves, challenge, '2.5', '19.999')
    const r = await cli('por', 'reserves', '--reserves', reserves, '--challenge', challenge, '--round', round)
    expect(r.stdout).toMatch(/ETH\s+19\.999\s+20\s+0\.9999\s+BELOW 100%/)
    expect(r.code).toBe(1)
  })

  it('fails when the signatures were made for the previous round', async () => {
    const reserves = join(dir, 'reserves-replayed.csv')
    await writeReserves(reserves, oldChallenge, '2.5', '20')
    const r = await cli(
      'por',
      'reserves',
      '--reserves',
      reserves,
      '--challenge',
      challenge,
      '--round',
      round,
      '--json',
    )
    const out = JSON.parse(r.stdout) as {
      ok: boolean
      rows: { ownership: { ok: boolean; reason?: string } }[]
    }
    expect(r.code).toBe(1)
    expect(out.ok).toBe(false)
    expect(out.rows.map((x) => x.ownership.ok)).toEqual([false, false])
  })
})

describe('bulwark por verify-external', () => {
  it('exits 0 for a genuine file and 1 with the failing check for a tampered one', async () => {
    const good = join(dir, 'okx-good.json')
    const bad = join(dir, 'okx-bad.json')
    const proof = okxV1Fixture() as { path: { balances: Record<string, string> }[] }
    writeFileSync(good, JSON.stringify(proof))
    proof.path[1]!.balances.ETH = '0'
    writeFileSync(bad, JSON.stringify(proof))
    const ok = await cli('por', 'verify-external', good)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('PASS  okx-v1')
    expect(ok.stdout).toContain('sum-max')
    const ko = await cli('por', 'verify-external', bad, '--json')
    expect(ko.code).toBe(1)
    expect(JSON.parse(ko.stdout).results[0].reason).toMatch(/^root sums: ETH sum is/)
  })
})
