import { describe, expect, it } from 'vitest'
import { cvss4Score, severityOf } from './cvss4.ts'

// Published CVSS v4.0 base scores: the FIRST calculator's defaults and the examples document
// (CVE-2014-0160 "Heartbleed", CVE-2022-41741), checked by hand against the specification.
const published: Array<[string, number]> = [
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.7],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.2],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
]

describe('CVSS v4.0 base scores', () => {
  it.each(published)('scores %s as %s', (vector, score) => {
    expect(cvss4Score(vector).score).toBe(score)
  })

  it('rates scores with the qualitative scale of the specification', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityOf)).toEqual([
      'none',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ])
    expect(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N').severity).toBe(
      'high',
    )
  })

  it('gives sampled base vectors a score between 0 and 10 rated by that scale', () => {
    const order: Record<string, string[]> = {
      AV: ['N', 'A', 'L', 'P'],
      AC: ['L', 'H'],
      AT: ['N', 'P'],
      PR: ['N', 'L', 'H'],
      UI: ['N', 'P', 'A'],
      VC: ['H', 'L', 'N'],
      VI: ['H', 'L', 'N'],
      VA: ['H', 'L', 'N'],
      SC: ['H', 'L', 'N'],
      SI: ['H', 'L', 'N'],
      SA: ['H', 'L', 'N'],
    }
    const names = Object.keys(order)
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let i = 0; i < 2000; i++) {
      const pick = Object.fromEntries(names.map((n) => [n, order[n]![next() % order[n]!.length]!]))
      const text = (p: Record<string, string>) => `CVSS:4.0/${names.map((n) => `${n}:${p[n]}`).join('/')}`
      const score = cvss4Score(text(pick)).score
      expect(score).toBeGreaterThanOrEqual(0)
      expect(score).toBeLessThanOrEqual(10)
      expect(cvss4Score(text(pick)).severity).toBe(severityOf(score))
    }
  })

  it('refuses vectors that are not CVSS 4.0 base vectors, naming the problem', () => {
    const bad = (v: string) => {
      try {
        cvss4Score(v)
        return 'accepted'
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message.split('.')[0]}`
      }
    }
    expect(bad('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      'CVSS_VECTOR_INVALID: The vector must start with "CVSS:4',
    )
    expect(bad('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N')).toBe(
      'CVSS_VECTOR_INVALID: The base metric SA is missing',
    )
    expect(bad('CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      'CVSS_VECTOR_INVALID: AV must be one of N, A, L, P',
    )
    expect(bad('CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      'CVSS_VECTOR_INVALID: The metric AV appears twice',
    )
  })
})
