import { encodeFunctionData, maxUint160, maxUint256, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { createAddressScreener } from '../address/lists.ts'
import tokenListJson from '../fixtures/tokens.tokenlist.json' with { type: 'json' }
import { createTokenGuard, parseTokenList } from '../token/counterfeit.ts'
import { analyzeTx, analyzeTxWithCode } from './analyze.ts'

const abi = parseAbi([
  'function approve(address spender, uint256 amount)',
  'function increaseAllowance(address spender, uint256 addedValue)',
  'function setApprovalForAll(address operator, bool approved)',
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
  'function multicall(bytes[] data)',
  'function transfer(address to, uint256 amount)',
])
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
const ROUTER = '0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad'
const DRAINER = '0x0000db5c8b030ae20308ac975898e09741e70000'
const USER = '0x1234567890123456789012345678901234567890'
const ctx = {
  tokens: createTokenGuard(parseTokenList(JSON.stringify(tokenListJson))),
  screener: createAddressScreener([{ name: 'drainers', kind: 'drainer', addresses: [DRAINER] }]),
  accountKind: (a: string) => (a.toLowerCase() === ROUTER ? ('contract' as const) : ('eoa' as const)),
}
const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code)

describe('calldata', () => {
  it('explains an unlimited approve and flags it', () => {
    const data = encodeFunctionData({ abi, functionName: 'approve', args: [ROUTER, maxUint256] })
    const r = analyzeTx({ chainId: 1, from: USER, to: USDC, data, value: '0' }, ctx)
    expect(r.summary).toBe('You allow 0x3fC9…7FAD to spend all your USDC.')
    expect(r).toMatchObject({ verdict: 'warn' })
    expect(codes(r)).toEqual(['UNLIMITED_APPROVAL'])
  })

  it('blocks approvals to plain accounts and to listed drainers', () => {
    const toEoa = encodeFunctionData({ abi, functionName: 'increaseAllowance', args: [USER, 5_000_000n] })
    const r = analyzeTx({ chainId: 1, to: USDC, data: toEoa }, ctx)
    expect(r.summary).toContain('5 USDC')
    expect(codes(r)).toContain('APPROVAL_TO_EOA')
    const toDrainer = encodeFunctionData({ abi, functionName: 'setApprovalForAll', args: [DRAINER, true] })
    expect(codes(analyzeTx({ chainId: 1, to: ROUTER, data: toDrainer }, ctx))).toEqual([
      'APPROVAL_FOR_ALL',
      'FLAGGED_SPENDER',
      'APPROVAL_TO_EOA',
    ])
  })

  it('decodes permit calls, Permit2 approve and multicall batches', () => {
    const permit = encodeFunctionData({
      abi,
      functionName: 'permit',
      args: [USER, ROUTER, maxUint256, 2n ** 48n, 27, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
    })
    const p2 = encodeFunctionData({
      abi,
      functionName: 'approve',
      args: [USDC, DRAINER, maxUint160, 1_900_000_000],
    })
    const batch = encodeFunctionData({ abi, functionName: 'multicall', args: [[permit, p2]] })
    const r = analyzeTx({ chainId: 1, to: USDC, data: batch }, ctx)
    expect(r.verdict).toBe('block')
    expect(r.summary).toContain('A batch of 2 calls')
    expect(r.summary).toContain('forever (permit)')
    expect(r.summary).toContain('through Permit2')
    expect(codes(r)).toContain('FLAGGED_SPENDER')
  })

  it('warns about functions it cannot decode and explains revocations', () => {
    expect(codes(analyzeTx({ to: ROUTER, data: '0xdeadbeef00' }, ctx))).toEqual(['UNKNOWN_FUNCTION'])
    const revoke = encodeFunctionData({ abi, functionName: 'approve', args: [ROUTER, 0n] })
    expect(analyzeTx({ chainId: 1, to: USDC, data: revoke }, ctx)).toMatchObject({
      verdict: 'allow',
      summary: "You revoke 0x3fC9…7FAD's permission to spend your USDC.",
    })
  })
})

describe('signatures', () => {
  it('blocks eth_sign blind signing', () => {
    expect(analyzeTx({ method: 'eth_sign', message: `0x${'ab'.repeat(32)}` })).toMatchObject({
      verdict: 'block',
    })
  })

  it('explains EIP-2612 and Permit2 batch signatures', () => {
    const permit = {
      domain: { name: 'USD Coin', chainId: 1, verifyingContract: USDC },
      primaryType: 'Permit',
      message: {
        owner: USER,
        spender: DRAINER,
        value: maxUint256.toString(),
        nonce: '0',
        deadline: '1900000000',
      },
    }
    const r = analyzeTx({ typedData: permit }, ctx)
    expect(r.verdict).toBe('block')
    expect(r.summary).toContain('to spend all your USDC until 2030')
    const batch = {
      domain: {
        name: 'Permit2',
        chainId: 1,
        verifyingContract: '0x000000000022D473030F116dDEE9F6B43aC78BA3',
      },
      primaryType: 'PermitBatch',
      message: {
        details: [
          { token: USDC, amount: maxUint160.toString(), expiration: '1900000000', nonce: '0' },
          {
            token: '0xdac17f958d2ee523a2206206994597c13d831ec7',
            amount: '1000000',
            expiration: '1900000000',
            nonce: '0',
          },
        ],
        spender: ROUTER,
        sigDeadline: '1900000000',
      },
    }
    const b = analyzeTx({ typedData: JSON.stringify(batch) }, ctx)
    expect(b.summary).toContain('all your USDC')
    expect(b.summary).toContain('1 USDT')
    expect(codes(b)).toEqual(['OFFCHAIN_PERMIT', 'UNLIMITED_APPROVAL'])
  })

  it('blocks a Seaport order that gives an NFT away for nothing and allows a fair listing', () => {
    const order = (consideration: unknown[]) => ({
      domain: { name: 'Seaport', version: '1.5', chainId: 1 },
      primaryType: 'OrderComponents',
      message: {
        offerer: USER,
        offer: [{ itemType: 2, token: ROUTER, identifierOrCriteria: '42', startAmount: '1', endAmount: '1' }],
        consideration,
      },
    })
    const giveaway = analyzeTx(
      {
        typedData: order([
          {
            itemType: 0,
            token: `0x${'0'.repeat(40)}`,
            identifierOrCriteria: '0',
            startAmount: '1',
            endAmount: '1',
            recipient: DRAINER,
          },
        ]),
      },
      ctx,
    )
    expect(codes(giveaway)).toContain('GIVEAWAY_ORDER')
    expect(giveaway.summary).toContain('in exchange for nothing')
    const fair = analyzeTx(
      {
        typedData: order([
          {
            itemType: 0,
            token: `0x${'0'.repeat(40)}`,
            identifierOrCriteria: '0',
            startAmount: '1000000000000000000',
            endAmount: '1000000000000000000',
            recipient: USER,
          },
        ]),
      },
      ctx,
    )
    expect(fair).toMatchObject({ verdict: 'allow' })
    expect(fair.summary).toContain('in exchange for 1 native coin')
  })

  it('never throws on garbage', () => {
    expect(analyzeTx({ typedData: '{not json' }).reasons[0]?.code).toBe('UNDECODABLE')
    expect(analyzeTx({ to: USDC, data: '0x095ea7b3zz' }).verdict).toBe('warn')
  })
})

describe('account lookups', () => {
  it('looks up whether spenders have code, then flags approvals to plain accounts', async () => {
    const data = encodeFunctionData({ abi, functionName: 'approve', args: [USER, 5_000_000n] })
    const asked: string[] = []
    const getCode = async (a: string) => {
      asked.push(a)
      return a === USER ? '0x' : '0x6080'
    }
    const { accountKind: _ignored, ...noKinds } = ctx
    const r = await analyzeTxWithCode({ chainId: 1, to: USDC, data }, noKinds, getCode)
    expect(asked).toEqual([USER])
    expect(codes(r)).toEqual(['APPROVAL_TO_EOA'])
    const toContract = encodeFunctionData({ abi, functionName: 'approve', args: [ROUTER, 5_000_000n] })
    expect(
      (await analyzeTxWithCode({ chainId: 1, to: USDC, data: toContract }, noKinds, getCode)).verdict,
    ).toBe('allow')
  })
})
