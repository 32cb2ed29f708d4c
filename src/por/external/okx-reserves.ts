/**
 * @module OKX's reserve CSV with address signatures (okx/proof-of-reserves `VerifyAddress`): an
 * optional summary section (`coin,snapshot height,amount`), a blank line, then one row per address:
 * `coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2`.
 * Signature rules, as OKX's tool applies them:
 * - EVM networks: secp256k1 over keccak256("\x19Ethereum Signed Message:\n32" ‖ keccak256(message));
 *   plain EIP-191 over the message is accepted too. Contract wallets list two owner EOAs (eoa1, eoa2)
 *   whose signatures are signature1 and signature2.
 * - BTC: Bitcoin `signmessage` (base64); P2SH / P2WSH addresses carry the redeem script and two
 *   signatures of keys in it.
 * - TRX: secp256k1 over TRON's signed-message digest (TIP-191 or OKX's 32-byte framing), recovered to
 *   the T-address.
 * Other networks (Ed25519 chains with OKX-specific message framing…) are reported as not verified
 * rather than passed.
 */
import { type Hex, isAddress, isAddressEqual, keccak256, recoverMessageAddress, toBytes } from 'viem'
import { splitCsvLine } from '../reserves/csv.ts'
import { verifyBitcoinMessage, verifyBitcoinMultisig, verifyTronMessage } from '../reserves/index.ts'
import { addDec, type Dec, formatDecStripped, parseDec } from './decimal.ts'
import { GUARANTEES } from './guarantees.ts'
import { CheckList, type ExternalResult } from './types.ts'

const DETAIL_HEADER = 'coin,network,snapshot height,address,amount,message,signature1,signature2'
const EVM_NETWORKS = new Set([
  'ETH',
  'ARBITRUM',
  'OPTIMISM',
  'POLYGON',
  'POLY',
  'AVAXC',
  'BSC',
  'BASE',
  'LINEA',
  'ZKSYNC',
  'ETHW',
  'ETC',
])

export function isOkxReserves(text: string): boolean {
  return text
    .split(/\r?\n/)
    .some((l) => l.toLowerCase().replace(/\s/g, '').startsWith(DETAIL_HEADER.replace(/\s/g, '')))
}

/** The EVM message hash OKX signs: personal_sign over the 32-byte keccak of the message. */
async function recoverOkxEvm(message: string, signature: string): Promise<string[]> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return []
  const sig = signature as Hex
  const out: string[] = []
  for (const msg of [{ raw: keccak256(toBytes(message)) }, message]) {
    try {
      out.push(await recoverMessageAddress({ message: msg, signature: sig }))
    } catch {
      // malformed signature for this framing; the caller reports the row
    }
  }
  return out
}

/** Verifies every address row of an OKX reserve CSV. */
export async function verifyOkxReserves(text: string, file: string): Promise<ExternalResult> {
  const checks = new CheckList()
  const lines = text.split(/\r?\n/)
  const headerAt = lines.findIndex((l) =>
    l.toLowerCase().replace(/\s/g, '').startsWith(DETAIL_HEADER.replace(/\s/g, '')),
  )
  const totals = new Map<string, Dec>()
  let verified = 0
  const signatureLines = new Map<string, number>()
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    if (raw.trim() === '') continue
    const f = splitCsvLine(raw)
    const [
      coin = '',
      network = '',
      ,
      address = '',
      amount = '',
      message = '',
      sig1 = '',
      sig2 = '',
      script = '',
      eoa1 = '',
      eoa2 = '',
    ] = f
    const label = `line ${i + 1} (${coin} ${address})`
    for (const sig of [sig1, sig2].filter((x) => x.length > 20)) {
      const first = signatureLines.get(sig)
      if (first === undefined) signatureLines.set(sig, i + 1)
      else
        checks.warn(
          `${label}: reuses the signature of line ${first} (one signature proves one key, counted twice?)`,
        )
    }
    const value = parseDec(amount)
    if (!value) {
      checks.check(label, false, `amount "${amount}" is not a decimal number`)
      continue
    }
    let ok: boolean
    let detail: string
    if (EVM_NETWORKS.has(network.toUpperCase()) && isAddress(address, { strict: false })) {
      if (eoa1 !== '' || eoa2 !== '') {
        const owners = [eoa1, eoa2].filter((e) => e !== '')
        const signers = [...(await recoverOkxEvm(message, sig1)), ...(await recoverOkxEvm(message, sig2))]
        const missing = owners.filter(
          (o) => !signers.some((s) => isAddress(o, { strict: false }) && isAddressEqual(s as Hex, o as Hex)),
        )
        ok = missing.length === 0
        detail = ok
          ? `contract wallet: owners ${owners.join(', ')} signed`
          : `owner ${missing.join(', ')} did not sign`
        if (ok)
          checks.warn(
            `${label}: contract ownership by ${owners.join(', ')} needs an on-chain read to confirm`,
          )
      } else {
        const signers = await recoverOkxEvm(message, sig1)
        ok = signers.some((s) => isAddressEqual(s as Hex, address as Hex))
        detail = ok
          ? 'EVM signature by the address'
          : `signature recovers ${signers[0] ?? 'no address'}, not ${address}`
      }
    } else if (network.toUpperCase() === 'BTC' || coin.toUpperCase().startsWith('BTC')) {
      const r =
        script !== ''
          ? verifyBitcoinMultisig(
              address,
              message,
              [sig1, sig2].filter((s) => s !== ''),
              script,
            )
          : verifyBitcoinMessage(address, message, sig1)
      ok = r.ok
      detail = r.ok ? r.detail : r.reason
    } else if (network.toUpperCase() === 'TRX' || network.toUpperCase() === 'TRON') {
      const r = verifyTronMessage(address, message, sig1)
      ok = r.ok
      detail = r.ok ? r.detail : r.reason
    } else {
      checks.warn(`${label}: network ${network} is not verified by Bulwark (unsupported signature framing)`)
      continue
    }
    if (checks.check(label, ok, detail)) {
      verified++
      totals.set(coin, addDec(totals.get(coin) ?? { units: 0n, scale: 0 }, value))
    }
  }
  checks.check('rows', verified > 0 || checks.checks.some((c) => !c.ok), `${verified} address rows verified`)
  const messages = new Set(
    lines
      .slice(headerAt + 1)
      .filter((l) => l.trim() !== '')
      .map((l) => splitCsvLine(l)[5] ?? ''),
  )
  if (messages.size === 1 && !/\d{4}/.test([...messages][0] ?? '')) {
    checks.warn(
      `every row signs the same static message "${[...messages][0]}", which names no round or date: signatures can be replayed`,
    )
  }
  return {
    format: 'okx-reserves',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: Object.fromEntries([...totals].map(([c, d]) => [c, formatDecStripped(d)])),
    root: undefined,
    guarantees: GUARANTEES['okx-reserves'],
  }
}
