/**
 * @module CVSS v4.0 base scores (CVSS-B) computed from a vector string, by the FIRST specification
 * (section 8, "CVSS v4.0 scoring"): the vector's six equivalence sets give its MacroVector, whose
 * score is in the table published with the specification; the score is then lowered by the mean,
 * over the equivalence sets that have a lower MacroVector, of the proportional severity distance
 * between the vector and the highest-severity vectors of its MacroVector. Only base metrics are
 * accepted: a triage score is the vendor's base score, threat and environmental metrics stay at
 * "not defined" (E:X = Attacked, CR/IR/AR:X = High, as the specification says).
 */
import { AppError } from '../../platform/errors.ts'

const BASE_METRICS = {
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
} as const

type Metric = keyof typeof BASE_METRICS | 'CR' | 'IR' | 'AR'
type Vector = Record<Metric, string>

export type CvssSeverity = 'none' | 'low' | 'medium' | 'high' | 'critical'
export type CvssScore = { vector: string; score: number; severity: CvssSeverity; macroVector: string }

/**
 * Parses and scores a CVSS v4.0 base vector.
 * @example cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N').score // 9.3
 * @throws AppError CVSS_VECTOR_INVALID (400) naming the metric that is missing, repeated or wrong
 */
export function cvss4Score(vector: string): CvssScore {
  const metrics = parseVector(vector)
  const macro = macroVector(metrics)
  const score = scoreOf(metrics, macro)
  return { vector: canonical(metrics), score, severity: severityOf(score), macroVector: macro }
}

/** The qualitative rating of a score (specification, table 23). */
export function severityOf(score: number): CvssSeverity {
  if (score === 0) return 'none'
  if (score < 4) return 'low'
  if (score < 7) return 'medium'
  if (score < 9) return 'high'
  return 'critical'
}

function invalid(message: string): AppError {
  return new AppError(
    'CVSS_VECTOR_INVALID',
    400,
    `${message} A CVSS 4.0 base vector looks like CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N.`,
  )
}

function parseVector(text: string): Vector {
  const parts = text.trim().split('/')
  if (parts[0] !== 'CVSS:4.0') throw invalid('The vector must start with "CVSS:4.0/".')
  const seen: Partial<Record<string, string>> = {}
  for (const part of parts.slice(1)) {
    const [name, value, extra] = part.split(':')
    if (name === undefined || value === undefined || extra !== undefined)
      throw invalid(`"${part.slice(0, 20)}" is not METRIC:VALUE.`)
    if (!Object.hasOwn(BASE_METRICS, name))
      throw invalid(`Only base metrics are scored here; "${name.slice(0, 8)}" is not one.`)
    if (seen[name] !== undefined) throw invalid(`The metric ${name} appears twice.`)
    const allowed = BASE_METRICS[name as keyof typeof BASE_METRICS] as readonly string[]
    if (!allowed.includes(value)) throw invalid(`${name} must be one of ${allowed.join(', ')}.`)
    seen[name] = value
  }
  for (const name of Object.keys(BASE_METRICS)) {
    if (seen[name] === undefined) throw invalid(`The base metric ${name} is missing.`)
  }
  return { ...(seen as Record<keyof typeof BASE_METRICS, string>), CR: 'H', IR: 'H', AR: 'H' }
}

function canonical(v: Vector): string {
  return `CVSS:4.0/${Object.keys(BASE_METRICS)
    .map((m) => `${m}:${v[m as Metric]}`)
    .join('/')}`
}

