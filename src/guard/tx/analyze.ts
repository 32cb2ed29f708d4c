/**
 * @module Transaction and signature analysis: decodes calldata and EIP-712 typed data with viem and
 * says, in one sentence, what the user is about to allow. Covers ERC-20 `approve` /
 * `increaseAllowance` / `transfer`, ERC-721/1155 `setApprovalForAll`, EIP-2612 `permit` (call and
 * signature), DAI-style permits, Permit2 (`PermitSingle`, `PermitBatch`, `PermitTransferFrom`,
 * batch transfer, and the on-chain `approve`), Seaport orders, `multicall` (each inner call analysed)
 * and `eth_sign` blind signing. Flags unlimited approvals, approvals to accounts without code (EOAs),
 * approvals to listed spenders and orders that give assets away for nothing.
 */
import { decodeFunctionData, formatUnits, type Hex, parseAbi } from 'viem'
import type { AddressScreener } from '../address/lists.ts'
import type { TokenGuard } from '../token/counterfeit.ts'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, short, verdictOf } from '../verdict.ts'

const ABI = parseAbi([
  'function approve(address spender, uint256 amount)',
  'function increaseAllowance(address spender, uint256 addedValue)',
  'function transfer(address to, uint256 amount)',
  'function transferFrom(address from, address to, uint256 amount)',
  'function setApprovalForAll(address operator, bool approved)',
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
  'function multicall(bytes[] data)',
  'function multicall(uint256 deadline, bytes[] data)',
  'function aggregate((address target, bytes callData)[] calls)',
])

export type TxInput = {
  chainId?: number
  from?: string
  to?: string
  data?: string
  value?: string
  typedData?: unknown
  /** `eth_sign` requests are blind signatures of a raw hash. */
  method?: string
  message?: string
}

export type TxContext = {
  tokens?: TokenGuard
  screener?: AddressScreener
  /** Whether an address has code; undefined when unknown (no RPC). */
  accountKind?: (address: string) => 'eoa' | 'contract' | undefined
}

export type TxCheck = { verdict: Verdict; summary: string; reasons: Reason[] }

const UNLIMITED = 2n ** 128n
const PERMIT2 = '0x000000000022d473030f116ddee9f6b43ac78ba3'

/** Analyses a transaction or a signature request. Never throws on malformed input. */
export function analyzeTx(input: TxInput, ctx: TxContext = {}): TxCheck {
  const reasons: Reason[] = []
  const lines: string[] = []
  const chainId = input.chainId ?? 1
  try {
    if (input.method === 'eth_sign') {
      reasons.push(
        reason(
          'BLIND_SIGNATURE',
          'block',
          'eth_sign asks you to sign a raw hash that could authorise anything, including a transfer of all your assets.',
        ),
      )
      lines.push('You are asked to blind-sign an unreadable hash.')
    } else if (input.typedData !== undefined) {
      typed(input.typedData, input.from, chainId, ctx, reasons, lines)
    } else {
      call(
        input.to ?? '',
        (input.data ?? '0x') as Hex,
        BigInt(input.value ?? '0'),
        chainId,
        ctx,
        reasons,
        lines,
        0,
      )
    }
  } catch (e) {
    reasons.push(
      reason(
        'UNDECODABLE',
        'warn',
        `The request could not be decoded (${(e as Error).message.split('\n')[0]}).`,
      ),
    )
    lines.push('We could not read this request; do not sign what you cannot read.')
  }
  return { verdict: verdictOf(reasons), summary: lines.join(' '), reasons }
}

/**
 * Like `analyzeTx`, but first looks up (with `getCode`, e.g. JSON-RPC `eth_getCode`) whether each
 * spender, operator or recipient has code, so approvals to plain accounts (EOAs) are caught. An
 * address whose lookup fails stays unknown.
 */
export async function analyzeTxWithCode(
  input: TxInput,
  ctx: Omit<TxContext, 'accountKind'>,
  getCode: (address: string) => Promise<string>,
): Promise<TxCheck> {
  const asked = new Set<string>()
  analyzeTx(input, {
    ...ctx,
    accountKind: (a) => {
      asked.add(a.toLowerCase())
      return undefined
    },
  })
  const kinds = new Map<string, 'eoa' | 'contract'>()
  await Promise.all(
    [...asked].map(async (a) => {
      try {
        const code = await getCode(a)
        kinds.set(a, code === '0x' || code === '' ? 'eoa' : 'contract')
      } catch {
        // unknown: no flag rather than a wrong one
      }
    }),
  )
  return analyzeTx(input, { ...ctx, accountKind: (a) => kinds.get(a.toLowerCase()) })
}

