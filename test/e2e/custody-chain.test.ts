/**
 * Issue #14's proof of the whole money path, in real Chromium against a real server whose deposit
 * watcher and withdrawal processor read and write a real EVM chain (Hardhat's EDR node): Alice
 * turns on an authenticator app, reads her deposit address on /wallet, ETH is sent to it on chain,
 * and the page shows the deposit waiting for confirmations, then credited. The next day she
 * withdraws 1 ETH with her authenticator code; a custody approver approves its payload hash on
 * /staff/custody in another browser; the server's hot wallet signs and broadcasts, blocks are
 * mined, her history shows the withdrawal completed with its transaction hash, and the chain shows
 * the ETH at the destination. Then she turns whitelist mode on and adds a new address: a
 * withdrawal to it is refused with the 24 h delay and its reason in plain words, and after the
 * delay the same withdrawal goes through. The server runs on a manual clock, so the 24 h locks and
 * the single-use TOTP steps pass without waiting; the chain moves only when the test mines.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { type Address, createPublicClient, getAddress, type Hex, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { DEMO_EVM_XPUB } from '../../src/custody/index.ts'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { createManualClock } from '../../src/platform/clock.ts'
import { type DevChain, startDevChain } from '../../src/por/reserves/testing/devchain.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

const ETH = 10n ** 18n
const HOUR = 3_600_000
const hotKey = generatePrivateKey()
const HOT_WALLET = privateKeyToAccount(hotKey).address
const randomAddress = () => getAddress(`0x${bytesToHex(randomBytes(20))}`)
/** Where Alice withdraws to: addresses nobody has used on this fresh chain. */
const DESTINATION = randomAddress()
const WHITELISTED = randomAddress()

const clock = createManualClock(new Date())
let chain: DevChain
let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  chain = await startDevChain()
  await chain.request({
    method: 'hardhat_setBalance',
    params: [HOT_WALLET, `0x${(100n * ETH).toString(16)}`],
  })
  server = await startTestServer({
    clock,
    env: {
      CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
      CUSTODY_EVM_RPC_URL: chain.url,
      CUSTODY_HOT_WALLET_KEY: hotKey,
      CUSTODY_CONFIRMATIONS: 'ETH=3,USDT=3,USDC=3,BTC=3',
      CUSTODY_EVM_POLL_SECONDS: '1',
      CUSTODY_WITHDRAWAL_POLL_SECONDS: '1',
    },
  })
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close() // stops the watcher and the processor before the chain goes away
  await chain?.close()
})

const rpc = () => createPublicClient({ transport: http(chain.url) })
async function mine(blocks: number) {
  for (let i = 0; i < blocks; i++) await chain.request({ method: 'evm_mine', params: [] })
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  // Two cores shared with other suites: a withdrawal's checks can take many seconds to answer.
  context.setDefaultTimeout(60_000)
  contexts.push(context)
  return context.newPage()
}

/** The current authenticator code; each is accepted once, so the clock then moves to the next step. */
function nextCode(secret: string): string {
  const code = totpCodeAt(secret, clock.now())
  clock.advance(30_000)
  return code
}

/**
 * Reloads the page, as a person waiting for something would, until `target` shows. The server's
 * jobs poll every second; on a busy machine a poll can take several, hence the generous limit.
 */
