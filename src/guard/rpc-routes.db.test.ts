/**
 * /api/guard/tx with an operator-configured JSON-RPC endpoint: spenders are looked up with
 * eth_getCode, so an approval to a plain account (EOA) is caught, and a contract spender is not.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodeFunctionData, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'

const CONTRACT = '0x000000000022d473030f116ddee9f6b43ac78ba3'
const PLAIN_ACCOUNT = '0x1111111111111111111111111111111111111111'
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'

let rpc: Server
let t: TestApp
const asked: string[] = []

beforeAll(async () => {
  // A JSON-RPC endpoint speaking eth_getCode: one address has code, every other is a plain account.
  rpc = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const call = JSON.parse(body) as { id: number; method: string; params: [string, string] }
      asked.push(`${call.method} ${call.params[0].toLowerCase()}`)
      const result = call.params[0].toLowerCase() === CONTRACT ? '0x6080604052' : '0x'
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }))
    })
  })
  await new Promise<void>((resolve) => rpc.listen(0, '127.0.0.1', resolve))
  const { port } = rpc.address() as AddressInfo
  t = await createTestApp({ GUARD_RPC_URLS: `1=http://127.0.0.1:${port}` })
})
afterAll(async () => {
  await t?.close()
  rpc?.close()
})

const approve = (spender: string) =>
  encodeFunctionData({
    abi: parseAbi(['function approve(address,uint256)']),
    args: [spender as `0x${string}`, 1_000_000n],
  })

describe('guard transaction check with an RPC endpoint', () => {
  it('blocks an approval to a plain account after asking the chain', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      payload: {
        chainId: 1,
        from: '0x2222222222222222222222222222222222222222',
        to: USDC,
        data: approve(PLAIN_ACCOUNT),
        value: '0',
      },
    })
    expect(r.statusCode).toBe(200)
    expect(r.json().verdict).toBe('block')
    expect(r.json().reasons.map((x: { code: string }) => x.code)).toContain('APPROVAL_TO_EOA')
    expect(asked).toContain(`eth_getCode ${PLAIN_ACCOUNT}`)
  })

  it('does not flag an approval to a contract, and ignores chains without an endpoint', async () => {
    const toContract = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      payload: { chainId: 1, to: USDC, data: approve(CONTRACT), value: '0' },
    })
    expect(toContract.json().reasons.map((x: { code: string }) => x.code)).not.toContain('APPROVAL_TO_EOA')
    const otherChain = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      payload: { chainId: 10, to: USDC, data: approve(PLAIN_ACCOUNT), value: '0' },
    })
    expect(otherChain.json().reasons.map((x: { code: string }) => x.code)).not.toContain('APPROVAL_TO_EOA')
  })
})
