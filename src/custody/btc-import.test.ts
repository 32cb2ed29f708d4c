/**
 * The Bitcoin deposit file: its header, every line's problems with their line numbers, repeated
 * outputs, the optional sender column, and bech32 addresses written in upper case.
 */
import { describe, expect, it } from 'vitest'
import { parseBtcDepositsCsv } from './btc-import.ts'

const TXID = 'ab'.repeat(32)
const ADDRESS = 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu'

describe('Bitcoin deposit file', () => {
  it('reads deposits, with or without a sender, and lower-cases an upper-case bech32 address', () => {
    const plain = parseBtcDepositsCsv(
      `txid,vout,address,amount_sats,confirmations\n${TXID},1,${ADDRESS.toUpperCase()},1500,6\n`,
    )
    expect(plain).toEqual({
      lines: [
        { line: 2, txid: TXID, vout: 1, address: ADDRESS, amountSats: 1500n, confirmations: 6, sender: null },
      ],
      issues: [],
    })
    const withSender = parseBtcDepositsCsv(
      `txid,vout,address,amount_sats,confirmations,sender\r\n${TXID},0,${ADDRESS},1,0,bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g\r\n`,
    )
    expect(withSender.lines[0]?.sender).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g')
  })

  it('reports every bad line with its number, and a repeated output', () => {
    const { issues } = parseBtcDepositsCsv(
      [
        'txid,vout,address,amount_sats,confirmations',
        `${TXID},0,${ADDRESS},0,6`,
        `${TXID},0,${ADDRESS},10,-1`,
        `${TXID},0,${ADDRESS},10`,
        `${TXID},2,${ADDRESS},10,1`,
        `${TXID},2,${ADDRESS},11,1`,
      ].join('\n'),
    )
    expect(issues).toEqual([
      { line: 2, message: 'amount_sats must be a whole number of satoshis above zero' },
      { line: 3, message: 'confirmations must be a whole number' },
      { line: 4, message: 'expected 5 columns, found 4' },
      { line: 6, message: `output ${TXID}:2 already on line 5` },
    ])
  })

  it('refuses a file with another header or no deposits', () => {
    expect(parseBtcDepositsCsv('txid,amount\n').issues[0]?.message).toMatch(/the header must be/)
    expect(parseBtcDepositsCsv('txid,vout,address,amount_sats,confirmations\n').issues).toEqual([
      { line: 1, message: 'no deposits in the file' },
    ])
  })
})
