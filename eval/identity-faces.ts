/**
 * @module `npm run eval:identity-faces`: the face pipeline (src/identity/face/) on the sample faces
 * in `../shared/datasets/faces/` (the Human library's own demo samples; evaluation only, read in
 * place, never copied into the repository). Reports: faces found per image; the similarity of
 * same-person pairs (the three `person-vlado*` photos, `stock-emotions-a-*` among themselves, `-b-*`
 * among themselves, `cgi-multiangle-*` among themselves) and different-person pairs (every pair of
 * images from two different identities; `cgi-model-*` are not assumed distinct from each other); the
 * match rate and false-match rate at the chosen threshold and around it; and the anti-spoofing and
 * liveness scores of photographs (`person-*`, `stock-*`) against computer-generated faces (`cgi-*`,
 * `ai-face`). Options: --dir PATH (default ../shared/datasets/faces).
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { FACE_THRESHOLDS } from '../src/identity/face/assess.ts'
import { createFaceEngine, type DetectedFace, embeddingSimilarity } from '../src/identity/face/engine.ts'

const { values } = parseArgs({ options: { dir: { type: 'string' } } })
const dir = path.resolve(values.dir ?? path.join(import.meta.dirname, '../../shared/datasets/faces'))

/** The identity an image shows; null for images not assumed distinct from their group's others. */
function identity(file: string): string {
  if (file.startsWith('person-vlado')) return 'vlado'
  if (file.startsWith('stock-emotions-a-')) return 'stock-a'
  if (file.startsWith('stock-emotions-b-')) return 'stock-b'
  if (file.startsWith('cgi-multiangle-')) return 'cgi-multiangle'
  if (file.startsWith('cgi-model-')) return 'cgi-model'
  return file.replace(/\.jpg$/, '')
}
const photograph = (file: string) => file.startsWith('person-') || file.startsWith('stock-')

const engine = createFaceEngine()
const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort()
const scans: Array<{ file: string; faces: DetectedFace[]; ms: number }> = []
for (const file of files) {
  const t0 = performance.now()
  const scan = await engine.scan({ contentType: 'image/jpeg', bytes: await readFile(path.join(dir, file)) })
  scans.push({ file, faces: scan.faces, ms: performance.now() - t0 })
}
await engine.close()

const single = scans.filter((s) => s.faces.length === 1)
const same: number[] = []
const different: number[] = []
const sameLow: string[] = []
const differentHigh: string[] = []
for (let i = 0; i < single.length; i++) {
  for (let j = i + 1; j < single.length; j++) {
    const a = single[i]!
    const b = single[j]!
    const idA = identity(a.file)
    const idB = identity(b.file)
    if (idA === 'cgi-model' && idB === 'cgi-model') continue
    const s = embeddingSimilarity(a.faces[0]!.embedding, b.faces[0]!.embedding)
    if (idA === idB) {
      same.push(s)
      if (s < FACE_THRESHOLDS.match) sameLow.push(`${a.file}~${b.file} ${s.toFixed(2)}`)
    } else {
      different.push(s)
      if (s >= FACE_THRESHOLDS.match) differentHigh.push(`${a.file}~${b.file} ${s.toFixed(2)}`)
    }
  }
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`)
const q = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]?.toFixed(2) ?? '-'
}
console.log(`images: ${files.length}; exactly one face found: ${single.length}`)
for (const s of scans.filter((x) => x.faces.length !== 1)) console.log(`  ${s.file}: ${s.faces.length} faces`)
console.log(
  `scan time per image: median ${q(
    scans.map((s) => s.ms),
    0.5,
  )} ms (first includes model load: ${scans[0]?.ms.toFixed(0)} ms)`,
)
console.log('')
console.log(`| pairs | count | min | p10 | median | p90 | max |`)
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const [name, xs] of [
  ['same person', same],
  ['different people', different],
] as const) {
  console.log(
    `| ${name} | ${xs.length} | ${q(xs, 0)} | ${q(xs, 0.1)} | ${q(xs, 0.5)} | ${q(xs, 0.9)} | ${q(xs, 1)} |`,
  )
}
console.log('')
console.log('| threshold | same-person match rate | different-person false matches |')
console.log('| --- | --- | --- |')
for (const t of [0.4, 0.45, 0.5, 0.55, FACE_THRESHOLDS.match, 0.65, 0.7]
  .filter((v, i, all) => all.indexOf(v) === i)
  .sort()) {
  const m = same.filter((s) => s >= t).length
  const f = different.filter((s) => s >= t).length
  const mark = t === FACE_THRESHOLDS.match ? ' (chosen)' : ''
  console.log(
    `| ${t.toFixed(2)}${mark} | ${m}/${same.length} (${pct(m, same.length)}) | ${f}/${different.length} (${pct(f, different.length)}) |`,
  )
}
console.log('')
console.log(`same-person pairs below ${FACE_THRESHOLDS.match}: ${sameLow.join(', ') || 'none'}`)
console.log(
  `different-person pairs at or above ${FACE_THRESHOLDS.match}: ${differentHigh.join(', ') || 'none'}`,
)
console.log('')
console.log(
  `| class | faces | real (anti-spoofing) median | real < ${FACE_THRESHOLDS.real} | live median | live < ${FACE_THRESHOLDS.live} |`,
)
console.log('| --- | --- | --- | --- | --- | --- |')
for (const [name, keep] of [
  ['photographs (person-*, stock-*)', photograph],
  ['generated (cgi-*, ai-face)', (f: string) => !photograph(f)],
] as const) {
  const faces = single.filter((s) => keep(s.file)).map((s) => s.faces[0]!)
  const real = faces.map((f) => f.real ?? 0)
  const live = faces.map((f) => f.live ?? 0)
  console.log(
    `| ${name} | ${faces.length} | ${q(real, 0.5)} | ${pct(real.filter((r) => r < FACE_THRESHOLDS.real).length, faces.length)} | ${q(live, 0.5)} | ${pct(live.filter((r) => r < FACE_THRESHOLDS.live).length, faces.length)} |`,
  )
}
