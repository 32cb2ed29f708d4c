import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './main.ts'

const fixtures = join(import.meta.dirname, '../guard/fixtures')

async function run(
  argv: string[],
  stdin: string,
): Promise<{ code: number; lines: Record<string, unknown>[]; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: {},
    readStdin: async () => stdin,
  })
  return {
    code,
    lines: out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    err,
  }
}

describe('bulwark guard (JSON Lines)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guard-cli-'))
  const blocklist = join(dir, 'block.csv')
  writeFileSync(blocklist, 'domain,first_seen\nlisted-drainer.xyz,2024-01-01\n')

  it('domains: one output line per input line, in order, with errors for bad lines', async () => {
    const r = await run(
      ['guard', 'domains', '--blocklist', blocklist],
      'app.listed-drainer.xyz\nnot a domain\n"https://app.uniswap.org"\n\nmetamаsk.io\n',
    )
    expect(r.code).toBe(0)
    expect(r.lines.map((l) => l.verdict ?? 'error')).toEqual(['block', 'error', 'allow', 'error', 'block'])
    expect(r.lines[1]).toMatchObject({ line: 2, error: 'not a domain or URL' })
    expect(r.lines[4]).toMatchObject({ brand: 'MetaMask', reasons: [{ code: 'HOMOGLYPH' }] })
  })

  it('addresses and transfers: lookalikes and poisoning types', async () => {
    const known = ['0x40e922f5d2de414b94aaabf14e02e1f9814afc3f']
    const fake = '0x4008b8dfcdfc0d5b837b28aa4a890122292b0c3f'
    const a = await run(['guard', 'addresses'], `${JSON.stringify({ to: fake, known })}\n{"to":1}\n`)
    expect(a.lines[0]).toMatchObject({ to: fake, verdict: 'warn', lookalikeOf: known[0] })
    expect(a.lines[1]?.error).toContain('to')
    const usdt = '0xdac17f958d2ee523a2206206994597c13d831ec7'
    const tr = [
      {
        chainId: 1,
        token: usdt,
        symbol: 'USDT',
        from: '0x5555555555555555555555555555555555555555',
        to: fake,
        value: '0',
        known,
      },
      {
        chainId: 1,
        token: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0',
        symbol: 'USDТ',
        from: fake,
        to: '0x5555555555555555555555555555555555555555',
        value: '100',
        known,
      },
    ]
    const t = await run(
      ['guard', 'transfers', '--token-list', join(fixtures, 'tokens.tokenlist.json')],
      `${tr.map((x) => JSON.stringify(x)).join('\n')}\n`,
    )
    expect(t.lines.map((l) => l.poisoning)).toEqual(['zero_value', 'counterfeit_token'])
  })

  it('tokens, tx and sanctions follow the same contract', async () => {
    const tokens = await run(
      ['guard', 'tokens', '--token-list', join(fixtures, 'tokens.tokenlist.json')],
      '{"chainId":1,"address":"0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0","symbol":"USDТ","name":"Tether USD"}\n',
    )
    expect(tokens.lines[0]).toMatchObject({ verdict: 'block', impersonates: { symbol: 'USDT' } })
    const tx = await run(
      ['guard', 'tx'],
      '{"method":"eth_sign","message":"0x00"}\n{"to":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","data":"0x095ea7b3"}\n[]\n',
    )
    expect(tx.lines.map((l) => l.verdict ?? 'error')).toEqual(['block', 'warn', 'error'])
    const list = join(dir, 'sanctioned_addresses_ETH.txt')
    writeFileSync(list, '0x8589427373D6D84E98730D7795D8f6f8731FDA16\n')
    const out = join(dir, 'out.jsonl')
    const s = await run(
      ['guard', 'sanctions', '--list', list, '--out', out],
      '0x8589427373d6d84e98730d7795d8f6f8731fda16\nxyz\n',
    )
    expect(s.lines).toEqual([])
    const written = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(written[0]).toMatchObject({ verdict: 'block', lists: ['OFAC SDN (ETH)'] })
    expect(written[1]).toMatchObject({ line: 2, error: 'not an address' })
  })

  it('lists: reports list sizes and the blocklist entries an operator should review', async () => {
    const block = join(dir, 'review-block.txt')
    const allow = join(dir, 'review-allow.txt')
    writeFileSync(block, 'cutt.ly\napp.uniswap.org\nevil.xyz\npartner.example\n')
    writeFileSync(allow, 'partner.example\n')
    let out = ''
    const code = await runCli(
      [
        'guard',
        'lists',
        '--no-defaults',
        '--blocklist',
        block,
        '--allowlist',
        allow,
        '--link-shortener',
        'evil.xyz',
      ],
      {
        stdout: (t) => (out += t),
        stderr: () => {},
        env: {},
      },
    )
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({
      domains: {
        blocklist: 4,
        allowlist: 1,
        officialDomainsListed: { count: 1, entries: [{ entry: 'app.uniswap.org', brand: 'Uniswap' }] },
        // cutt.ly is one of ours; evil.xyz is a shortener only because --link-shortener says so.
        linkShortenersListed: { count: 2, entries: ['cutt.ly', 'evil.xyz'] },
        allowlistedEntries: { count: 1, entries: ['partner.example'] },
      },
      tokens: 0,
      addresses: 0,
    })
  })

  it('tx accepts what wallets send: hex quantities and EIP-712 typed data as a JSON string', async () => {
    const approve = `0x095ea7b3${'0'.repeat(60)}dead${'f'.repeat(64)}`
    const typed = JSON.stringify({
      types: {
        EIP712Domain: [{ name: 'name', type: 'string' }],
        Permit: [
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      domain: {
        name: 'USD Coin',
        chainId: 1,
        verifyingContract: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
      },
      message: { spender: '0x000000000000000000000000000000000000dead', value: (2n ** 256n - 1n).toString() },
    })
    const r = await run(
      ['guard', 'tx'],
      [
        {
          chainId: '0x1',
          to: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
          value: '0x0',
          gas: '0x5208',
          data: approve,
        },
        { to: '0x000000000000000000000000000000000000dead', value: '0xde0b6b3a7640000' },
        { typedData: typed },
        { to: '0x000000000000000000000000000000000000dead', value: '0xnothex' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    )
    expect(r.lines.map((l) => l.verdict ?? 'error')).toEqual(['warn', 'allow', 'warn', 'error'])
    expect(r.lines[0]?.reasons).toMatchObject([{ code: 'UNLIMITED_APPROVAL' }])
    expect(String(r.lines[2]?.reasons && JSON.stringify(r.lines[2].reasons))).toContain('OFFCHAIN_PERMIT')
  })

  it('reports an unreadable list file as a usage error', async () => {
    const r = await run(['guard', 'domains', '--blocklist', join(dir, 'missing.txt')], 'a.com\n')
    expect(r.code).toBe(2)
    expect(r.err).toContain('Could not load domain lists')
  })
})
