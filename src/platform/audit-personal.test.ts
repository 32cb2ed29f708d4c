/**
 * Which audit details are personal: every detail key that any `appendAudit` call in src/ writes is
 * walked, so a new key that names personal data (an IP, an email, a user agent, a name…) fails here
 * until it is listed as personal (sealed at write) or as not personal, with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import {
  auditPeriod,
  looksPersonal,
  NOT_PERSONAL_DETAIL_KEYS,
  PERSONAL_DETAIL_KEYS,
} from './audit-personal.ts'

const SRC = path.resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : []
  })
}

/** Every property name written inside the `details` of an `appendAudit` call, with where. */
function auditDetailKeys(): Map<string, string> {
  const keys = new Map<string, string>()
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8')
    if (!text.includes('appendAudit(')) continue
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const where = (node: ts.Node) =>
      `${path.relative(SRC, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`
    const collect = (node: ts.Node) => {
      if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && node.name) {
        const name = node.name.getText(source).replace(/^['"]|['"]$/g, '')
        if (!keys.has(name)) keys.set(name, where(node))
      }
      ts.forEachChild(node, collect)
    }
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && node.expression.getText(source) === 'appendAudit') {
        const input = node.arguments[1]
        if (input && ts.isObjectLiteralExpression(input)) {
          for (const property of input.properties) {
            if (property.name?.getText(source) === 'details') ts.forEachChild(property, collect)
          }
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return keys
}

/** Words of a key (camelCase and snake_case) that name personal data. */
const PERSONAL_WORDS =
  /^(ip|ips|email|emails|mail|agent|name|names|phone|birth|address|addresses|passport|document|surname)$/i
const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean)

describe('personal detail keys of the audit log', () => {
  it('classes every detail key written by an appendAudit call in src/ that names personal data', () => {
    const keys = auditDetailKeys()
    // The walk sees the calls it must judge (a walk that found nothing could not fail).
    expect(keys.get('ip')).toMatch(/sign-in\.ts|reauth\.ts|devices\.ts/)
    expect(keys.has('userAgent')).toBe(true)
    expect(keys.has('allowedIps')).toBe(true)
    expect(keys.size).toBeGreaterThan(100)
    const unclassified = [...keys]
      .filter(([key]) => words(key).some((w) => PERSONAL_WORDS.test(w)))
      .filter(([key]) => !PERSONAL_DETAIL_KEYS.has(key) && !(key in NOT_PERSONAL_DETAIL_KEYS))
      .map(([key, at]) => `${key} (${at})`)
    expect(unclassified).toEqual([])
  })

  it('seals values by their content too: IP addresses and ranges, and texts naming an email or IPv4 address', () => {
    for (const value of [
      '203.0.113.7',
      '2001:db8::1',
      '10.0.0.0/8',
      'alice@example.com',
      'delivery to <bob@example.org> failed: 550',
      'blocked from 198.51.100.20 after 5 tries',
    ]) {
      expect([value, looksPersonal(value)]).toEqual([value, true])
    }
    for (const value of [
      'support',
      'admin',
      '12:30:45',
      '1.5',
      'v1.2.3',
      'user:0190c6b2',
      '@noble/hashes',
      'BTC',
    ]) {
      expect([value, looksPersonal(value)]).toEqual([value, false])
    }
  })

  it('keys each value by the UTC month of its entry', () => {
    expect(auditPeriod(new Date('2026-12-31T23:59:59Z'))).toBe('2026-12')
    expect(auditPeriod(new Date('2027-01-01T00:00:00Z'))).toBe('2027-01')
  })
})
