/**
 * @module `npm run eval:identity`: how well the MRZ OCR (src/identity/ocr.ts) reads synthetic
 * passport photos rendered in headless Chromium (eval/identity-render.ts) at four distortion levels
 * (clean; mild, moderate, heavy rotation + blur + glare + speckle + JPEG). For each level: the share
 * of photos where an MRZ was found, where every check digit held, and the field-level accuracy
 * (exact match of the field read with the field printed). Synthetic only: no public specimen photos
 * are bundled, the font is an OCR-B-like stand-in, and real phone photos (perspective, shadows,
 * laminate, worn prints) will do worse. Options: --per-level N (default 15), --seed N.
 */
import { parseArgs } from 'node:util'
import { parseMrz } from '../src/identity/mrz.ts'
import { composeMrz } from '../src/identity/mrz-compose.ts'
import { createMrzOcr } from '../src/identity/ocr.ts'
import { launchBrowser } from '../test/support/browser.ts'
import { DISTORTIONS, prng, randomPassport, renderDocument } from './identity-render.ts'

const { values } = parseArgs({ options: { 'per-level': { type: 'string' }, seed: { type: 'string' } } })
const perLevel = Number(values['per-level'] ?? 15)
const seed = Number(values.seed ?? 19)

const FIELDS = [
  'documentNumber',
  'birthDate',
  'expiryDate',
  'surname',
  'givenNames',
  'nationality',
  'sex',
] as const

const browser = await launchBrowser()
const page = await browser.newPage()
const ocr = createMrzOcr()
const random = prng(seed)
const rows: string[][] = []
try {
  for (const distortion of DISTORTIONS) {
    let found = 0
    let valid = 0
    let confidence = 0
    let ms = 0
    const correct: Record<string, number> = Object.fromEntries(FIELDS.map((f) => [f, 0]))
    for (let i = 0; i < perLevel; i++) {
      const fields = randomPassport(random)
      const truth = parseMrz(composeMrz(fields))
      if (!truth.ok) throw new Error('generated an invalid MRZ')
      const image = await renderDocument(page, fields, distortion, Math.floor(random() * 2 ** 31))
      const started = performance.now()
      const reading = await ocr.read({ contentType: image.contentType, bytes: image.bytes })
      ms += performance.now() - started
      if (!reading) continue
      found++
      confidence += reading.confidence
      const read = parseMrz(reading.text)
      if (!read.ok) continue
      if (read.reasons.length === 0) valid++
      for (const f of FIELDS) if (read.fields[f] === truth.fields[f]) correct[f]!++
    }
    const pct = (n: number) => `${((100 * n) / perLevel).toFixed(0)}%`
    rows.push([
      distortion.name,
      String(perLevel),
      pct(found),
      pct(valid),
      ...FIELDS.map((f) => pct(correct[f]!)),
      found ? (confidence / found).toFixed(2) : '-',
      `${(ms / perLevel).toFixed(0)} ms`,
    ])
    console.error(`${distortion.name}: done`)
  }
} finally {
  await ocr.close()
  await browser.close()
}

const header = ['level', 'photos', 'MRZ found', 'all checks', ...FIELDS, 'mean conf.', 'OCR time']
console.log(`| ${header.join(' | ')} |`)
console.log(`| ${header.map(() => '---').join(' | ')} |`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
console.log(
  `\nseed ${seed}, ${perLevel} synthetic TD3 photos per level (1000x700), tesseract.js eng 4.0.0 LSTM`,
)
