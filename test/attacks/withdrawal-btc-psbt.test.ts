/**
 * Issue #14 §3 step 8 for Bitcoin, through HTTP and the offline PSBT flow: a customer asks for a
 * BTC withdrawal, a custody approver approves it, `exportPsbts` builds a PSBT spending the cold
 * wallet's coins (exact amount to the approved address, change to our next change address, BIP32
 * derivations), the air-gapped signer signs it with the account xprv, and `importPsbts` verifies
 * it and records the raw transaction for the operator to broadcast (`broadcast_pending_external`,
 * which the customer reads in plain words) until the operator reports enough confirmations and it
 * completes on the ledger. Bitcoin never takes the hot path, even under the
 * hot-wallet limit with a hot key configured. A tampered PSBT — another amount, another address,
 * an extra output, a foreign signature, another payload — is refused with a stable code and
 * records nothing; coins already spent by an exported PSBT are not spent twice.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { base64 } from '@scure/base'
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync } from '@scure/bip39'
import { OutScript, p2wpkh, Transaction } from '@scure/btc-signer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  btcColdWallet,
  confirmBtcWithdrawal,
  exportPsbts,
  importPsbts,
  type PsbtSignedFile,
  parseUtxosCsv,
  signPsbtFile,
} from '../../src/custody/btc-psbt.ts'
import { DEMO_BTC_XPUB } from '../../src/custody/derivation.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { exportUnsigned } from '../../src/custody/offline.ts'
import { createWithdrawals } from '../../src/custody/withdrawals.ts'
import { signedClient, storeApiKey } from '../support/api-keys.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'
import { approveWithdrawal } from '../support/custody.ts'

const PAYEE = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
const OTHER = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
// DEMO_BTC_XPUB is the account xpub of the BIP84 test mnemonic; this is its (public) xprv.
const account = HDKey.fromMasterSeed(
  mnemonicToSeedSync(
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  ),
).derive("m/84'/0'/0'")
const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
const txid = (n: number) => n.toString(16).padStart(64, '0')
// Three coins of the cold wallet: 0.4 BTC at 0/0, 0.3 at 0/1, 0.2 at 1/0 (an earlier change).
const UTXOS = [
  'txid,vout,address,amount_sats,path',
  `${txid(1)},0,${wallet.at(0, 0).address},40000000,0/0`,
  `${txid(2)},1,${wallet.at(0, 1).address},30000000,0/1`,
  `${txid(3)},0,${wallet.at(1, 0).address},20000000,1/0`,
].join('\n')

let t: TestApp
let approver: TestSession
const customer = {
  id: '',
  accessKey: 'bwk_btc_customer_xxxxxxxxx',
  secret: `btc-secret-${'s'.repeat(24)}`,
  passphrase: 'btc-passphrase',
}

/** Requests signed with the customer's API key. */
let signed: ReturnType<typeof signedClient>

async function requestAndApprove(amount: string, key: string, address = PAYEE) {
  const r = await signed('POST', '/api/custody/withdrawals', {
    asset: 'BTC',
    amount,
    network: 'bitcoin',
    address,
    idempotencyKey: key,
  })
  expect(r.statusCode, r.body).toBe(201)
  const id = r.json().withdrawal.id as string
  return { id, approved: await approveWithdrawal(t, approver, id) }
}

const service = () =>
  createWithdrawals({
    db: t.db,
    clock: t.clock,
    config: t.config,
    accounts: { db: t.db, clock: t.clock, config: t.config },
  })
const exportNow = (feeRate = 10n) =>
  exportPsbts(
    { db: t.db, clock: t.clock, wallet, withdrawals: service() },
    { utxos: parseUtxosCsv(UTXOS, wallet).utxos, feeRate },
  )
const importNow = (file: PsbtSignedFile) => importPsbts({ db: t.db, wallet, withdrawals: service() }, file)
const view = async (id: string) => {
  const r = await signed('GET', `/api/custody/withdrawals/${id}`)
  expect(r.statusCode, r.body).toBe(200)
  return r.json().withdrawal as { status: string; statusText: string; txHash: string | null }
}

