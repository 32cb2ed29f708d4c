/**
 * @module Bitcoin deposits from a file, where no Bitcoin node is available to watch: CSV with the
 * header `txid,vout,address,amount_sats,confirmations` and an optional `sender` column (the
 * address the coins came from, screened before credit when given). The whole file is validated
 * first (nothing is imported from a file with a bad line); each output is then recorded and, with
 * enough confirmations, credited through the same path as EVM deposits: same screening, same
 * ledger keys (`deposit:btc:<txid>:<vout>:BTC`), so importing a file twice credits nothing twice.
 */
import type { Db } from '../platform/db/index.ts'
import { ownersOf } from './addresses.ts'
import type { Deposits } from './deposits.ts'

export type BtcDepositLine = {
  line: number
  txid: string
  vout: number
  address: string
  amountSats: bigint
  confirmations: number
  sender: string | null
}
export type ImportIssue = { line: number; message: string }

export type BtcImportSummary = {
  credited: number
  held: number
  pending: number
  /** Outputs already credited by an earlier import. */
  alreadyCredited: number
  /** Lines whose address is not one of our deposit addresses. */
  unknownAddress: number[]
}

const HEADER = 'txid,vout,address,amount_sats,confirmations'
const TXID = /^[0-9a-f]{64}$/
const ADDRESS = /^[a-zA-Z0-9]{14,90}$/

/** Parses the import file; returns the lines, or every problem found (1-based line numbers). */
export function parseBtcDepositsCsv(text: string): { lines: BtcDepositLine[]; issues: ImportIssue[] } {
  const raw = text.split('\n').map((l) => l.replace(/\r$/, ''))
  const header = (raw[0] ?? '').trim().toLowerCase()
  if (header !== HEADER && header !== `${HEADER},sender`) {
    return {
      lines: [],
      issues: [{ line: 1, message: `the header must be "${HEADER}" (optionally ",sender")` }],
    }
  }
  const withSender = header.endsWith(',sender')
  const lines: BtcDepositLine[] = []
  const issues: ImportIssue[] = []
  const seen = new Map<string, number>()
  raw.slice(1).forEach((text, i) => {
    const line = i + 2
    if (text.trim() === '') return
    const cells = text.split(',').map((c) => c.trim())
    const expected = withSender ? 6 : 5
    if (cells.length !== expected) {
      issues.push({ line, message: `expected ${expected} columns, found ${cells.length}` })
      return
    }
    const [txid, vout, address, sats, confs, sender] = cells as [
      string,
      string,
      string,
      string,
      string,
      string?,
    ]
    const problem = !TXID.test(txid)
      ? 'txid must be 64 lower-case hex digits'
      : !/^\d{1,6}$/.test(vout)
        ? 'vout must be a whole number'
        : !ADDRESS.test(address)
          ? 'address is not a Bitcoin address'
          : !/^[1-9]\d{0,17}$/.test(sats)
            ? 'amount_sats must be a whole number of satoshis above zero'
            : !/^\d{1,7}$/.test(confs)
              ? 'confirmations must be a whole number'
              : sender !== undefined && sender !== '' && !ADDRESS.test(sender)
                ? 'sender is not a Bitcoin address'
                : null
    if (problem) {
      issues.push({ line, message: problem })
      return
    }
    const key = `${txid}:${vout}`
    const first = seen.get(key)
    if (first !== undefined) {
      issues.push({ line, message: `output ${key} already on line ${first}` })
      return
    }
    seen.set(key, line)
    lines.push({
      line,
      txid,
      vout: Number(vout),
      // Bech32 may be written in upper case (QR codes); deposit addresses are stored in lower case.
      address: /^(bc1|tb1|bcrt1)/i.test(address) ? address.toLowerCase() : address,
      amountSats: BigInt(sats),
      confirmations: Number(confs),
      sender: sender ? sender : null,
    })
  })
  if (lines.length === 0 && issues.length === 0) issues.push({ line: 1, message: 'no deposits in the file' })
  return { lines, issues }
}

/** Records and credits the parsed lines. */
export async function importBtcDeposits(
  deps: { db: Db; deposits: Deposits },
  lines: BtcDepositLine[],
): Promise<BtcImportSummary> {
  const summary: BtcImportSummary = {
    credited: 0,
    held: 0,
    pending: 0,
    alreadyCredited: 0,
    unknownAddress: [],
  }
  const owners = await ownersOf(
    deps.db,
    'btc',
    lines.map((l) => l.address),
  )
  for (const l of lines) {
    const userId = owners.get(l.address)
    if (!userId) {
      summary.unknownAddress.push(l.line)
      continue
    }
    const row = await deps.deposits.record({
      chain: 'btc',
      txid: l.txid,
      outputIndex: l.vout,
      asset: 'BTC',
      address: l.address,
      userId,
      amount: l.amountSats,
      sender: l.sender,
      blockNumber: null,
      blockHash: null,
      confirmations: l.confirmations,
    })
    if (row.status !== 'pending') {
      summary.alreadyCredited++
      continue
    }
    const settled = await deps.deposits.settle(row.id, l.confirmations)
    if (!settled) summary.pending++
    else if (settled.status === 'held') summary.held++
    else summary.credited++
  }
  return summary
}
