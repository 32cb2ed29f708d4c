import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../clock.ts'
import { loadConfig } from '../config.ts'
import { configuredPublicKey, createTreeHeadSigner, treeHeadMessage, verifyTreeHead } from './tree-head.ts'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-tree-head-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const clock = createManualClock(new Date('2026-12-07T01:00:00.000Z'))
const root = 'ab'.repeat(32)

describe('signed tree heads', () => {
  it('signs the five documented lines with the configured seed', () => {
    const seed = '4a'.repeat(32)
    const signer = createTreeHeadSigner({
      config: loadConfig({ AUDIT_SIGNING_KEY: seed, EXCHANGE_ID: 'ex-1' }),
      clock,
    })
    const head = signer.sign({ size: 42, root })
    const lines = `bulwark-audit-tree-head/v1\nex-1\n42\n${root}\n2026-12-07T01:00:00.000Z\n`
    expect(new TextDecoder().decode(treeHeadMessage(head))).toBe(lines)
    expect(head.publicKey).toBe(bytesToHex(ed25519.getPublicKey(hexToBytes(seed))))
    expect(
      ed25519.verify(hexToBytes(head.signature), new TextEncoder().encode(lines), hexToBytes(head.publicKey)),
    ).toBe(true)
    expect(verifyTreeHead(head, head.publicKey)).toBe(true)
    expect(verifyTreeHead({ ...head, root: 'cd'.repeat(32) })).toBe(false)
    expect(verifyTreeHead({ ...head, timestamp: '2026-12-07T01:00:00.001Z' })).toBe(false)
  })

  it('reads the seed from AUDIT_SIGNING_KEY_FILE and refuses a malformed one', () => {
    const dir = tempDir()
    const file = join(dir, 'key')
    writeFileSync(file, `${'5c'.repeat(32)}\n`)
    const signer = createTreeHeadSigner({
      config: loadConfig({ AUDIT_SIGNING_KEY_FILE: file, DATA_DIR: dir }),
      clock,
    })
    expect(signer.publicKey()).toBe(bytesToHex(ed25519.getPublicKey(hexToBytes('5c'.repeat(32)))))
    writeFileSync(file, 'not a key')
    const bad = createTreeHeadSigner({
      config: loadConfig({ AUDIT_SIGNING_KEY_FILE: file, DATA_DIR: dir }),
      clock,
    })
    expect(() => bad.publicKey()).toThrow(expect.objectContaining({ code: 'AUDIT_SIGNING_KEY_MALFORMED' }))
  })

  it('without a configured key, generates one in DATA_DIR (owner-only), says so once, and reuses it', () => {
    const dir = tempDir()
    const config = loadConfig({ DATA_DIR: dir })
    expect(configuredPublicKey(config)).toBeNull()
    const told: string[] = []
    const first = createTreeHeadSigner({ config, clock, onGenerated: (path) => told.push(path) })
    const key = first.sign({ size: 1, root }).publicKey
    expect(told).toEqual([join(dir, 'audit-signing.key')])
    expect(statSync(told[0]!).mode & 0o777).toBe(0o600)
    expect(readFileSync(told[0]!, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
    const again = createTreeHeadSigner({ config, clock, onGenerated: (path) => told.push(path) })
    expect(again.publicKey()).toBe(key)
    expect(told).toHaveLength(1)
    expect(configuredPublicKey(config)).toBe(key)
  })
})