function tokenLabel(ctx: TxContext, chainId: number, token: string): { label: string; decimals?: number } {
  const t = ctx.tokens?.canonical(chainId, token)
  if (!t) return { label: `token ${short(token)}` }
  return t.decimals === undefined ? { label: t.symbol } : { label: t.symbol, decimals: t.decimals }
}

function amountText(amount: bigint, t: { label: string; decimals?: number }): string {
  if (amount >= UNLIMITED) return `all your ${t.label}`
  return `${t.decimals === undefined ? amount.toString() : formatUnits(amount, t.decimals)} ${t.label}`
}

/** Checks a spender/operator/recipient: listed → block, EOA → block for approvals. */
function spenderChecks(
  spender: string,
  kind: 'approval' | 'recipient',
  ctx: TxContext,
  reasons: Reason[],
): void {
  const lists = ctx.screener?.lookup(spender)
  if (lists && lists.length > 0)
    reasons.push(reason('FLAGGED_SPENDER', 'block', `${short(spender)} is on ${lists.join(', ')}.`))
  if (kind === 'approval') {
    if (spender.toLowerCase() === '0x0000000000000000000000000000000000000000') return
    const k = ctx.accountKind?.(spender)
    if (k === 'eoa')
      reasons.push(
        reason(
          'APPROVAL_TO_EOA',
          'block',
          `${short(spender)} is a plain account, not a contract: approvals to personal accounts are how drainers collect tokens.`,
        ),
      )
  }
}

function call(
  to: string,
  data: Hex,
  value: bigint,
  chainId: number,
  ctx: TxContext,
  reasons: Reason[],
  lines: string[],
  depth: number,
): void {
  if (data === '0x' || data === '0x0' || data.length < 10) {
    lines.push(`You send ${formatUnits(value, 18)} of the native coin to ${short(to)}.`)
    spenderChecks(to, 'recipient', ctx, reasons)
    return
  }
  let decoded: ReturnType<typeof decodeFunctionData<typeof ABI>>
  try {
    decoded = decodeFunctionData({ abi: ABI, data })
  } catch {
    reasons.push(
      reason(
        'UNKNOWN_FUNCTION',
        'warn',
        `The call to ${short(to)} uses function ${data.slice(0, 10)}, which we cannot decode.`,
      ),
    )
    lines.push(
      `You call an unknown function (${data.slice(0, 10)}) on ${short(to)}${value > 0n ? ` and send ${formatUnits(value, 18)} of the native coin` : ''}.`,
    )
    spenderChecks(to, 'recipient', ctx, reasons)
    return
  }
  const a = decoded.args as readonly unknown[]
  switch (decoded.functionName) {
    case 'approve': {
      if (a.length === 4) {
        // Permit2's on-chain approve(token, spender, amount, expiration)
        const [token, spender, amount, expiration] = a as [string, string, bigint, number]
        approval(
          spender,
          token,
          amount,
          chainId,
          ctx,
          reasons,
          lines,
          `until ${new Date(Number(expiration) * 1000).toISOString().slice(0, 10)} through Permit2`,
        )
        return
      }
      const [spender, amount] = a as [string, bigint]
      if (amount === 0n) {
        lines.push(
          `You revoke ${short(spender)}'s permission to spend your ${tokenLabel(ctx, chainId, to).label}.`,
        )
        return
      }
      approval(spender, to, amount, chainId, ctx, reasons, lines, '')
      return
    }
    case 'increaseAllowance': {
      const [spender, amount] = a as [string, bigint]
      approval(spender, to, amount, chainId, ctx, reasons, lines, '(increase)')
      return
    }
    case 'transfer': {
      const [rcpt, amount] = a as [string, bigint]
      lines.push(`You send ${amountText(amount, tokenLabel(ctx, chainId, to))} to ${short(rcpt)}.`)
      spenderChecks(rcpt, 'recipient', ctx, reasons)
      return
    }
    case 'transferFrom': {
      const [from, rcpt, amount] = a as [string, string, bigint]
      lines.push(
        `You move ${amountText(amount, tokenLabel(ctx, chainId, to))} (or NFT #${amount}) from ${short(from)} to ${short(rcpt)}.`,
      )
      spenderChecks(rcpt, 'recipient', ctx, reasons)
      return
    }
    case 'setApprovalForAll': {
      const [operator, approved] = a as [string, boolean]
      if (!approved) {
        lines.push(`You revoke ${short(operator)}'s access to your ${short(to)} collection.`)
        return
      }
      reasons.push(
        reason(
          'APPROVAL_FOR_ALL',
          'warn',
          `${short(operator)} could transfer every item you own in collection ${short(to)}, now and in the future.`,
        ),
      )
      lines.push(`You allow ${short(operator)} to move all your NFTs in collection ${short(to)}.`)
      spenderChecks(operator, 'approval', ctx, reasons)
      return
    }
    case 'permit': {
      const [, spender, amount, deadline] = a as [string, string, bigint, bigint]
      approval(spender, to, amount, chainId, ctx, reasons, lines, `until ${deadlineText(deadline)} (permit)`)
      return
    }
    case 'multicall':
    case 'aggregate': {
      const inner =
        decoded.functionName === 'aggregate'
          ? (a[0] as readonly { target: string; callData: Hex }[]).map((c) => ({
              to: c.target,
              data: c.callData,
            }))
          : ((a.length === 2 ? a[1] : a[0]) as readonly Hex[]).map((d) => ({ to, data: d }))
      lines.push(`A batch of ${inner.length} call${inner.length === 1 ? '' : 's'}:`)
      if (depth >= 3) {
        reasons.push(
          reason(
            'DEEP_BATCH',
            'warn',
            'Batches nested more than three levels deep are not analysed further.',
          ),
        )
        return
      }
      for (const c of inner) call(c.to, c.data, 0n, chainId, ctx, reasons, lines, depth + 1)
      return
    }
  }
}