async function reloadUntil(page: Page, target: Locator, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try {
      await target.waitFor({ timeout: 3_000 })
      return
    } catch (error) {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`, { cause: error })
    }
    await page.reload()
  }
}

async function signIn(page: Page, email: string, secret?: string) {
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  if (secret) {
    await page.getByLabel('Authenticator code').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Continue' }).click()
  }
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** Fills the withdraw form (ETH on Ethereum) with a fresh authenticator code (none: null) and sends it. */
async function withdraw(page: Page, secret: string | null, amount: string, to: string) {
  await page.goto(`${server.url}/wallet/withdraw`)
  await page.getByLabel('Asset').selectOption('ETH')
  await page.getByLabel('Amount (ETH)').fill(amount)
  await page.getByLabel('Destination address').fill(to)
  if (secret) await page.getByLabel('Authenticator code').fill(nextCode(secret))
  await page.getByRole('button', { name: 'Withdraw', exact: true }).click()
}

const ethAvailable = (page: Page) =>
  page.locator('table.custody-balances tr[data-asset="ETH"] .custody-available')

describe('the money path on a real chain, in the browser', () => {
  it('credits an on-chain deposit after its confirmations, pays an approved withdrawal on chain, and explains a whitelist delay', async () => {
    // Alice signs in and turns on an authenticator app (which locks withdrawals for 24 h).
    const alice = await newPage()
    await signIn(alice, 'alice@demo.bulwark')
    await alice.goto(`${server.url}/security/two-factor`)
    await alice.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const secret = (await alice.getByTestId('totp-secret').textContent())!.trim()
    await alice.getByLabel('Code shown by the app').fill(nextCode(secret))
    await alice.getByRole('button', { name: 'Turn on' }).click()
    await alice.getByTestId('recovery-codes').waitFor()

    // She reads her ETH deposit address on the wallet page.
    await alice.goto(`${server.url}/wallet`)
    await alice.getByRole('button', { name: 'Show my deposit address' }).click()
    const depositAddress = (await alice.getByTestId('deposit-address').textContent())!.trim()
    expect(depositAddress).toMatch(/^0x[0-9a-fA-F]{40}$/)

    // 1.5 ETH is sent to it on chain (mined at once: one confirmation of the three needed).
    const [sender] = (await chain.request({ method: 'eth_accounts' })) as Address[]
    const depositTx = (await chain.request({
      method: 'eth_sendTransaction',
      params: [{ from: sender, to: depositAddress, value: `0x${((3n * ETH) / 2n).toString(16)}` }],
    })) as Hex
    expect((await rpc().getTransactionReceipt({ hash: depositTx })).status).toBe('success')

    // The page shows the deposit waiting for confirmations, not yet in her balance.
    const deposit = alice.locator('section[aria-labelledby="wallet-deposits"] tbody tr', {
      hasText: '1.5 ETH',
    })
    await reloadUntil(alice, deposit, 'the deposit to appear on the wallet page')
    expect(await deposit.textContent()).toMatch(/1 of 3waiting for confirmations$/)
    expect(await alice.locator('table.custody-balances tr[data-asset="ETH"]').count()).toBe(0)

    // Two more blocks: three confirmations, and the deposit is credited to her available balance.
    await mine(2)
    await reloadUntil(
      alice,
      deposit.filter({ hasText: 'credited' }),
      'the deposit to be credited after 3 confirmations',
    )
    expect(await deposit.textContent()).toMatch(/3 of 3credited$/)
    expect((await ethAvailable(alice).textContent())?.trim()).toBe('1.5')

    // The next day (the lock has ended; her session has too) she signs in again on the same
    // browser and withdraws 1 ETH to an outside address with her authenticator code.
    clock.advance(25 * HOUR)
    await signIn(alice, 'alice@demo.bulwark', secret)
    // Without her authenticator code the withdrawal is refused (the step-up every session needs).
    await withdraw(alice, null, '1', DESTINATION)
    const stepUp = alice.getByRole('alert')
    await stepUp.waitFor()
    expect(await stepUp.getAttribute('data-code')).toBe('SECOND_FACTOR_REQUIRED')
    await withdraw(alice, secret, '1', DESTINATION)
    const answer = alice.locator('section[aria-labelledby="withdraw-result"]')
    await answer.or(alice.getByRole('alert')).waitFor()
    expect(await alice.getByRole('alert').allTextContents()).toEqual([]) // a refusal says why
    // From 1 ETH the default policy asks one custody approver.
    expect(await answer.locator('.custody-status').textContent()).toBe(
      'Waiting for approval by our custody team (0 of 1).',
    )
    expect(await answer.locator('li[data-verdict="pass"]').first().textContent()).toContain('totp')

    // A custody approver, in another browser, approves exactly that payload.
    const approver = await newPage()
    await signInDemoStaff(approver, server, 'custody.approver@staff.bulwark')
    await approver.goto(`${server.url}/staff/custody`)
    const item = approver.locator('article.custody-queue-item[data-status="awaiting_approval"]')
    await item.waitFor()
    expect(await item.textContent()).toContain(`${ETH} smallest units of ETH on ethereum to ${DESTINATION}`)
    expect(await item.textContent()).toContain((await item.getAttribute('data-hash'))!)
    await item.getByRole('button', { name: 'Approve' }).click()
    await approver.getByRole('alertdialog').getByRole('button', { name: 'Approve' }).click()
    await approver.getByText('Nothing waits: no withdrawal needs an approval or a review.').waitFor()

    // The server's hot wallet signs and broadcasts it: her history shows it sent, with its hash.
    await alice.goto(`${server.url}/wallet/withdrawals`)
    const mine_ = alice.locator('article.custody-withdrawal').first()
    await reloadUntil(
      alice,
      mine_.locator('.custody-status', { hasText: 'Sent to the network' }),
      'the withdrawal to be broadcast',
    )
    const txHash = (await mine_.locator('code').textContent())!.trim()
    expect(txHash).toMatch(/^0x[0-9a-f]{64}$/)

    // Blocks are mined; after three confirmations it is completed.
    await mine(3)
    await reloadUntil(
      alice,
      mine_.locator('.custody-status', { hasText: 'Completed.' }),
      'the withdrawal to be confirmed',
    )
    expect((await mine_.locator('code').textContent())?.trim()).toBe(txHash)

    // On chain: that transaction paid exactly 1 ETH from the hot wallet to the destination.
    const tx = await rpc().getTransaction({ hash: txHash as Hex })
    expect(getAddress(tx.from)).toBe(HOT_WALLET)
    expect(getAddress(tx.to!)).toBe(DESTINATION)
    expect(tx.value).toBe(ETH)
    expect(await rpc().getBalance({ address: DESTINATION })).toBe(ETH)
    // Her balance: 1.5 − 1 − the 0.0005 ETH fee.
    await alice.goto(`${server.url}/wallet`)
    expect((await ethAvailable(alice).textContent())?.trim()).toBe('0.4995')

    // She turns whitelist mode on and adds a new address: it is usable only after 24 h.
    await alice.goto(`${server.url}/security/whitelist`)
    await alice.getByTestId('whitelist-mode').waitFor()
    await alice.getByLabel('Authenticator code').fill(nextCode(secret))
    await alice.getByRole('button', { name: 'Turn whitelist mode on' }).click()
    await alice.getByTestId('whitelist-mode').filter({ hasText: 'Whitelist mode: on' }).waitFor()
    await alice.getByLabel('Address').fill(WHITELISTED)
    await alice.getByLabel('Label').fill('My hardware wallet')
    await alice.getByLabel('Authenticator code').fill(nextCode(secret))
    await alice.getByRole('button', { name: 'Add with code' }).click()
    await alice.getByTestId('whitelist-entry').filter({ hasText: '24 h delay' }).waitFor()
    const addedAt = clock.now().getTime()

    // A withdrawal to it now is refused, and the form says until when and why.
    await withdraw(alice, secret, '0.1', WHITELISTED)
    const refusal = alice.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.getAttribute('data-code')).toBe('WITHDRAWAL_LOCKED')
    const words = (await refusal.textContent())!
    expect(words).toMatch(
      /^Withdrawals are delayed until (\S+), because you changed your withdrawal whitelist\. This protects you if someone else made that change\.$/,
    )
    const until = Date.parse(/delayed until (\S+),/.exec(words)![1]!)
    expect(until - addedAt).toBeGreaterThanOrEqual(24 * HOUR - 60_000)
    expect(until - addedAt).toBeLessThanOrEqual(24 * HOUR)
    await alice.goto(`${server.url}/wallet`)
    expect((await ethAvailable(alice).textContent())?.trim()).toBe('0.4995')

    // After the delay the same withdrawal goes through (0.1 ETH to a day-old whitelisted address
    // needs no approval), and the ETH arrives on chain.
    clock.advance(25 * HOUR)
    await signIn(alice, 'alice@demo.bulwark', secret)
    await withdraw(alice, secret, '0.1', WHITELISTED)
    const paid = alice.locator('section[aria-labelledby="withdraw-result"]')
    await paid.or(alice.getByRole('alert')).waitFor()
    expect(await alice.getByRole('alert').allTextContents()).toEqual([])
    expect(await paid.getAttribute('data-status')).toBe('approved')
    await alice.goto(`${server.url}/wallet/withdrawals`)
    const second = alice.locator('article.custody-withdrawal', { hasText: WHITELISTED })
    await reloadUntil(
      alice,
      second.locator('.custody-status', { hasText: 'Sent to the network' }),
      'the whitelisted withdrawal to be broadcast',
    )
    await mine(3)
    await reloadUntil(
      alice,
      second.locator('.custody-status', { hasText: 'Completed.' }),
      'the whitelisted withdrawal to be confirmed',
    )
    expect(await rpc().getBalance({ address: WHITELISTED })).toBe(ETH / 10n)
  }, 420_000)
})
