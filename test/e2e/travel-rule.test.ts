/**
 * The Travel Rule compliance page in real Chromium (issue #18 part 6): a compliance officer adds a
 * counterparty VASP to the directory through the form; that VASP's signed transfers arrive (one
 * accepted, one rejected) and the queue shows each with its state and the names; a deposit from
 * the VASP without data waits in the queue until the officer releases it. The officer sets a
 * jurisdiction's threshold on the same page, now and from a later time.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { header_, sign, type TransferMessage } from '../../src/compliance/protocol.ts'
import { createCustody, DEMO_EVM_XPUB } from '../../src/custody/index.ts'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

const PEER_KEY = Uint8Array.from(Buffer.from('2b'.repeat(32), 'hex'))
const PEER_WALLET = '0x3333333333333333333333333333333333333333'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  server = await startTestServer({
    env: {
      TRAVEL_RULE_VASP_ID: 'bulwark-demo',
      TRAVEL_RULE_SIGNING_KEY: '2a'.repeat(32),
      TRAVEL_RULE_JURISDICTION: 'EU',
      DATA_KEK: '6f'.repeat(32),
      CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
    },
  })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function staff(email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await signInDemoStaff(page, server, email)
  return page
}

function transfer(destination: string, amount: string, beneficiary: string): TransferMessage {
  const name = (primaryIdentifier: string) => ({
    name: { nameIdentifier: [{ primaryIdentifier, nameIdentifierType: 'LEGL' as const }] },
  })
  return {
    ...header_('peer-vasp', 'bulwark-demo', new Date()),
    type: 'transfer',
    transferId: crypto.randomUUID(),
    transfer: { asset: 'ETH', network: 'ethereum', amount, destination },
    ivms101: {
      originator: {
        originatorPersons: [{ naturalPerson: { ...name('Oscar Origin'), customerIdentification: 'p-1' } }],
      },
      beneficiary: { beneficiaryPersons: [{ naturalPerson: name(beneficiary) }] },
      originatingVASP: {
        originatingVASP: {
          legalPerson: {
            name: { nameIdentifier: [{ legalPersonName: 'Peer', legalPersonNameIdentifierType: 'LEGL' }] },
          },
        },
      },
    },
  }
}

describe('Travel Rule queue in the browser', () => {
  it('a compliance officer adds a VASP, sees its transfers with their state, and releases a deposit held for missing data', async () => {
    const officer = await staff('compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/travel-rule`)
    await officer.getByRole('heading', { name: 'Travel Rule', exact: true }).waitFor()
    await officer.getByText('No Travel Rule transfers yet.').waitFor()
    await officer.getByLabel('Id (LEI)').fill('peer-vasp')
    await officer.getByLabel('Name', { exact: true }).fill('Peer Exchange')
    await officer.getByLabel('Base URL').fill('https://peer.example')
    await officer.getByLabel('Ed25519 public key (hex)').fill(bytesToHex(ed25519.getPublicKey(PEER_KEY)))
    await officer.getByLabel('Jurisdiction', { exact: true }).fill('CH')
    await officer.getByLabel('Addresses it sends from').fill(PEER_WALLET)
    await officer.getByRole('button', { name: 'Save VASP' }).click()
    await officer
      .getByRole('row', { name: /Peer Exchange/ })
      .getByText('active')
      .waitFor()

    // The peer sends two signed transfers: to a customer's deposit address, and to an unknown one.
    const customer = await server.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'alice@demo.bulwark')
      .executeTakeFirstOrThrow()
    const custody = createCustody({
      db: server.db,
      clock: server.clock,
      config: server.config,
      screen: async () => ({ flagged: false, reasons: [] }),
    })
    const address = (await custody.addresses.forUser(customer.id, 'ETH')).address
    for (const [to, amount, who] of [
      [address, '0.5', 'Alice Martin'],
      ['0x4444444444444444444444444444444444444444', '0.7', 'Nobody Known'],
    ] as const) {
      const response = await fetch(`${server.url}/api/travel-rule/v1/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sign(transfer(to, amount, who), PEER_KEY)),
      })
      expect(response.status).toBe(200)
    }
    // A deposit from the peer's wallet that no Travel Rule data covers.
    const seen = await custody.deposits.record({
      chain: 'evm',
      txid: `0x${'c3'.repeat(32)}`,
      outputIndex: -1,
      asset: 'ETH',
      address,
      userId: customer.id,
      amount: 2n * 10n ** 18n,
      sender: PEER_WALLET,
      blockNumber: 1n,
      blockHash: `0x${'00'.repeat(32)}`,
      confirmations: 100,
    })
    expect((await custody.deposits.settle(seen.id, 100))?.status).toBe('held')

    await officer.reload()
    const transfers = officer.getByRole('table', { name: 'Travel Rule transfers' })
    await transfers
      .getByRole('row', { name: /Oscar Origin → Alice Martin/ })
      .getByText('accepted')
      .waitFor()
    await transfers
      .getByRole('row', { name: /Oscar Origin → Nobody Known/ })
      .getByText('rejected (BENEFICIARY_ADDRESS_UNKNOWN)')
      .waitFor()
    const held = officer.getByRole('table', { name: 'Deposits held for Travel Rule data' })
    await held
      .getByRole('row', { name: /Peer Exchange/ })
      .getByRole('cell', { name: 'held', exact: true })
      .waitFor()
    await officer.getByLabel(/Decision note for deposit/).fill('Peer Exchange sent the data by email')
    await officer.getByRole('button', { name: 'Release' }).click()
    await held.getByText('released (Peer Exchange sent the data by email)').waitFor()
  }, 180_000)

  it('a compliance officer sets a jurisdiction’s threshold for now and another for later, and sees both', async () => {
    const officer = await staff('compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/travel-rule`)
    const thresholds = officer.getByRole('table', { name: 'Travel Rule thresholds', exact: true })
    const us = thresholds.getByRole('row', { name: /^US/ })
    await us.getByText('3000 USD').waitFor()
    await us.getByText('configuration (default)').waitFor()

    await officer.getByLabel('Threshold jurisdiction').fill('US')
    await officer.getByLabel('Threshold amount').fill('2500')
    await officer.getByLabel('Threshold currency').fill('usd')
    await officer.getByLabel('Reason for the change').fill('FinCEN guidance')
    await officer.getByRole('button', { name: 'Set threshold' }).click()
    await officer.getByText('Saved; it applies now.').waitFor()
    await us.getByText('2500 USD').waitFor()
    await us.getByText(/^compliance, since/).waitFor()

    // EU (ours) to 1000 EUR from tomorrow: listed as upcoming, 0 EUR stays in force.
    const tomorrow = new Date(Date.now() + 24 * 3_600_000)
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16)
    await officer.getByLabel('Threshold jurisdiction').fill('EU')
    await officer.getByLabel('Threshold amount').fill('1000')
    await officer.getByLabel('Threshold currency').fill('EUR')
    await officer.getByLabel('Takes effect (empty: now)').fill(local)
    await officer.getByRole('button', { name: 'Set threshold' }).click()
    await officer.getByText('Saved; it applies from the time you chose.').waitFor()
    await officer
      .getByRole('table', { name: 'Upcoming Travel Rule thresholds' })
      .getByRole('row', { name: /^EU/ })
      .getByText('1000 EUR')
      .waitFor()
    await thresholds
      .getByRole('row', { name: /^EU \(ours\)/ })
      .getByText('0 EUR')
      .waitFor()

    const changes = await server.db
      .selectFrom('audit_log')
      .select(['target', 'details'])
      .where('action', '=', 'travel_rule.threshold_changed')
      .orderBy('seq')
      .execute()
    expect(changes).toMatchObject([
      {
        target: 'travel_rule_threshold:US',
        details: { before: { amount: '3000', currency: 'USD' }, after: { amount: '2500', currency: 'USD' } },
      },
      { target: 'travel_rule_threshold:EU', details: { after: { amount: '1000', currency: 'EUR' } } },
    ])
  }, 120_000)

  it('a customer follows the withdraw form to say an address belongs to a customer of that exchange, and sees it listed', async () => {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Email').fill('bruno@demo.bulwark')
    await page.getByLabel('Password').fill(DEMO_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    await page.goto(`${server.url}/wallet/withdraw`)
    await page.getByRole('link', { name: 'Travel Rule destinations' }).click()
    await page.getByRole('heading', { name: 'Travel Rule destinations' }).waitFor()
    await page.getByLabel('Ethereum address').fill('0x5555555555555555555555555555555555555555')
    await page
      .getByRole('combobox')
      .filter({ hasText: 'Peer Exchange' })
      .selectOption({ label: 'Peer Exchange' })
    await page.getByLabel('Recipient first name').fill('Rita')
    await page.getByLabel('Recipient last name').fill('Recipient')
    await page.getByRole('button', { name: 'Declare' }).click()
    await page.getByText('Declared. You can now withdraw to this address.').waitFor()
    await page
      .getByRole('row', { name: /0x5555555555555555555555555555555555555555/ })
      .getByText('a customer of Peer Exchange')
      .waitFor()
  }, 120_000)
})