function deadlineText(deadline: bigint | number): string {
  const d = BigInt(deadline)
  if (d >= 2n ** 40n) return 'forever'
  return new Date(Number(d) * 1000).toISOString().slice(0, 10)
}

function approval(
  spender: string,
  token: string,
  amount: bigint,
  chainId: number,
  ctx: TxContext,
  reasons: Reason[],
  lines: string[],
  note: string,
): void {
  const t = tokenLabel(ctx, chainId, token)
  lines.push(`You allow ${short(spender)} to spend ${amountText(amount, t)}${note ? ` ${note}` : ''}.`)
  if (amount >= UNLIMITED)
    reasons.push(
      reason(
        'UNLIMITED_APPROVAL',
        'warn',
        `The approval has no limit: ${short(spender)} could take all your ${t.label}, now or later.`,
      ),
    )
  spenderChecks(spender, 'approval', ctx, reasons)
}

type TypedDoc = { domain?: Record<string, unknown>; primaryType?: string; message?: Record<string, unknown> }

function typed(
  raw: unknown,
  from: string | undefined,
  chainId: number,
  ctx: TxContext,
  reasons: Reason[],
  lines: string[],
): void {
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as TypedDoc
  const m = doc.message ?? {}
  const primary = doc.primaryType ?? ''
  const verifying = String(doc.domain?.verifyingContract ?? '').toLowerCase()
  const cid = Number(doc.domain?.chainId ?? chainId)
  const big = (v: unknown): bigint => BigInt(String(v ?? '0'))
  if (primary === 'Permit' && 'spender' in m) {
    // EIP-2612 (value) or DAI (allowed)
    const amount =
      'allowed' in m ? (m.allowed === true || m.allowed === 'true' ? UNLIMITED : 0n) : big(m.value)
    reasons.push(
      reason(
        'OFFCHAIN_PERMIT',
        'warn',
        'This signature grants a token allowance without a transaction; it can be used later by anyone who holds it.',
      ),
    )
    approval(
      String(m.spender),
      verifying,
      amount,
      cid,
      ctx,
      reasons,
      lines,
      `until ${deadlineText(big(m.deadline ?? m.expiry))} (signature)`,
    )
    return
  }
  if (primary === 'PermitSingle' || primary === 'PermitBatch') {
    const details = (Array.isArray(m.details) ? m.details : [m.details]) as Record<string, unknown>[]
    reasons.push(
      reason(
        'OFFCHAIN_PERMIT',
        'warn',
        `This Permit2 signature grants allowances${verifying === PERMIT2 ? '' : ' (unusual Permit2 contract)'} without a transaction.`,
      ),
    )
    for (const d of details)
      approval(
        String(m.spender),
        String(d?.token),
        big(d?.amount),
        cid,
        ctx,
        reasons,
        lines,
        `until ${deadlineText(big(d?.expiration))} (Permit2)`,
      )
    return
  }
  if (
    primary === 'PermitTransferFrom' ||
    primary === 'PermitBatchTransferFrom' ||
    primary === 'PermitWitnessTransferFrom' ||
    primary === 'PermitBatchWitnessTransferFrom'
  ) {
    const permitted = (Array.isArray(m.permitted) ? m.permitted : [m.permitted]) as Record<string, unknown>[]
    reasons.push(
      reason(
        'OFFCHAIN_TRANSFER',
        'warn',
        'This Permit2 signature lets the spender take the tokens immediately, without another prompt.',
      ),
    )
    for (const p of permitted) {
      const t = tokenLabel(ctx, cid, String(p?.token))
      lines.push(`You let ${short(String(m.spender))} take ${amountText(big(p?.amount), t)} once.`)
      if (big(p?.amount) >= UNLIMITED)
        reasons.push(reason('UNLIMITED_APPROVAL', 'warn', `The signature covers all your ${t.label}.`))
    }
    spenderChecks(String(m.spender), 'approval', ctx, reasons)
    return
  }
  if (primary === 'OrderComponents' || primary === 'Order' || primary === 'BulkOrder') {
    seaport(m, from, cid, ctx, reasons, lines)
    return
  }
  reasons.push(
    reason(
      'UNKNOWN_TYPED_DATA',
      'warn',
      `A "${primary || 'untyped'}" signature for ${doc.domain?.name ?? 'an unknown app'}; we cannot tell what it authorises.`,
    ),
  )
  lines.push(`You sign a ${primary || 'structured'} message for ${doc.domain?.name ?? 'an unknown app'}.`)
}

