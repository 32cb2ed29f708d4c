/**
 * Bitcoin PSBTs without a database: the cold wallet derives the published BIP84 / BIP86 addresses
 * (receive and change) from the "abandon … about" account keys; the operator's UTXO file is refused
 * for an address that is not ours at its path; the air-gapped signer signs a PSBT with the account
 * xprv or a WIF key and refuses one that pays anything else; and the import check names, with a
 * stable code, every way a signed PSBT can differ from the exported one — changed amount or
 * address, an extra output, other inputs, a redirected change, a signature by another key, a fee
 * above the bound — and refuses BIP174's invalid test vectors as unreadable.
 */
import { base64 } from '@scure/base'
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync } from '@scure/bip39'
import { OutScript, p2wpkh, Transaction, WIF } from '@scure/btc-signer'
import { describe, expect, it } from 'vitest'
import {
  btcColdWallet,
  buildWithdrawalPsbt,
  checkSignedPsbt,
  DEFAULT_MAX_FEE_RATE,
  type PsbtUnsignedFile,
  parseSigningKey,
  parseUtxosCsv,
  signPsbtFile,
  type Utxo,
} from './btc-psbt.ts'
import { DEMO_BTC_XPUB } from './derivation.ts'
import { payloadHash } from './withdrawals.ts'

// The BIP84/BIP86 test mnemonic: its keys are public, for tests only.
const seed = mnemonicToSeedSync(
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
)
const root = HDKey.fromMasterSeed(seed)
const account84 = root.derive("m/84'/0'/0'")
const account86 = root.derive("m/86'/0'/0'")
const PAYEE = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
const OTHER = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'

function utxo(wallet: ReturnType<typeof btcColdWallet>, n: number, amount: bigint, index = n): Utxo {
  return { txid: n.toString(16).padStart(64, '0'), vout: n % 3, amount, key: wallet.at(0, index), line: n }
}

function exported(type: 'p2wpkh' | 'p2tr' = 'p2wpkh', utxos?: Utxo[]) {
  const account = type === 'p2wpkh' ? account84 : account86
  const wallet = btcColdWallet(account.publicExtendedKey, type)
  const pool = utxos ?? [utxo(wallet, 1, 60_000_000n), utxo(wallet, 2, 50_000_000n)]
  const built = buildWithdrawalPsbt(wallet, { address: PAYEE, amount: 100_000_000n }, pool, 10n, 0)
  if (!built) throw new Error('not funded')
  const payload = {
    id: '11111111-1111-4111-8111-111111111111',
    user: '22222222-2222-4222-8222-222222222222',
    asset: 'BTC' as const,
    amount: '100000000',
    network: 'bitcoin',
    address: PAYEE,
  }
  const file: PsbtUnsignedFile = {
    format: 'bulwark-psbt-unsigned-v1',
    network: 'bitcoin',
    addressType: type,
    xpub: wallet.xpub,
    feeRate: '10',
    withdrawals: [
      {
        withdrawalId: payload.id,
        payload,
        payloadHash: payloadHash(payload),
        psbt: built.psbt,
        feeSats: built.fee.toString(),
      },
    ],
  }
  const row = { address: PAYEE, amount: '100000000', unsigned_tx: built.psbt }
  return { wallet, built, file, row, account }
}

/** Signs `psbt` (base64) after `edit` changed it, with the account key: what a tampering courier could do. */
function signEdited(psbt: string, edit: (tx: Transaction) => void, key: HDKey = account84): string {
  const tx = Transaction.fromPSBT(base64.decode(psbt))
  edit(tx)
  tx.sign(key as never)
  tx.finalize()
  return base64.encode(tx.toPSBT())
}
const codes = (r: ReturnType<typeof checkSignedPsbt>) => r.problems.map(([c]) => c)

describe('the cold wallet', () => {
  it('derives the BIP84 receive and change addresses from the account xpub', () => {
    const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
    expect(wallet.at(0, 0).address).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')
    expect(wallet.at(0, 1).address).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g')
    expect(wallet.at(1, 0).address).toBe('bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el')
    expect(account84.publicExtendedKey).toBe(DEMO_BTC_XPUB)
  })

  it('derives the BIP86 taproot receive and change addresses', () => {
    const wallet = btcColdWallet(account86.publicExtendedKey, 'p2tr')
    expect(wallet.at(0, 0).address).toBe('bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr')
    expect(wallet.at(1, 0).address).toBe('bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7')
  })
})

