import { describe, expect, it } from 'vitest'
import { publicKeyOf } from '../compliance/protocol.ts'
import { runCli } from './main.ts'

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env,
  })
  return { code, stdout, stderr }
}

describe('bulwark travel-rule', () => {
  it('keygen prints a fresh signing key and the public key that belongs to it', async () => {
    const first = JSON.parse((await run(['travel-rule', 'keygen', '--json'])).stdout)
    const second = JSON.parse((await run(['travel-rule', 'keygen', '--json'])).stdout)
    expect(first.signingKey).toMatch(/^[0-9a-f]{64}$/)
    expect(first.publicKey).toBe(publicKeyOf(first.signingKey))
    expect(second.signingKey).not.toBe(first.signingKey)
  })

  it('identity prints the id, name and public key a counterparty VASP enters, and exits 1 without a key', async () => {
    const key = '0a'.repeat(32)
    const r = await run(['travel-rule', 'identity', '--json'], {
      TRAVEL_RULE_SIGNING_KEY: key,
      TRAVEL_RULE_VASP_ID: '529900T8BM49AURSDO55',
      TRAVEL_RULE_VASP_NAME: 'Bulwark GmbH',
    })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      id: '529900T8BM49AURSDO55',
      name: 'Bulwark GmbH',
      country: 'DE',
      publicKey: publicKeyOf(key),
    })
    const none = await run(['travel-rule', 'identity'])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/bulwark travel-rule keygen/)
  })
})
