import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { address as btcAddress, networks } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bitcoinMessageHash } from './bitcoin.ts'
import { challengeMessage, createChallenge } from './challenge.ts'
import { parseReservesCsv } from './csv.ts'
import { esploraBalanceAt, esploraBlockHash } from './esplora.ts'
import { verifyReserves } from './verify.ts'

// A real P2PKH address of a test key, so the same history serves the end-to-end reserve check.
const SK = sha256(utf8ToBytes('esplora reserve key'))
const ADDR = btcAddress.toBase58Check(
  ripemd160(sha256(secp256k1.getPublicKey(SK, true))),
  networks.bitcoin.pubKeyHash,
)
const OTHER = 'bc1qsomeoneelse'

type Tx = {
  txid: string
  status: { confirmed: boolean; block_height?: number }
  vin: { prevout: { scriptpubkey_address?: string; value: number } | null }[]
  vout: { scriptpubkey_address?: string; value: number }[]
}

// History of ADDR, newest first as Esplora returns it. 30 confirmed deposits force a second page.
function history(): Tx[] {
  const deposits: Tx[] = Array.from({ length: 30 }, (_, i) => ({
    txid: `dep${String(i).padStart(2, '0')}`,
    status: { confirmed: true, block_height: 100 + i },
    vin: [{ prevout: { scriptpubkey_address: OTHER, value: 5_000 } }],
    vout: [
      { scriptpubkey_address: ADDR, value: 1_000 },
      { scriptpubkey_address: OTHER, value: 3_900 },
    ],
  }))
  const spend: Tx = {
    txid: 'spend',
    status: { confirmed: true, block_height: 140 },
    vin: [{ prevout: { scriptpubkey_address: ADDR, value: 1_000 } }],
    vout: [{ scriptpubkey_address: OTHER, value: 900 }],
  }
  return [spend, ...deposits].sort((a, b) => (b.status.block_height ?? 0) - (a.status.block_height ?? 0))
}

let server: Server
let baseUrl: string
const requests: string[] = []

beforeAll(async () => {
  const txs = history()
  server = createServer((req, res) => {
    const url = req.url ?? ''
    requests.push(url)
    const send = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type })
      res.end(body)
    }
    if (url === '/api/blocks/tip/height') return send(200, '150')
    const bh = /^\/api\/block-height\/(\d+)$/.exec(url)
    if (bh) return send(200, `${'0'.repeat(56)}${Number(bh[1]).toString(16).padStart(8, '0')}`)
    const m = /^\/api\/address\/([^/]+)\/txs\/chain(?:\/(\w+))?$/.exec(url)
    if (m) {
      const mine = m[1] === ADDR ? txs : []
      const start = m[2] === undefined ? 0 : mine.findIndex((t) => t.txid === m[2]) + 1
      return send(200, JSON.stringify(mine.slice(start, start + 25)), 'application/json')
    }
    send(404, 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('Esplora balances at a snapshot height', () => {
  it('counts only transactions mined at or below the snapshot, across pages', async () => {
    // Deposits at heights 100..129 (1,000 sat each); the spend at 140 is after snapshot 135.
    expect(await esploraBalanceAt({ baseUrl }, ADDR, 135)).toBe(30_000n)
    expect(await esploraBalanceAt({ baseUrl }, ADDR, 140)).toBe(29_000n)
    expect(await esploraBalanceAt({ baseUrl }, ADDR, 104)).toBe(5_000n)
    expect(requests.some((r) => /\/txs\/chain\/\w+$/.test(r))).toBe(true)
  })

  it('is zero for an address with no history', async () => {
    expect(await esploraBalanceAt({ baseUrl }, 'bc1qempty', 120)).toBe(0n)
  })

  it('refuses a snapshot above the chain tip', async () => {
    await expect(esploraBalanceAt({ baseUrl }, ADDR, 151)).rejects.toMatchObject({
      code: 'POR_SNAPSHOT_IN_FUTURE',
    })
  })

  it('reads the block hash at the snapshot height', async () => {
    expect(await esploraBlockHash({ baseUrl }, 135)).toBe(`${'0'.repeat(56)}00000087`)
  })

  it('names the failing endpoint when the API answers an error', async () => {
    await expect(esploraBalanceAt({ baseUrl: `${baseUrl}/nope` }, ADDR, 1)).rejects.toMatchObject({
      code: 'POR_ESPLORA_FAILED',
    })
  })
})

describe('verifyReserves with an Esplora reader', () => {
  it('counts the balance at the snapshot height, not the declared amount', async () => {
    const challenge = createChallenge({ exchange: 'x', round: 'r', snapshots: { bitcoin: 135 } })
    const message = challengeMessage(challenge)
    const rec = secp256k1.sign(bitcoinMessageHash(message), SK, { prehash: false, format: 'recovered' })
    const sig = Buffer.from(concatBytes(Uint8Array.of(31 + (rec[0] ?? 0)), rec.subarray(1))).toString(
      'base64',
    )
    const csv = `chain,address,asset,token,amount,scheme,signature,public_key,script\nbitcoin,${ADDR},BTC,,0.001,btc-message,${sig},,`
    const v = await verifyReserves({
      entries: parseReservesCsv(csv, () => 8),
      challenge,
      esplora: { bitcoin: { baseUrl } },
      balances: 'chain',
    })
    expect(v.rows[0]).toMatchObject({ balanceSource: 'chain', onChain: 30_000n, counted: 30_000n })
    expect(v.rows[0]!.notes).toEqual(['declared 100000 but the chain shows 30000 at height 135'])
    expect(v.totals).toEqual({ BTC: 30_000n })
    expect(v.snapshotBlocks).toEqual({ bitcoin: { height: 135, hash: `${'0'.repeat(56)}00000087` } })
  })
})
