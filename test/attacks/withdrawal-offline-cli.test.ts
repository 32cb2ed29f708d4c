/**
 * The air-gapped half of offline signing: `bulwark custody sign` reads an exported file and a key
 * file, refuses a key that is not the file's cold wallet and an entry whose payload was changed
 * after export (its hash no longer matches), and otherwise writes transactions that recover to the
 * cold wallet. It touches no database and no network.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, recoverTransactionAddress, serializeTransaction } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { custodyCommands } from '../../src/cli/custody.ts'
import { payloadHash } from '../../src/custody/withdrawals.ts'

const dir = mkdtempSync(join(tmpdir(), 'bulwark-offline-'))
const coldKey = generatePrivateKey()
const cold = privateKeyToAccount(coldKey).address
const payload = {
  id: '6f1c2b7e-6a43-4f7e-9d55-2f1f1b0b5c11',
  user: '0b0e4c9a-7f9d-4b7a-8a8e-0c7d0f5d6e21',
  asset: 'ETH',
  amount: '1500000000000000000',
  network: 'ethereum',
  address: '0x52908400098527886E0F7030069857D2E4169EE7',
}
const unsignedTx = serializeTransaction({
  type: 'eip1559',
  chainId: 31337,
  nonce: 0,
  to: payload.address as Hex,
  value: 1_500_000_000_000_000_000n,
  gas: 21_000n,
  maxFeePerGas: 2_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
})
const file = (p = payload) => ({
  format: 'bulwark-unsigned-v1',
  from: cold,
  chainId: 31337,
  transactions: [{ withdrawalId: payload.id, payload: p, payloadHash: payloadHash(payload), unsignedTx }],
})

async function sign(unsigned: unknown, key: string) {
  const input = join(dir, `in-${Math.random()}.json`)
  const keyFile = join(dir, `key-${Math.random()}`)
  const out = join(dir, `out-${Math.random()}.json`)
  writeFileSync(input, JSON.stringify(unsigned))
  writeFileSync(keyFile, key)
  const lines: string[] = []
  const io = { stdout: (s: string) => lines.push(s), stderr: (s: string) => lines.push(s), env: {} }
  const code = await custodyCommands.verbs.sign!.run(['--in', input, '--key-file', keyFile, '--out', out], io)
  return { code, text: lines.join(''), out }
}

describe('bulwark custody sign (offline)', () => {
  it('signs every exported transaction with the cold key; each recovers to the cold wallet', async () => {
    const { code, text, out } = await sign(file(), coldKey.slice(2))
    expect(code).toBe(0)
    expect(text).toContain('1500000000000000000 ETH to 0x5290')
    const signed = JSON.parse(readFileSync(out, 'utf8'))
    expect(signed.format).toBe('bulwark-signed-v1')
    const from = await recoverTransactionAddress({ serializedTransaction: signed.transactions[0].signedTx })
    expect(from).toBe(cold)
  })

  it('refuses a key that is not the cold wallet the file was exported for', async () => {
    const { code, text } = await sign(file(), generatePrivateKey())
    expect(code).toBe(1)
    expect(text).toMatch(/this key is for 0x[0-9a-fA-F]{40}, the file is for/)
  })

  it('refuses a transaction that does not pay its payload', async () => {
    const other = serializeTransaction({
      type: 'eip1559',
      chainId: 31337,
      nonce: 0,
      to: '0x000000000000000000000000000000000000dEaD',
      value: 1_500_000_000_000_000_000n,
      gas: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    })
    const f = file()
    f.transactions[0]!.unsignedTx = other
    const { code, text } = await sign(f, coldKey)
    expect(code).toBe(1)
    expect(text).toMatch(/does not pay the payload/)
  })

  it('refuses a file whose payload was changed after export', async () => {
    const { code, text } = await sign(
      file({ ...payload, address: '0x000000000000000000000000000000000000dEaD' }),
      coldKey,
    )
    expect(code).toBe(1)
    expect(text).toMatch(/the payload does not match its hash/)
  })
})
