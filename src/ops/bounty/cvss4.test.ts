import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cvss4Score, severityOf } from './cvss4.ts'

// Published CVSS v4.0 base scores: the FIRST calculator's default vectors, CVE-2014-0160
// ("Heartbleed") and CVE-2022-41741 from FIRST's examples document.
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

  it("scores all 104,976 base vectors exactly as FIRST's reference calculator does", () => {
    // Landmarks and the SHA-256 of "vector=score\n" for every base vector in this order, as the
    // reference calculator (FIRST/Red Hat cvss-v4-calculator) scores them: one wrong MacroVector
    // score, level or rounding anywhere changes the digest.
    const impact = ['H', 'L', 'N']
    const digest = createHash('sha256')
    let count = 0
    let zero = 0
    let ten = 0
    const distinct = new Set<number>()
    for (const av of ['N', 'A', 'L', 'P'])
      for (const ac of ['L', 'H'])
        for (const at of ['N', 'P'])
          for (const pr of ['N', 'L', 'H'])
            for (const ui of ['N', 'P', 'A'])
              for (const vc of impact)
                for (const vi of impact)
                  for (const va of impact)
                    for (const sc of impact)
                      for (const si of impact)
                        for (const sa of impact) {
                          const vector = `CVSS:4.0/AV:${av}/AC:${ac}/AT:${at}/PR:${pr}/UI:${ui}/VC:${vc}/VI:${vi}/VA:${va}/SC:${sc}/SI:${si}/SA:${sa}`
                          const { score, severity } = cvss4Score(vector)
                          expect(severity).toBe(severityOf(score))
                          digest.update(`${vector}=${score}\n`)
                          count++
                          distinct.add(score)
                          if (score === 0) zero++
                          if (score === 10) ten++
                        }
    expect([count, distinct.size, zero, ten]).toEqual([104_976, 63, 144, 9])
    expect(digest.digest('hex')).toBe('a2bca25a632d9b914404e48ed2d2105ddc8b90b608cfeffafdd2f12b7a9dfe3f')
  }, 60_000)

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