/** The six equivalence-set levels (specification, table 24), as the six-digit MacroVector. */
function macroVector(v: Vector): string {
  const eq1 =
    v.AV === 'N' && v.PR === 'N' && v.UI === 'N'
      ? 0
      : (v.AV === 'N' || v.PR === 'N' || v.UI === 'N') && v.AV !== 'P'
        ? 1
        : 2
  const eq2 = v.AC === 'L' && v.AT === 'N' ? 0 : 1
  const eq3 = v.VC === 'H' && v.VI === 'H' ? 0 : v.VC === 'H' || v.VI === 'H' || v.VA === 'H' ? 1 : 2
  // Base vectors have no MSI/MSA, so the "Safety" level 0 of EQ4 cannot occur here.
  const eq4 = v.SC === 'H' || v.SI === 'H' || v.SA === 'H' ? 1 : 2
  const eq5 = 0 // E:X counts as Attacked
  const eq6 =
    (v.CR === 'H' && v.VC === 'H') || (v.IR === 'H' && v.VI === 'H') || (v.AR === 'H' && v.VA === 'H') ? 0 : 1
  return `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`
}

/**
 * Severity level of each metric value (lower = more severe), in the specification's 0.1 steps. The
 * arithmetic below is the reference calculator's, floating point included: scores at a rounding
 * boundary (x.x5) come out as FIRST's calculator shows them.
 */
const LEVELS: Record<Metric, Record<string, number>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0.0, L: 0.1, H: 0.2 },
  UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 },
  AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 },
  VI: { H: 0.0, L: 0.1, N: 0.2 },
  VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 },
  IR: { H: 0.0, M: 0.1, L: 0.2 },
  AR: { H: 0.0, M: 0.1, L: 0.2 },
}
const STEP = 0.1

/** The highest-severity vectors of each equivalence-set level (the specification's "max composed"). */
const HIGHEST: {
  eq1: string[][]
  eq2: string[][]
  eq3eq6: Record<string, string[]>
  eq4: string[][]
} = {
  eq1: [
    ['AV:N/PR:N/UI:N'],
    ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'],
    ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P'],
  ],
  eq2: [['AC:L/AT:N'], ['AC:H/AT:N', 'AC:L/AT:P']],
  eq3eq6: {
    '00': ['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'],
    '01': ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M'],
    '10': ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
    '11': [
      'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
      'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
      'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
      'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
      'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
    ],
    '21': ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H'],
  },
  eq4: [['SC:H/SI:S/SA:S'], ['SC:H/SI:H/SA:H'], ['SC:L/SI:L/SA:L']],
}

/** Depth of each equivalence-set level in 0.1 steps (the specification's "max severity" + 1). */
const DEPTH = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: { '00': 7, '01': 6, '10': 8, '11': 8, '21': 10 } as Record<string, number>,
  eq4: [6, 5, 4],
}

function parseParts(text: string): Partial<Record<Metric, string>> {
  return Object.fromEntries(text.split('/').map((p) => p.split(':') as [Metric, string]))
}

