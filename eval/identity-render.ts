/**
 * @module Synthetic identity documents for the OCR evaluation, the benchmark and browser tests:
 * a passport data page (TD3) drawn as HTML in headless Chromium with a photo box, visual-zone
 * text and the MRZ in a monospace font (DejaVu Sans Mono: no OCR-B font is installed, so this is
 * an OCR-B-like stand-in, not the real typeface), then distorted by level: rotation, blur, glare,
 * speckle noise and JPEG compression. Everything is drawn from a seed, so a run is reproducible.
 */
import type { Page } from 'playwright-core'
import { type ComposeFields, composeMrz } from '../src/identity/mrz-compose.ts'

export type Distortion = {
  name: string
  rotateDeg: number
  blurPx: number
  glare: number
  noise: number
  /** JPEG quality; null = PNG. */
  jpegQuality: number | null
}

export const DISTORTIONS: Distortion[] = [
  { name: 'clean', rotateDeg: 0, blurPx: 0, glare: 0, noise: 0, jpegQuality: null },
  { name: 'mild', rotateDeg: 1.5, blurPx: 0.5, glare: 0.2, noise: 0.02, jpegQuality: 85 },
  { name: 'moderate', rotateDeg: 3, blurPx: 1, glare: 0.35, noise: 0.05, jpegQuality: 60 },
  { name: 'heavy', rotateDeg: 6, blurPx: 1.6, glare: 0.55, noise: 0.1, jpegQuality: 40 },
]

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SURNAMES = [
  'DUPONT',
  'NOVAK',
  'OKONKWO',
  'GARCIA LOPEZ',
  'SCHMIDT',
  'TANAKA',
  'OBRIEN',
  'KOWALSKA',
  'SILVA',
]
const GIVEN = [
  'MARIE CLAIRE',
  'JAN',
  'CHIOMA',
  'LUIS',
  'ANNA LENA',
  'HARUTO',
  'SEAN PATRICK',
  'ZOFIA',
  'JOAO',
]
const STATES = ['FRA', 'CZE', 'NGA', 'ESP', 'D', 'JPN', 'IRL', 'POL', 'PRT', 'NLD', 'ITA', 'CAN']
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** Random but valid passport fields. */
export function randomPassport(random: () => number, today = new Date()): ComposeFields {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
  const digits = (n: number, max: number) => String(Math.floor(random() * max) + n).padStart(2, '0')
  const number = Array.from({ length: 9 }, () => ALNUM[Math.floor(random() * ALNUM.length)]).join('')
  const state = pick(STATES)
  const year = (today.getUTCFullYear() + 1 + Math.floor(random() * 9)) % 100
  return {
    format: 'TD3',
    issuingState: state,
    documentNumber: number,
    nationality: state,
    birthDate: `${digits(40, 60)}${digits(1, 12)}${digits(1, 28)}`,
    sex: random() < 0.5 ? 'F' : 'M',
    expiryDate: `${String(year).padStart(2, '0')}${digits(1, 12)}${digits(1, 28)}`,
    surname: pick(SURNAMES),
    givenNames: pick(GIVEN),
  }
}

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;')

/** The HTML of one document photo. */
export function documentHtml(fields: ComposeFields, distortion: Distortion, seed: number): string {
  const mrz = composeMrz(fields)
  return `<!doctype html><html><body style="margin:0;background:#6b6f73;width:1000px;height:700px;overflow:hidden">
<div style="position:absolute;left:60px;top:40px;width:880px;height:620px;transform:rotate(${distortion.rotateDeg}deg);
  filter:blur(${distortion.blurPx}px);border-radius:18px;background:linear-gradient(135deg,#e9eef6,#dce6d2 60%,#efe3d6);
  font-family:'DejaVu Sans',sans-serif;color:#1d2433;box-shadow:0 6px 24px #0006;overflow:hidden">
  <div style="position:absolute;left:30px;top:18px;font-size:15px;letter-spacing:3px">PASSPORT · PASSEPORT · ${escapeHtml(fields.issuingState)}</div>
  <div style="position:absolute;left:40px;top:60px;width:190px;height:245px;background:linear-gradient(#b9c2cc,#9aa5b0);border-radius:6px"></div>
  <div style="position:absolute;left:270px;top:60px;font-size:12px;line-height:1.25">Surname<br><b style="font-size:20px">${escapeHtml(fields.surname)}</b><br><br>
    Given names<br><b style="font-size:20px">${escapeHtml(fields.givenNames)}</b><br><br>Passport No.<br><b style="font-size:18px">${escapeHtml(fields.documentNumber)}</b></div>
  <div style="position:absolute;left:0;right:0;top:330px;height:60px;background:repeating-linear-gradient(90deg,#c9d6e4 0 2px,transparent 2px 9px);opacity:.6"></div>
  <pre style="position:absolute;left:26px;bottom:34px;margin:0;font-family:'DejaVu Sans Mono',monospace;font-size:30px;line-height:1.45;color:#111">${escapeHtml(mrz)}</pre>
  <div style="position:absolute;inset:0;background:radial-gradient(circle at ${30 + (seed % 50)}% 70%,#fff ${Math.round(distortion.glare * 30)}%,transparent ${Math.round(distortion.glare * 75)}%);opacity:${distortion.glare}"></div>
  <canvas id="noise" width="880" height="620" style="position:absolute;inset:0"></canvas>
</div>
<script>
  let a = ${seed >>> 0}; const r = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 };
  const c = document.getElementById('noise').getContext('2d');
  for (let i = 0; i < ${Math.round(distortion.noise * 880 * 620 * 0.2)}; i++) { const g = Math.floor(r() * 255); c.fillStyle = 'rgba(' + g + ',' + g + ',' + g + ',0.6)'; c.fillRect(r() * 880, r() * 620, 1.5, 1.5) }
</script></body></html>`
}

/** Renders one document photo in `page` (1000×700) and returns its bytes. */
export async function renderDocument(
  page: Page,
  fields: ComposeFields,
  distortion: Distortion,
  seed: number,
): Promise<{ bytes: Buffer; contentType: 'image/png' | 'image/jpeg' }> {
  await page.setViewportSize({ width: 1000, height: 700 })
  await page.setContent(documentHtml(fields, distortion, seed))
  if (distortion.jpegQuality === null)
    return { bytes: await page.screenshot({ type: 'png' }), contentType: 'image/png' }
  return {
    bytes: await page.screenshot({ type: 'jpeg', quality: distortion.jpegQuality }),
    contentType: 'image/jpeg',
  }
}