/** Seaport: what the offerer gives (offer) vs what comes back to the offerer (consideration). */
function seaport(
  m: Record<string, unknown>,
  from: string | undefined,
  chainId: number,
  ctx: TxContext,
  reasons: Reason[],
  lines: string[],
): void {
  const offerer = String(m.offerer ?? from ?? '').toLowerCase()
  const offer = (Array.isArray(m.offer) ? m.offer : []) as Record<string, unknown>[]
  const consideration = (Array.isArray(m.consideration) ? m.consideration : []) as Record<string, unknown>[]
  const item = (x: Record<string, unknown>): string => {
    const type = Number(x.itemType ?? 0)
    const amount = BigInt(String(x.startAmount ?? x.endAmount ?? '0'))
    if (type === 0) return `${formatUnits(amount, 18)} native coin`
    if (type === 1) return amountText(amount, tokenLabel(ctx, chainId, String(x.token)))
    return `NFT #${String(x.identifierOrCriteria ?? '?')} of ${short(String(x.token))}`
  }
  const toOfferer = consideration.filter(
    (c) => String(c.recipient ?? '').toLowerCase() === offerer && BigInt(String(c.startAmount ?? '0')) > 0n,
  )
  const others = consideration.filter((c) => String(c.recipient ?? '').toLowerCase() !== offerer)
  lines.push(
    `You list ${offer.map(item).join(', ') || 'nothing'} in exchange for ${toOfferer.map(item).join(', ') || 'nothing'}.`,
  )
  if (offer.length > 0 && toOfferer.length === 0) {
    reasons.push(
      reason(
        'GIVEAWAY_ORDER',
        'block',
        'This order gives your assets away and you receive nothing in return.',
      ),
    )
    for (const o of others) spenderChecks(String(o.recipient), 'recipient', ctx, reasons)
  }
}