/** The signed file with the PSBT of `id` edited, then signed again with the real key. */
function tampered(file: PsbtSignedFile, unsigned: string, id: string, edit: (tx: Transaction) => void) {
  const tx = Transaction.fromPSBT(base64.decode(unsigned))
  edit(tx)
  tx.sign(account as never)
  tx.finalize()
  return {
    ...file,
    withdrawals: file.withdrawals.map((w) =>
      w.withdrawalId === id ? { ...w, psbt: base64.encode(tx.toPSBT()) } : w,
    ),
  }
}

beforeAll(async () => {
  t = await createTestApp({
    CUSTODY_BTC_XPUB: DEMO_BTC_XPUB,
    // A hot key is configured: BTC withdrawals must still never take the hot path.
    CUSTODY_HOT_WALLET_KEY: '11'.repeat(32),
  })
  approver = (await t.createStaff('custody_approver')).session
  const { user } = await t.createCustomer('btc')
  customer.id = user.id
  await storeApiKey(t, user.id, customer, { label: 'btc' })
  signed = signedClient(t, customer)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: 'btc:fund',
    ref: 'test',
    owner: user.id,
    asset: 'BTC',
    amount: 300_000_000n,
  })
}, 120_000)
afterAll(async () => {
  await t?.close()
})

describe('a Bitcoin withdrawal through the offline PSBT flow', () => {
  let first = ''
  let firstPsbt = ''
  let signedFile: PsbtSignedFile

  it('is approved for offline signing, even under the hot-wallet limit with a hot key configured', async () => {
    const { id, approved } = await requestAndApprove('0.05', 'btc-1')
    expect(approved.status).toBe('approved')
    expect(approved.signingMode).toBe('offline')
    first = id
  })

  it('is exported as a PSBT paying exactly the approved amount, with change to our change address', async () => {
    const { file, unfunded } = await exportNow()
    expect(unfunded).toEqual([])
    expect(file.withdrawals.map((w) => w.withdrawalId)).toEqual([first])
    const w = file.withdrawals[0]!
    firstPsbt = w.psbt
    const tx = Transaction.fromPSBT(base64.decode(w.psbt))
    // Largest coin first: 0.4 BTC at 0/0 covers 0.05 BTC and the fee.
    expect(tx.inputsLength).toBe(1)
    expect(tx.getInput(0).bip32Derivation?.[0]?.[1]).toEqual({
      fingerprint: wallet.fingerprint,
      path: [0, 0],
    })
    expect(tx.getOutputAddress(0)).toBe(PAYEE)
    expect(tx.getOutput(0).amount).toBe(5_000_000n)
    // 1/0 appears in the UTXO file as an earlier change coin, but no exported PSBT used it: 1/0.
    expect(tx.getOutputAddress(1)).toBe(wallet.at(1, 0).address)
    expect(tx.getOutput(1).amount).toBe(40_000_000n - 5_000_000n - BigInt(w.feeSats))
    expect(w.feeSats).toBe('1410')
    expect((await view(first)).statusText).toBe(
      'Approved; waiting for a signature from our offline (cold) wallet.',
    )
    signedFile = signPsbtFile(file, account.privateExtendedKey)
  })

  it('does not spend an exported coin again, and gives the next withdrawal the next change address', async () => {
    const { id } = await requestAndApprove('0.25', 'btc-2', OTHER)
    const { file } = await exportNow()
    // Exporting again repeats the unsigned PSBT of the first withdrawal unchanged.
    expect(file.withdrawals.find((w) => w.withdrawalId === first)?.psbt).toBe(firstPsbt)
    const second = Transaction.fromPSBT(
      base64.decode(file.withdrawals.find((w) => w.withdrawalId === id)!.psbt),
    )
    expect(txidOf(second, 0)).toBe(txid(2))
    expect(second.getInput(0).bip32Derivation?.[0]?.[1].path).toEqual([0, 1])
    expect(second.getOutput(1).bip32Derivation?.[0]?.[1].path).toEqual([1, 1])
  })

  it('leaves a withdrawal the coins cannot pay approved, saying so', async () => {
    const { id } = await requestAndApprove('0.5', 'btc-3')
    const { unfunded, file } = await exportNow()
    expect(unfunded).toEqual([expect.objectContaining({ withdrawalId: id, code: 'PSBT_INSUFFICIENT_FUNDS' })])
    expect(file.withdrawals.some((w) => w.withdrawalId === id)).toBe(false)
    expect((await view(id)).status).toBe('approved')
  })

  it('is left alone by the EVM export, which builds no EIP-1559 transaction for it', async () => {
    // A node that knows only its chain id: the EVM export asks fees and nonces only when it has an
    // EVM withdrawal to build, so an approved BTC withdrawal must not reach it.
    const node = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string }
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify(
            method === 'eth_chainId'
              ? { jsonrpc: '2.0', id, result: '0x7a69' }
              : { jsonrpc: '2.0', id, error: { code: -32601, message: `${method} not served` } },
          ),
        )
      })
    })
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', r))
    try {
      const { port } = node.address() as AddressInfo
      const approved = await t.db
        .selectFrom('custody_withdrawals')
        .select('id')
        .where('status', '=', 'approved')
        .where('asset', '=', 'BTC')
        .execute()
      expect(approved.length).toBeGreaterThan(0)
      const file = await exportUnsigned({
        db: t.db,
        clock: t.clock,
        rpcUrl: `http://127.0.0.1:${port}`,
        coldWallet: '0x52908400098527886E0F7030069857D2E4169EE7',
        tokens: new Map(),
        withdrawals: service(),
      })
      expect(file.transactions).toEqual([])
      for (const { id } of approved) expect((await view(id)).status).toBe('approved')
    } finally {
      await new Promise((r) => node.close(r))
    }
  })

  it.each([
    [
      'another amount',
      'PSBT_AMOUNT_MISMATCH',
      (tx: Transaction) => tx.updateOutput(0, { amount: 5_001_000n }),
    ],
    [
      'another address',
      'PSBT_DESTINATION_MISMATCH',
      (tx: Transaction) =>
        tx.updateOutput(0, {
          script: OutScript.encode(OutScript.decode(p2wpkh(new Uint8Array(33).fill(2)).script)),
        }),
    ],
    ['an extra output', 'PSBT_EXTRA_OUTPUT', (tx: Transaction) => tx.addOutputAddress(OTHER, 1_000n)],
    [
      'change to someone else',
      'PSBT_CHANGE_MISMATCH',
      (tx: Transaction) =>
        tx.updateOutput(1, { script: OutScript.encode({ type: 'wpkh', hash: new Uint8Array(20).fill(3) }) }),
    ],
  ])('refuses a PSBT with %s (%s) and records nothing', async (_what, code, edit) => {
    const result = await importNow(tampered(signedFile, firstPsbt, first, edit))
    expect(result.accepted).toEqual([])
    expect(result.refused).toEqual([expect.objectContaining({ withdrawalId: first, codes: [code] })])
    expect((await view(first)).status).toBe('signing')
  })

  it('refuses a foreign signature and a payload hash that is not the approved one', async () => {
    const foreign = HDKey.fromMasterSeed(new Uint8Array(32).fill(4)).derive("m/84'/0'/0'/0/0")
    const genuine = Transaction.fromPSBT(base64.decode(signedFile.withdrawals[0]!.psbt))
    // Input 0's witness replaced by a valid-looking one from a key that does not own the coin.
    const other = new Transaction({ version: 2 })
    const input = genuine.getInput(0)
    other.addInput({
      txid: input.txid!,
      index: input.index!,
      sequence: input.sequence!,
      witnessUtxo: { script: p2wpkh(foreign.publicKey!).script, amount: 40_000_000n },
    })
    for (let o = 0; o < genuine.outputsLength; o++)
      other.addOutput({ script: genuine.getOutput(o).script!, amount: genuine.getOutput(o).amount! })
    other.signIdx(foreign.privateKey!, 0)
    other.finalizeIdx(0)
    genuine.updateInput(0, { finalScriptWitness: other.getInput(0).finalScriptWitness! }, true)
    const w = signedFile.withdrawals[0]!
    const foreignSig = await importNow({
      ...signedFile,
      withdrawals: [{ ...w, psbt: base64.encode(genuine.toPSBT()) }],
    })
    expect(foreignSig.refused).toEqual([expect.objectContaining({ codes: ['PSBT_SIGNATURE_INVALID'] })])
    const unknown = await importNow({
      ...signedFile,
      withdrawals: [{ ...w, withdrawalId: '00000000-0000-4000-8000-00000000beef' }],
    })
    expect(unknown.refused).toEqual([expect.objectContaining({ codes: ['PSBT_UNKNOWN_WITHDRAWAL'] })])
    const otherHash = await importNow({
      ...signedFile,
      withdrawals: [{ ...w, payloadHash: 'ab'.repeat(32) }],
    })
    expect(otherHash.refused).toEqual([expect.objectContaining({ codes: ['PSBT_PAYLOAD_HASH_MISMATCH'] })])
    expect((await view(first)).status).toBe('signing')
  })

  it('imports the genuine PSBT: the raw transaction is recorded for the operator to broadcast', async () => {
    const result = await importNow(signedFile)
    expect(result.refused).toEqual([])
    expect(result.accepted).toHaveLength(1)
    const { txid: id, rawTx } = result.accepted[0]!
    expect(Transaction.fromRaw(Buffer.from(rawTx, 'hex')).id).toBe(id)
    const seen = await view(first)
    expect(seen).toMatchObject({ status: 'broadcast_pending_external', txHash: id })
    expect(seen.statusText).toBe(
      'Signed by our offline (cold) wallet; our operators are sending it to the Bitcoin network.',
    )
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action'])
      .where('target', '=', `withdrawal:${first}`)
      .execute()
    expect(audit.map((a) => a.action)).toContain('custody.withdrawal_broadcast_pending_external')
    // Importing the same file again records nothing twice.
    const again = await importNow(signedFile)
    expect(again.refused).toEqual([expect.objectContaining({ codes: ['PSBT_NOT_AWAITING_SIGNATURE'] })])
  })

  it('completes once the operator reports enough confirmations of the broadcast transaction', async () => {
    const { txHash } = await view(first)
    const deps = { db: t.db, clock: t.clock, withdrawals: service() }
    expect(await confirmBtcWithdrawal(deps, txHash!, 1, 3)).toMatchObject({
      status: 'broadcast_pending_external',
    })
    expect((await view(first)).status).toBe('broadcast_pending_external')
    expect(await confirmBtcWithdrawal(deps, txHash!, 3, 3)).toMatchObject({ status: 'confirmed' })
    expect(await view(first)).toMatchObject({ status: 'confirmed', statusText: 'Completed.' })
    const pending = (await createLedger({ db: t.db }).balances(t.db, customer.id)).find(
      (b) => b.asset === 'BTC' && b.kind === 'pending_withdrawal',
    )
    // Still pending: the two later withdrawals (0.25 and 0.5 BTC, each with its 0.0001 BTC fee).
    expect(pending?.balance).toBe(25_010_000n + 50_010_000n)
  })
})

describe('without a Bitcoin cold wallet', () => {
  it('refuses a BTC withdrawal plainly', async () => {
    const bare = await createTestApp()
    try {
      const { session } = await bare.createCustomer('no-btc')
      const r = await bare.app.inject({
        method: 'POST',
        url: '/api/custody/withdrawals',
        headers: session.headers,
        payload: { asset: 'BTC', amount: '0.1', network: 'bitcoin', address: PAYEE, idempotencyKey: 'k' },
      })
      expect(r.statusCode).toBe(503)
      expect(r.json().code).toBe('WITHDRAWAL_ASSET_UNAVAILABLE')
    } finally {
      await bare.close()
    }
  })
})

function txidOf(tx: Transaction, i: number): string {
  return Buffer.from(tx.getInput(i).txid!).toString('hex')
}
