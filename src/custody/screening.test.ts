/**
 * Deposit screening over the guard's address lists: a sender on a sanctions, drainer or watch list
 * is flagged with the list named; anyone else is not.
 */
import { describe, expect, it } from 'vitest'
import { createAddressScreener } from '../guard/index.ts'
import { screenFromGuard, screenWith } from './screening.ts'

const SANCTIONED = '0x8589427373d6d84e98730d7795d8f6f8731fda16' // Tornado Cash, OFAC SDN
const DRAINER = '0x0000db5c8b030ae20308ac975898e09741e70000'

describe('deposit screening', () => {
  const screen = screenWith(
    createAddressScreener([
      { name: 'OFAC SDN (ETH)', kind: 'sanctions', addresses: [SANCTIONED] },
      { name: 'drainers.txt', kind: 'drainer', addresses: [DRAINER] },
    ]),
  )

  it('flags a sanctioned sender and names the list', async () => {
    const result = await screen(SANCTIONED.toUpperCase().replace('0X', '0x'))
    expect(result.flagged).toBe(true)
    expect(result.reasons.join(' ')).toMatch(/SANCTIONED: .*OFAC SDN \(ETH\)/)
  })

  it('flags a drainer and passes an unlisted sender', async () => {
    expect((await screen(DRAINER)).flagged).toBe(true)
    expect(await screen('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')).toEqual({
      flagged: false,
      reasons: [],
    })
  })
})

describe('deposit screening from the guard configuration', () => {
  const config = {
    GUARD_BLOCKLISTS: '',
    GUARD_ALLOWLISTS: '',
    GUARD_BRANDS: '',
    GUARD_LINK_SHORTENERS: '',
    GUARD_TOKEN_LISTS: '',
    GUARD_ADDRESS_LISTS: '',
    GUARD_REFRESH_MINUTES: 0,
    GUARD_DEFAULT_LISTS: true,
    GUARD_FEEDS: '',
    GUARD_FEEDS_DIR: '',
    GUARD_POPULAR_DOMAINS: '',
    DATA_DIR: '/nonexistent',
  }

  it('flags an OFAC-listed sender with no list configured, from the shipped OFAC file', async () => {
    const result = await screenFromGuard(config)(SANCTIONED)
    expect(result.flagged).toBe(true)
    expect(result.reasons.join(' ')).toContain('OFAC SDN (ETH)')
  })

  it('flags nobody when the shipped lists are turned off and none is configured', async () => {
    expect(await screenFromGuard({ ...config, GUARD_DEFAULT_LISTS: false })(SANCTIONED)).toEqual({
      flagged: false,
      reasons: [],
    })
  })
})
