/**
 * @module Bitcoin balances at a snapshot height through an Esplora-compatible HTTP API (Blockstream's
 * esplora, mempool.space, electrs-esplora). Esplora only reports current totals, so the balance at
 * the snapshot is rebuilt from the address's confirmed history: outputs paying the address minus
 * inputs spending from it, counting only transactions mined at or below the snapshot height.
 * Endpoints used: `/blocks/tip/height`, `/block-height/:h`, `/address/:a/txs/chain[/:last_txid]`.
 */
import { AppError } from '../../platform/errors.ts'

export type EsploraClient = { baseUrl: string; fetch?: typeof fetch }

type EsploraTx = {
  txid: string
  status: { confirmed: boolean; block_height?: number }
  vin: { prevout: { scriptpubkey_address?: string; value: number } | null }[]
  vout: { scriptpubkey_address?: string; value: number }[]
}

async function get(client: EsploraClient, path: string): Promise<Response> {
  const url = `${client.baseUrl.replace(/\/+$/, '')}${path}`
  const res = await (client.fetch ?? fetch)(url)
  if (!res.ok) {
    throw new AppError(
      'POR_ESPLORA_FAILED',
      502,
      `Esplora answered ${res.status} for ${path}; check the API URL.`,
    )
  }
  return res
}

/** Hash of the block at `height`, which the report records so an auditor can pin the snapshot. */
export async function esploraBlockHash(client: EsploraClient, height: number): Promise<string> {
  return (await (await get(client, `/block-height/${height}`)).text()).trim()
}

/**
 * Confirmed balance of `address` in satoshis after the block at `height`.
 * @example await esploraBalanceAt({ baseUrl: 'https://blockstream.info/api' }, 'bc1q…', 870000)
 */
export async function esploraBalanceAt(
  client: EsploraClient,
  address: string,
  height: number,
): Promise<bigint> {
  const tip = Number((await (await get(client, '/blocks/tip/height')).text()).trim())
  if (!Number.isSafeInteger(tip) || tip < height) {
    throw new AppError(
      'POR_SNAPSHOT_IN_FUTURE',
      409,
      `The Bitcoin tip is ${tip}, below the snapshot height ${height}; wait for the snapshot block.`,
    )
  }
  let balance = 0n
  let last: string | undefined
  const seen = new Set<string>()
  for (;;) {
    const path = `/address/${encodeURIComponent(address)}/txs/chain${last === undefined ? '' : `/${last}`}`
    const page = (await (await get(client, path)).json()) as EsploraTx[]
    if (!Array.isArray(page) || page.length === 0) break
    for (const tx of page) {
      if (seen.has(tx.txid)) continue
      seen.add(tx.txid)
      const h = tx.status.block_height
      if (!tx.status.confirmed || h === undefined || h > height) continue
      for (const out of tx.vout) if (out.scriptpubkey_address === address) balance += BigInt(out.value)
      for (const input of tx.vin) {
        if (input.prevout?.scriptpubkey_address === address) balance -= BigInt(input.prevout.value)
      }
    }
    // Esplora pages hold 25 confirmed transactions, newest first; a short page is the last one.
    if (page.length < 25) break
    last = page[page.length - 1]?.txid
  }
  return balance
}