function scoreOf(v: Vector, macro: string): number {
  if ((['VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const).every((m) => v[m] === 'N')) return 0
  const value = lookup(macro)
  if (value === undefined) throw new Error(`CVSS MacroVector ${macro} is not in the table`)
  const [eq1, eq2, eq3, eq4, eq5, eq6] = [...macro].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const at = (d: number[]) => lookup(d.join(''))

  // The next lower MacroVector of each set (EQ3 and EQ6 move together: 00→01|10, 01→11, 10→11, 11→21).
  const lower = {
    eq1: at([eq1 + 1, eq2, eq3, eq4, eq5, eq6]),
    eq2: at([eq1, eq2 + 1, eq3, eq4, eq5, eq6]),
    eq3eq6:
      eq3 === 0 && eq6 === 0
        ? maxDefined(at([eq1, eq2, eq3, eq4, eq5, eq6 + 1]), at([eq1, eq2, eq3 + 1, eq4, eq5, eq6]))
        : eq3 === 1 && eq6 === 0
          ? at([eq1, eq2, eq3, eq4, eq5, eq6 + 1])
          : at([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
    eq4: at([eq1, eq2, eq3, eq4 + 1, eq5, eq6]),
    eq5: at([eq1, eq2, eq3, eq4, eq5 + 1, eq6]),
  }

  // The first highest-severity vector of the MacroVector that the vector does not exceed.
  const key36 = `${eq3}${eq6}`
  let distance: Record<Metric, number> | null = null
  search: for (const a of HIGHEST.eq1[eq1]!)
    for (const b of HIGHEST.eq2[eq2]!)
      for (const c of HIGHEST.eq3eq6[key36]!)
        for (const d of HIGHEST.eq4[eq4]!) {
          const max = parseParts(`${a}/${b}/${c}/${d}`)
          const diff = Object.fromEntries(
            (Object.keys(LEVELS) as Metric[]).map((m) => [m, LEVELS[m][v[m]]! - LEVELS[m][max[m]!]!]),
          ) as Record<Metric, number>
          if (Object.values(diff).every((x) => x >= 0)) {
            distance = diff
            break search
          }
        }
  if (!distance) throw new Error(`no highest-severity vector found for MacroVector ${macro}`)
  const d = distance
  const current = {
    eq1: d.AV + d.PR + d.UI,
    eq2: d.AC + d.AT,
    eq3eq6: d.VC + d.VI + d.VA + d.CR + d.IR + d.AR,
    eq4: d.SC + d.SI + d.SA,
  }
  const depth = {
    eq1: DEPTH.eq1[eq1]!,
    eq2: DEPTH.eq2[eq2]!,
    eq3eq6: DEPTH.eq3eq6[key36]!,
    eq4: DEPTH.eq4[eq4]!,
  }
  let sum = 0
  let existing = 0
  for (const eq of ['eq1', 'eq2', 'eq3eq6', 'eq4'] as const) {
    const next = lower[eq]
    if (next === undefined) continue
    existing++
    sum += (value - next) * (current[eq] / (depth[eq] * STEP))
  }
  // EQ5's distance is always 0 for base vectors, but a lower level still counts in the mean.
  if (lower.eq5 !== undefined) existing++
  const score = value - (existing === 0 ? 0 : sum / existing)
  return Math.round(Math.min(10, Math.max(0, score)) * 10) / 10
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}

function lookup(macro: string): number | undefined {
  const index = MACRO_KEYS.indexOf(macro)
  return index < 0 ? undefined : (MACRO_SCORES[index] ?? 0) / 10
}

/**
 * The MacroVector scores published with the specification (FIRST CVSS v4.0, "cvss_lookup"), in
 * tenths, in the order of MACRO_KEYS: every EQ1 0-2 × EQ2 0-1 × EQ3 0-2 × EQ4 0-2 × EQ5 0-2 × EQ6
 * 0-1 that exists (EQ3 = 2 only with EQ6 = 1).
 */
const MACRO_KEYS: string[] = []
for (let a = 0; a <= 2; a++)
  for (let b = 0; b <= 1; b++)
    for (let c = 0; c <= 2; c++)
      for (let d = 0; d <= 2; d++)
        for (let e = 0; e <= 2; e++)
          for (let f = 0; f <= 1; f++) {
            if (c === 2 && f === 0) continue
            MACRO_KEYS.push(`${a}${b}${c}${d}${e}${f}`)
          }
const MACRO_SCORES: readonly number[] = [
  100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68, 98, 95, 95, 92, 90, 84, 93, 92,
  89, 81, 81, 65, 88, 80, 78, 70, 69, 48, 92, 82, 72, 79, 69, 50, 69, 55, 27, 99, 97, 95, 92, 92, 85, 95, 91,
  90, 83, 84, 71, 92, 81, 82, 71, 72, 53, 95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50,
  30, 86, 75, 52, 71, 52, 29, 63, 29, 17, 98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63,
  49, 94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25, 83, 70, 54, 65, 58, 26, 53, 21,
  13, 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30, 89, 78, 76, 67, 62, 58, 74, 59,
  57, 57, 47, 23, 61, 52, 57, 29, 24, 16, 71, 59, 30, 58, 26, 15, 23, 13, 6, 93, 87, 86, 72, 75, 58, 86, 74,
  74, 61, 56, 34, 70, 54, 52, 40, 40, 22, 85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19,
  8, 64, 51, 20, 47, 21, 11, 24, 9, 4, 88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
  75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2, 53, 24, 14, 24, 12, 5, 10, 3, 1,
]