describe('the UTXO file', () => {
  const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
  const header = 'txid,vout,address,amount_sats,path'

  it('reads coins of the cold wallet with their derivation path', () => {
    const { utxos, issues } = parseUtxosCsv(
      `${header}\n${'ab'.repeat(32)},1,bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu,150000,0/0\n`,
      wallet,
    )
    expect(issues).toEqual([])
    expect(utxos).toHaveLength(1)
    expect(utxos[0]).toMatchObject({ vout: 1, amount: 150_000n, key: { path: [0, 0] } })
  })

  it('refuses the whole file when an address is not the wallet’s at its path', () => {
    const { utxos, issues } = parseUtxosCsv(
      `${header}\n${'ab'.repeat(32)},1,bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu,150000,0/1\n`,
      wallet,
    )
    expect(utxos).toHaveLength(1 - 1)
    expect(issues).toEqual([
      {
        line: 2,
        message: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu is not the cold wallet's address at 0/1",
      },
    ])
  })
})

describe('building a withdrawal PSBT', () => {
  it('pays exactly the amount, sends change to the first change address and carries BIP32 derivations', () => {
    const { built, wallet } = exported()
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    expect(tx.inputsLength).toBe(2)
    expect(tx.getOutput(0).amount).toBe(100_000_000n)
    expect(tx.getOutput(1).script).toEqual(wallet.at(1, 0).script)
    expect(tx.getOutput(1).amount).toBe(110_000_000n - 100_000_000n - built.fee)
    // 2 P2WPKH inputs, 2 P2WPKH outputs: 11 + 2×68 + 2×31 = 209 vB at 10 sat/vB.
    expect(built.fee).toBe(2090n)
    expect(tx.getInput(0).bip32Derivation?.[0]?.[1]).toEqual({
      fingerprint: wallet.fingerprint,
      path: [0, 1],
    })
    expect(tx.getOutput(1).bip32Derivation?.[0]?.[1].path).toEqual([1, 0])
    // Replaceable (BIP125), so a stuck transaction can be replaced after signing again.
    expect(tx.getInput(0).sequence).toBe(0xfffffffd)
  })

  it('leaves change under the dust limit to the fee instead of creating an output', () => {
    const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
    const built = buildWithdrawalPsbt(
      wallet,
      { address: PAYEE, amount: 100_000n },
      [utxo(wallet, 1, 101_500n)],
      10n,
      0,
    )
    expect(built?.changeAmount).toBe(0n)
    expect(built?.fee).toBe(1_500n)
    expect(
      buildWithdrawalPsbt(wallet, { address: PAYEE, amount: 100_000n }, [utxo(wallet, 1, 100_500n)], 10n, 0),
    ).toBe(null)
  })
})

describe('the air-gapped signer', () => {
  it('signs and finalises with the account xprv; the import check accepts the result', () => {
    const { file, row, wallet } = exported()
    const signed = signPsbtFile(file, account84.privateExtendedKey)
    const check = checkSignedPsbt(signed.withdrawals[0]!.psbt, row, wallet, DEFAULT_MAX_FEE_RATE)
    expect(check.problems).toEqual([])
    expect(check.txid).toMatch(/^[0-9a-f]{64}$/)
    expect(Transaction.fromRaw(Buffer.from(check.rawTx!, 'hex')).id).toBe(check.txid)
  })

  it('signs P2TR (BIP86 key path) inputs with the account xprv', () => {
    const { file, row, wallet } = exported('p2tr')
    const signed = signPsbtFile(file, account86.privateExtendedKey)
    expect(checkSignedPsbt(signed.withdrawals[0]!.psbt, row, wallet, DEFAULT_MAX_FEE_RATE).problems).toEqual(
      [],
    )
  })

  it('signs with a WIF key of the input it spends', () => {
    const wallet = btcColdWallet(DEMO_BTC_XPUB, 'p2wpkh')
    const { file, row } = exported('p2wpkh', [utxo(wallet, 1, 200_000_000n, 4)])
    const wif = WIF().encode(account84.deriveChild(0).deriveChild(4).privateKey!)
    expect(parseSigningKey(wif, wallet.network).kind).toBe('wif')
    const signed = signPsbtFile(file, wif)
    expect(checkSignedPsbt(signed.withdrawals[0]!.psbt, row, wallet, DEFAULT_MAX_FEE_RATE).problems).toEqual(
      [],
    )
  })

  it('refuses another wallet’s xprv, a payload that does not match its hash, and a PSBT paying someone else', () => {
    const { file } = exported()
    expect(() =>
      signPsbtFile(file, HDKey.fromMasterSeed(new Uint8Array(32).fill(9)).privateExtendedKey),
    ).toThrow(/not the account key/)
    const w = file.withdrawals[0]!
    expect(() =>
      signPsbtFile(
        { ...file, withdrawals: [{ ...w, payload: { ...w.payload, amount: '1' } }] },
        account84.privateExtendedKey,
      ),
    ).toThrow(/does not match its hash/)
    const redirected = Transaction.fromPSBT(base64.decode(w.psbt))
    redirected.updateOutput(0, {
      script: OutScript.encode({ type: 'wpkh', hash: new Uint8Array(20).fill(1) }),
    })
    expect(() =>
      signPsbtFile(
        { ...file, withdrawals: [{ ...w, psbt: base64.encode(redirected.toPSBT()) }] },
        account84.privateExtendedKey,
      ),
    ).toThrow(/does not pay 100000000 sat to/)
  })
})

