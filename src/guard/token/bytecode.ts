/**
 * @module Contract risk flags from EVM bytecode, without source code. We walk the opcodes (skipping
 * PUSH data so constants are not mistaken for instructions), collect the 4-byte selectors the
 * dispatcher compares against (PUSH4 operands), and look for SELFDESTRUCT, DELEGATECALL, EIP-1967
 * proxy slots and EIP-1167 minimal proxies. Selectors tell us which admin functions *exist*
 * (mint, blacklist, pause, fee setters, upgrades); they cannot prove who may call them, so each flag
 * says "can", not "will". Bytecode arrives as an argument or via `fetchCode` (JSON-RPC `eth_getCode`
 * over `fetch`, available in browsers and Node).
 */
import { hexToBytes, toFunctionSelector } from 'viem'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, verdictOf } from '../verdict.ts'

type FlagRule = { code: string; severity: Verdict; detail: string; signatures: string[] }

const RULES: FlagRule[] = [
  {
    code: 'OWNER_MINT',
    severity: 'warn',
    detail: 'The contract has a mint function: whoever controls it can create new tokens and dilute holders.',
    signatures: [
      'mint(address,uint256)',
      'mint(uint256)',
      'mintTo(address,uint256)',
      'issue(uint256)',
      '_mint(address,uint256)',
    ],
  },
  {
    code: 'BLACKLIST',
    severity: 'warn',
    detail: 'The contract can blacklist addresses, freezing their tokens so they cannot be sold or moved.',
    signatures: [
      'addBlackList(address)',
      'blacklist(address)',
      'addToBlacklist(address)',
      'blacklistAddress(address,bool)',
      'setBlacklist(address,bool)',
      'setBots(address[])',
      'isBlackListed(address)',
      'isBlacklisted(address)',
      'blockBots(address[])',
      'freeze(address)',
      'addBots(address[])',
    ],
  },
  {
    code: 'PAUSABLE',
    severity: 'warn',
    detail: 'Transfers can be paused by an administrator, which can trap holders.',
    signatures: [
      'pause()',
      'unpause()',
      'setPaused(bool)',
      'setTradingEnabled(bool)',
      'enableTrading()',
      'openTrading()',
    ],
  },
  {
    code: 'ADJUSTABLE_FEES',
    severity: 'warn',
    detail: 'Transfer fees or limits can be changed after launch (up to 100% makes the token unsellable).',
    signatures: [
      'setFee(uint256)',
      'setFees(uint256,uint256)',
      'setTaxFee(uint256)',
      'setBuyFee(uint256)',
      'setSellFee(uint256)',
      'setTaxFeePercent(uint256)',
      'updateFees(uint256,uint256)',
      'setMaxTxAmount(uint256)',
      'setMaxWalletSize(uint256)',
      'setSwapFee(uint256)',
      'updateBuyFees(uint256,uint256,uint256)',
      'updateSellFees(uint256,uint256,uint256)',
    ],
  },
  {
    code: 'UPGRADEABLE',
    severity: 'warn',
    detail: 'The contract is upgradeable: its code can be replaced by whoever controls the upgrade key.',
    signatures: [
      'upgradeTo(address)',
      'upgradeToAndCall(address,bytes)',
      'changeImplementation(address)',
      'setImplementation(address)',
    ],
  },
]

const SELECTOR_RULES = new Map<number, FlagRule>()
for (const rule of RULES)
  for (const sig of rule.signatures)
    SELECTOR_RULES.set(Number.parseInt(toFunctionSelector(sig).slice(2), 16), rule)

// EIP-1967 implementation and beacon slots, as 32-byte constants pushed by proxies.
const EIP1967_SLOTS = new Set([
  '360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc',
  'a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50',
  '7050c9e0f4ca769c69bd3a8ef740bc37934f8e2c036e5a723fd8ee048ed3f8c3', // OpenZeppelin legacy
])
const MINIMAL_PROXY_PREFIX = '363d3d373d3d3d363d73'

