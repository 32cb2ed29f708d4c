import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADDRESS_FEATURES } from '../risk/address-model.ts'
import { riskCommands } from './risk.ts'
import type { CliIo } from './types.ts'

function io() {
  const out: string[] = []
  const err: string[] = []
  const value: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {} }
  return { io: value, out: () => out.join(''), err: () => err.join('') }
}
const run = (verb: string, args: string[], o = io()) =>
  riskCommands.verbs[verb]!.run(args, o.io).then((code) => ({ code, ...o }))

// A small labelled table in the fraud dataset's layout.
function table(rows: number, seed: number) {
  let s = seed
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  const header = ['Address', 'Index', 'FLAG', ...ADDRESS_FEATURES, 'unrelated']
  const lines = [header.join(',')]
  const labels: number[] = []
  for (let k = 0; k < rows; k++) {
    const fraud = k % 3 === 0 ? 1 : 0
    labels.push(fraud)
    // every third feature carries the label (the forest samples features per tree), the rest is noise
    const f = ADDRESS_FEATURES.map((_, j) =>
      j % 3 === 0 ? (fraud ? 50 + r() * 50 : r() * 60).toFixed(2) : (r() * 100).toFixed(2),
    )
    lines.push([`0x${k.toString(16).padStart(40, '0')}`, k, fraud, ...f, 'x'].join(','))
  }
  return { text: `${lines.join('\n')}\n`, labels }
}

describe('bulwark risk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'risk-cli-'))
  beforeAll(async () => {
    writeFileSync(join(dir, 'train.csv'), table(300, 1).text)
    const t = await run('train', [
      '--fraud-csv',
      join(dir, 'train.csv'),
      '--all-rows',
      '--only',
      'address',
      '--trees',
      '5',
      '--out',
      dir,
      '--version',
      't1',
    ])
    expect(t.code).toBe(0)
  })

  it('train prints a report naming the model version and library', async () => {
    const file = JSON.parse(readFileSync(join(dir, 'address-rf.json'), 'utf8'))
    expect(file.version).toBe('address-rf-t1')
    expect(file.report.library).toMatch(/ml-random-forest/)
  })

  it('score-accounts prints one JSON line per row, in order, and separates fraud-like rows', async () => {
    const test = table(90, 7)
    writeFileSync(join(dir, 'test.csv'), test.text)
    const r = await run('score-accounts', [
      '--in',
      join(dir, 'test.csv'),
      '--model',
      join(dir, 'address-rf.json'),
    ])
    expect(r.code).toBe(0)
    const lines = r
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.row)).toEqual(Array.from({ length: 90 }, (_, k) => k + 1))
    expect(lines[0]).toMatchObject({ address: `0x${'0'.repeat(40)}` })
    const correct = lines.filter((l, k) => (l.label === 'fraud' ? 1 : 0) === test.labels[k]).length
    expect(correct / lines.length).toBeGreaterThan(0.9)
    expect(lines.find((l) => l.label === 'fraud')?.reasons.length).toBeGreaterThan(0)
  })

  it('score-accounts works without the Address column', async () => {
    const test = table(10, 3)
      .text.split('\n')
      .map((l) => l.split(',').slice(1).join(','))
      .join('\n')
    writeFileSync(join(dir, 'noaddr.csv'), test)
    const r = await run('score-accounts', [
      '--in',
      join(dir, 'noaddr.csv'),
      '--model',
      join(dir, 'address-rf.json'),
    ])
    const lines = r
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(10)
    expect(lines[0]).not.toHaveProperty('address')
  })

  it('replay prints one decision per event in order, blocks a sanctioned destination and reports bad lines', async () => {
    mkdirSync(join(dir, 'lists/ofac'), { recursive: true })
    writeFileSync(
      join(dir, 'lists/ofac/sanctioned_addresses_ETH.txt'),
      '0xAbC0000000000000000000000000000000000001\n',
    )
    const events = [
      { id: 'e1', at: '2026-01-01T00:00:00Z', account: 'a', type: 'signin', device: 'd1' },
      {
        id: 'e2',
        at: '2026-01-01T00:01:00Z',
        account: 'a',
        type: 'withdrawal_requested',
        asset: 'ETH',
        amount: '1000',
        to: '0xabc0000000000000000000000000000000000001',
      },
      { id: 'e3', at: 'yesterday', account: 'a', type: 'signin' },
    ]
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n'))
    const r = await run('replay', [
      '--in',
      join(dir, 'events.jsonl'),
      '--seeds',
      join(dir, 'lists'),
      '--behaviour',
      'none',
    ])
    expect(r.code).toBe(1)
    const lines = r
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.eventId ?? `line ${l.line}`)).toEqual(['e1', 'e2', 'line 3'])
    expect(lines[0].decision).toBe('allow')
    expect(lines[1].decision).toBe('block')
    expect(lines[2].error).toBeTruthy()
  })
})
