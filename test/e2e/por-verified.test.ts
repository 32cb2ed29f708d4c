/**
 * A visitor, in real Chromium, sees a round whose reserves the server verified against a real chain (Hardhat
 * EDR): the page says they were verified, shows each wallet's check, and does not label them as declared.
 */
import { Readable } from 'node:stream'
import type { Browser } from 'playwright-core'
import { createPublicClient, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/platform/clock.ts'
import { type DevChain, startDevChain } from '../../src/por/reserves/testing/devchain.ts'
import { createRounds } from '../../src/por/rounds.ts'
import { launchBrowser } from '../support/browser.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

const wallet = privateKeyToAccount(`0x${'e1'.padStart(64, '0')}` as Hex)
let chain: DevChain
let server: TestServer
let browser: Browser
let snapshot: number

async function userId(email: string) {
  return (
    await server.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()
  ).id
}

beforeAll(async () => {
  chain = await startDevChain()
  await chain.request({
    method: 'hardhat_setBalance',
    params: [wallet.address, `0x${parseEther('3').toString(16)}`],
  })
  await chain.request({ method: 'hardhat_mine', params: ['0x1'] })
  const client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
  snapshot = Number(await client.getBlockNumber({ cacheTime: 0 }))
  server = await startTestServer()
  browser = await launchBrowser()
  // The rounds service as the server wires it, reading the chain from the dev node.
  const rounds = createRounds({
    db: server.db,
    clock: systemClock,
    dataDir: server.config.DATA_DIR,
    exchangeId: 'bulwark-e2e',
    evm: { ethereum: client },
  })
  const builder = await userId('custody.approver@staff.bulwark')
  const file = (text: string) => Readable.from([Buffer.from(text)])
  await rounds.create('e2e-verified', builder)
  const drawn = await rounds.drawChallenge('e2e-verified', { ethereum: snapshot }, builder)
  const signature = await wallet.signMessage({ message: drawn.reserves.challenge!.message })
  await rounds.importFile(
    'e2e-verified',
    'assets',
    file('symbol,decimals,price_usd,haircut\nETH,18,3200,0.9\n'),
    builder,
  )
  await rounds.importFile('e2e-verified', 'liabilities', file('user_id,ETH\nc-1,1.5\nc-2,0.5\n'), builder)
  await rounds.importFile(
    'e2e-verified',
    'reserves',
    file(
      `chain,address,asset,token,amount,scheme,signature,public_key,script\nethereum,${wallet.address},ETH,,3,eip191,${signature},,\n`,
    ),
    builder,
  )
  await rounds.build('e2e-verified', builder)
  await rounds.review('e2e-verified', await userId('auditor@staff.bulwark'))
  await rounds.publish('e2e-verified', await userId('compliance.officer@staff.bulwark'))
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await chain?.close()
})

describe('Proof of reserves page with reserves verified on chain', () => {
  it('says the reserves were verified and shows what was checked per wallet', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/proof-of-reserves`)
    await page.getByRole('heading', { name: /Latest round e2e-verified/ }).waitFor()
    // ETH owed 2, held 3 at the snapshot block → 150%; no label says "declared".
    expect(await page.locator('tr[data-asset="ETH"]').textContent()).toMatch(/^ETH23150%/)
    expect(await page.getByRole('columnheader', { name: 'Reserves', exact: true }).count()).toBe(1)
    expect(await page.getByTestId('reserves-status').textContent()).toMatch(
      new RegExp(`^Reserves verified by our server when the round was built: .*ethereum block ${snapshot}`),
    )
    const row = page.locator(`tr[data-wallet="${wallet.address}"]`)
    expect(await row.getAttribute('data-ok')).toBe('true')
    expect(await row.textContent()).toContain(
      `✓ EIP-191 signature by ${wallet.address}; balance 3 at block ${snapshot}`,
    )
    await page.close()
  })
})