describe('the import check names what differs', () => {
  const { row, wallet, built } = exported()
  const check = (psbt: string, max = DEFAULT_MAX_FEE_RATE) => codes(checkSignedPsbt(psbt, row, wallet, max))

  it('a changed amount', () => {
    expect(check(signEdited(built.psbt, (tx) => tx.updateOutput(0, { amount: 99_000_000n })))).toEqual([
      'PSBT_AMOUNT_MISMATCH',
    ])
  })

  it('a changed destination address', () => {
    const other = OutScript.encode(
      OutScript.decode(p2wpkh(account84.deriveChild(7).deriveChild(7).publicKey!).script),
    )
    expect(check(signEdited(built.psbt, (tx) => tx.updateOutput(0, { script: other })))).toEqual([
      'PSBT_DESTINATION_MISMATCH',
    ])
  })

  it('an extra output', () => {
    expect(check(signEdited(built.psbt, (tx) => tx.addOutputAddress(OTHER, 1_000n)))).toEqual([
      'PSBT_EXTRA_OUTPUT',
    ])
  })

  it('change redirected to an address that is not ours', () => {
    expect(
      check(
        signEdited(built.psbt, (tx) =>
          tx.updateOutput(1, {
            script: OutScript.encode({ type: 'wpkh', hash: new Uint8Array(20).fill(2) }),
          }),
        ),
      ),
    ).toEqual(['PSBT_CHANGE_MISMATCH'])
  })

  it('other inputs', () => {
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    const swapped = new Transaction({ version: 2 })
    for (const i of [1, 0]) swapped.addInput(tx.getInput(i))
    for (let o = 0; o < tx.outputsLength; o++) swapped.addOutput(tx.getOutput(o))
    swapped.sign(account84 as never)
    swapped.finalize()
    expect(check(base64.encode(swapped.toPSBT()))).toEqual(['PSBT_INPUTS_CHANGED'])
  })

  it('a signature by a key that does not own the input', () => {
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    tx.sign(account84 as never)
    tx.finalize()
    const foreign = HDKey.fromMasterSeed(new Uint8Array(32).fill(5)).derive("m/84'/0'/0'/0/0")
    // Swap input 0's witness for one made by a foreign key over the same transaction.
    const other = new Transaction({ version: 2 })
    const input0 = tx.getInput(0)
    other.addInput({
      txid: input0.txid!,
      index: input0.index!,
      sequence: input0.sequence!,
      witnessUtxo: { script: p2wpkh(foreign.publicKey!).script, amount: input0.witnessUtxo!.amount },
    })
    other.addInput({
      txid: tx.getInput(1).txid!,
      index: tx.getInput(1).index!,
      sequence: tx.getInput(1).sequence!,
      witnessUtxo: tx.getInput(1).witnessUtxo!,
    })
    for (let o = 0; o < tx.outputsLength; o++)
      other.addOutput({ script: tx.getOutput(o).script!, amount: tx.getOutput(o).amount! })
    other.signIdx(foreign.privateKey!, 0)
    other.finalizeIdx(0)
    tx.updateInput(0, { finalScriptWitness: other.getInput(0).finalScriptWitness! }, true)
    expect(check(base64.encode(tx.toPSBT()))).toEqual(['PSBT_SIGNATURE_INVALID'])
  })

  it('an input left unsigned', () => {
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    tx.signIdx(account84.deriveChild(0).deriveChild(1).privateKey!, 0)
    tx.finalizeIdx(0)
    expect(check(base64.encode(tx.toPSBT()))).toEqual(['PSBT_NOT_FINALIZED'])
  })

  it('another lock time', () => {
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    const relocked = new Transaction({ version: 2, lockTime: 900_000 })
    for (let i = 0; i < tx.inputsLength; i++) relocked.addInput(tx.getInput(i))
    for (let o = 0; o < tx.outputsLength; o++) relocked.addOutput(tx.getOutput(o))
    relocked.sign(account84 as never)
    relocked.finalize()
    expect(check(base64.encode(relocked.toPSBT()))).toEqual(['PSBT_TX_CHANGED'])
  })

  it('a missing output', () => {
    const tx = Transaction.fromPSBT(base64.decode(built.psbt))
    const noChange = new Transaction({ version: 2 })
    for (let i = 0; i < tx.inputsLength; i++) noChange.addInput(tx.getInput(i))
    noChange.addOutput(tx.getOutput(0))
    noChange.sign(account84 as never)
    noChange.finalize()
    expect(check(base64.encode(noChange.toPSBT()))).toEqual(['PSBT_OUTPUT_MISSING'])
  })

  it('a fee above the bound', () => {
    expect(
      check(
        signEdited(built.psbt, () => {}),
        5n,
      ),
    ).toEqual(['PSBT_FEE_TOO_HIGH'])
  })

  it('BIP174’s invalid vectors (a network transaction, a PSBT missing its outputs) as unreadable', () => {
    const network =
      'AgAAAAEmgXE3Ht/yhek3re6ks3t4AAwFZsuzrWRkFxPKQhcb9gAAAABqRzBEAiBwsiRRI+a/R01gxbUMBD1MaRpdJDXwmjSnZiqdwlF5CgIgATKcqdrPKAvfMHQOwDkEIkIsgctFg5RXrrdvwS7dlbMBIQJlfRGNM1e44PTCzUbbezn22cONmnCry5st5dyNv+TOMf7///8C09/1BQAAAAAZdqkU0MWZA8W6woaHYOkP1SGkZlqnZSCIrADh9QUAAAAAF6kUNUXm4zuDLEcFDyTT7rk8nAOUi8eHsy4TAA=='
    const missingOutputs =
      'cHNidP8BAHUCAAAAASaBcTce3/KF6Tet7qSze3gADAVmy7OtZGQXE8pCFxv2AAAAAAD+////AtPf9QUAAAAAGXapFNDFmQPFusKGh2DpD9UhpGZap2UgiKwA4fUFAAAAABepFDVF5uM7gyxHBQ8k0+65PJwDlIvHh7MuEwAAAQD9pQEBAAAAAAECiaPHHqtNIOA3G7ukzGmPopXJRjr6Ljl/hTPMti+VZ+UBAAAAFxYAFL4Y0VKpsBIDna89p95PUzSe7LmF/////4b4qkOnHf8USIk6UwpyN+9rRgi7st0tAXHmOuxqSJC0AQAAABcWABT+Pp7xp0XpdNkCxDVZQ6vLNL1TU/////8CAMLrCwAAAAAZdqkUhc/xCX/Z4Ai7NK9wnGIZeziXikiIrHL++E4sAAAAF6kUM5cluiHv1irHU6m80GfWx6ajnQWHAkcwRAIgJxK+IuAnDzlPVoMR3HyppolwuAJf3TskAinwf4pfOiQCIAGLONfc0xTnNMkna9b7QPZzMlvEuqFEyADS8vAtsnZcASED0uFWdJQbrUqZY3LLh+GFbTZSYG2YVi/jnF6efkE/IQUCSDBFAiEA0SuFLYXc2WHS9fSrZgZU327tzHlMDDPOXMMJ/7X85Y0CIGczio4OFyXBl/saiK9Z9R5E5CVbIBZ8hoQDHAXR8lkqASECI7cr7vCWXRC+B3jv7NYfysb3mk6haTkzgHNEZPhPKrMAAAAAAA=='
    expect(check(network)).toEqual(['PSBT_UNREADABLE'])
    expect(check(missingOutputs)).toEqual(['PSBT_UNREADABLE'])
  })
})