export type BytecodeReport = { verdict: Verdict; reasons: Reason[]; selectors: string[]; summary: string }

/** Analyses runtime bytecode (hex string with or without 0x). */
export function analyzeBytecode(code: string): BytecodeReport {
  const hex = code.startsWith('0x') ? code.slice(2) : code
  if (hex === '') {
    const reasons = [reason('NO_CODE', 'warn', 'There is no contract at this address (an ordinary account).')]
    return { verdict: 'warn', reasons, selectors: [], summary: 'This address is not a contract.' }
  }
  const bytes = hexToBytes(`0x${hex}`)
  const reasons: Reason[] = []
  const selectors = new Set<number>()
  const hits = new Set<FlagRule>()
  let selfdestruct = false
  let delegatecall = false
  let proxySlot = false
  for (let i = 0; i < bytes.length; i++) {
    const op = bytes[i] as number
    if (op >= 0x60 && op <= 0x7f) {
      const n = op - 0x5f
      if (n === 4 && i + 4 < bytes.length) {
        const sel =
          (((bytes[i + 1] as number) << 24) |
            ((bytes[i + 2] as number) << 16) |
            ((bytes[i + 3] as number) << 8) |
            (bytes[i + 4] as number)) >>>
          0
        selectors.add(sel)
        const rule = SELECTOR_RULES.get(sel)
        if (rule) hits.add(rule)
      } else if (n === 32 && i + 32 < bytes.length) {
        let word = ''
        for (let j = 1; j <= 32; j++) word += (bytes[i + j] as number).toString(16).padStart(2, '0')
        if (EIP1967_SLOTS.has(word)) proxySlot = true
      }
      i += n
    } else if (op === 0xff) selfdestruct = true
    else if (op === 0xf4) delegatecall = true
  }
  for (const rule of RULES) if (hits.has(rule)) reasons.push(reason(rule.code, rule.severity, rule.detail))
  if (proxySlot || hex.startsWith(MINIMAL_PROXY_PREFIX)) {
    if (!hits.has(RULES[4] as FlagRule))
      reasons.push(
        reason(
          'UPGRADEABLE',
          'warn',
          'This is a proxy: the code that runs lives elsewhere and can be swapped by its admin.',
        ),
      )
    else
      reasons.push(
        reason(
          'PROXY',
          'warn',
          'This is a proxy contract (EIP-1967 or EIP-1167): analyse its implementation too.',
        ),
      )
  } else if (delegatecall) {
    reasons.push(
      reason(
        'DELEGATECALL',
        'warn',
        'The contract can run code from another contract in its own context (DELEGATECALL).',
      ),
    )
  }
  if (selfdestruct)
    reasons.push(
      reason(
        'SELFDESTRUCT',
        'warn',
        'The contract contains SELFDESTRUCT and can be destroyed by its controller.',
      ),
    )
  const verdict = verdictOf(reasons)
  return {
    verdict,
    reasons,
    selectors: [...selectors].map((s) => `0x${s.toString(16).padStart(8, '0')}`),
    summary:
      reasons.length === 0
        ? 'No risky admin functions found in the bytecode.'
        : `${reasons.length} risk flag${reasons.length > 1 ? 's' : ''} found in the contract code.`,
  }
}

/**
 * Fetches runtime bytecode by JSON-RPC `eth_getCode`. `fetchFn` is injectable for tests and for
 * callers that add auth headers.
 */
export async function fetchCode(
  rpcUrl: string,
  address: string,
  fetchFn: typeof fetch = fetch,
): Promise<string> {
  const res = await fetchFn(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getCode', params: [address, 'latest'] }),
  })
  const body = (await res.json()) as { result?: string; error?: { message?: string } }
  if (typeof body.result !== 'string')
    throw new Error(`eth_getCode failed: ${body.error?.message ?? res.status}`)
  return body.result
}
