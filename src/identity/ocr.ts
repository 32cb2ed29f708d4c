/**
 * @module Reads the MRZ from a document photo with tesseract.js, entirely offline: the WebAssembly
 * core comes from the tesseract.js-core package and the English LSTM model from
 * @tesseract.js-data/eng (4.0.0), both loaded from node_modules, never downloaded. Recognition runs
 * in tesseract.js's worker thread, so the API's event loop stays free while a photo is read.
 *
 * The bottom band of the image (where every MRZ is) is read first, the whole image if that finds
 * nothing; the result's lines are the last run of 2 or 3 lines with an MRZ shape. Characters are
 * then corrected by position (a digit-only field turns O into 0, a letter-only field turns 0 into
 * O), and each field gets the lowest confidence of its characters.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { createWorker, PSM, type Worker } from 'tesseract.js'
import { imageSize } from './image-size.ts'
import { type MrzFormat, parseMrz } from './mrz.ts'
import type { ImageInput, MrzReading } from './verifications.ts'

const require = createRequire(import.meta.url)

/** The bundled English model's directory (gzip-compressed traineddata). */
export function bundledLanguagePath(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0')
}

const SHAPES: Record<MrzFormat, { lines: number; length: number }> = {
  TD1: { lines: 3, length: 30 },
  TD2: { lines: 2, length: 36 },
  TD3: { lines: 2, length: 44 },
}

/** Per position: `9` digit, `A` letter, `X` anything. Fillers `<` are valid everywhere. */
const MASKS: Record<MrzFormat, string[]> = {
  TD3: ['A'.repeat(44), `${'X'.repeat(9)}9AAA${'9'.repeat(7)}A${'9'.repeat(7)}${'X'.repeat(14)}99`],
  TD2: ['A'.repeat(36), `${'X'.repeat(9)}9AAA${'9'.repeat(7)}A${'9'.repeat(7)}${'X'.repeat(7)}9`],
  TD1: [
    `AAAAA${'X'.repeat(9)}9${'X'.repeat(15)}`,
    `${'9'.repeat(7)}A${'9'.repeat(7)}AAA${'X'.repeat(11)}9`,
    'A'.repeat(30),
  ],
}

/** Field spans as [line, start, end) per format, for per-field confidence. */
const FIELDS: Record<MrzFormat, Record<string, [number, number, number]>> = {
  TD3: {
    issuingState: [0, 2, 5],
    names: [0, 5, 44],
    documentNumber: [1, 0, 10],
    nationality: [1, 10, 13],
    birthDate: [1, 13, 20],
    sex: [1, 20, 21],
    expiryDate: [1, 21, 28],
    composite: [1, 43, 44],
  },
  TD2: {
    issuingState: [0, 2, 5],
    names: [0, 5, 36],
    documentNumber: [1, 0, 10],
    nationality: [1, 10, 13],
    birthDate: [1, 13, 20],
    sex: [1, 20, 21],
    expiryDate: [1, 21, 28],
    composite: [1, 35, 36],
  },
  TD1: {
    issuingState: [0, 2, 5],
    documentNumber: [0, 5, 15],
    birthDate: [1, 0, 7],
    sex: [1, 7, 8],
    expiryDate: [1, 8, 15],
    nationality: [1, 15, 18],
    composite: [1, 29, 30],
    names: [2, 0, 30],
  },
}

const TO_DIGIT: Record<string, string> = {
  O: '0',
  Q: '0',
  D: '0',
  I: '1',
  L: '1',
  Z: '2',
  S: '5',
  G: '6',
  B: '8',
  T: '7',
}
const TO_LETTER: Record<string, string> = { '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '6': 'G', '8': 'B' }

/** Corrects characters that cannot stand where they are (O in a date, 0 in a name). */
export function correctByPosition(lines: string[], format: MrzFormat): string[] {
  return lines.map((line, i) => {
    const mask = MASKS[format][i]!
    let out = ''
    for (let p = 0; p < line.length; p++) {
      const c = line[p]!
      if (mask[p] === '9') out += TO_DIGIT[c] ?? c
      else if (mask[p] === 'A') out += TO_LETTER[c] ?? c
      else out += c
    }
    return out
  })
}

/** In a name field, anything after a run of three fillers is noise read in the filler (`<` as K). */
export function cleanNames(line: string, start: number, end: number): string {
  const field = line.slice(start, end)
  const stop = field.indexOf('<<<')
  if (stop < 0) return line
  return line.slice(0, start) + field.slice(0, stop) + '<'.repeat(field.length - stop) + line.slice(end)
}

/** Characters OCR confuses with each other in an MRZ. */
const CONFUSIONS: Record<string, string> = {
  O: '0DQ',
  '0': 'ODQ',
  D: '0O',
  Q: '0O',
  I: '1L',
  '1': 'IL',
  L: '1I',
  S: '5',
  '5': 'S',
  B: '8',
  '8': 'B',
  Z: '2',
  '2': 'Z',
  G: '6',
  '6': 'G',
  K: '<',
  '<': 'K',
}

/**
 * Repairs a misread document number: the character OCR was least sure of is replaced by a
 * confusable one (0/O/D, 1/I, 5/S, 8/B…) when exactly one such replacement makes both the number's
 * check digit and the composite valid. Trying only the least-confident character keeps the chance
 * of "repairing" a badly misread number into a wrong valid one small; the reviewer sees the score.
 */
export function repairDocumentNumber(lines: string[], format: MrzFormat, confidences: number[][]): string[] {
  const [line, start] = format === 'TD1' ? [0, 5] : [1, 0]
  const valid = (candidate: string[]) => {
    const parsed = parseMrz(candidate.join('\n'))
    return parsed.ok && parsed.reasons.length === 0
  }
  if (valid(lines)) return lines
  const scores = (confidences[line] ?? []).slice(start, start + 9)
  const lowest = Math.min(...scores)
  const found: string[][] = []
  for (let p = start; p < start + 9; p++) {
    if (scores[p - start] !== lowest) continue
    const original = lines[line]![p]!
    for (const replacement of CONFUSIONS[original] ?? '') {
      const candidate = [...lines]
      candidate[line] = lines[line]!.slice(0, p) + replacement + lines[line]!.slice(p + 1)
      if (valid(candidate)) found.push(candidate)
    }
  }
  return found.length === 1 ? found[0]! : lines
}

type OcrLine = { text: string; confidences: number[] }

/** The last run of lines with one MRZ format's shape (lengths within one character, then trimmed/padded). */
export function findMrz(lines: OcrLine[]): { format: MrzFormat; lines: OcrLine[] } | null {
  for (const format of ['TD3', 'TD1', 'TD2'] as const) {
    const shape = SHAPES[format]
    for (let end = lines.length; end >= shape.lines; end--) {
      const run = lines.slice(end - shape.lines, end)
      if (run.every((l) => Math.abs(l.text.length - shape.length) <= 1)) {
        return {
          format,
          lines: run.map((l) => ({
            text: l.text.slice(0, shape.length).padEnd(shape.length, '<'),
            confidences: l.confidences
              .slice(0, shape.length)
              .concat(Array(shape.length).fill(0))
              .slice(0, shape.length),
          })),
        }
      }
    }
  }
  return null
}

export type MrzOcr = {
  read(image: ImageInput): Promise<MrzReading | null>
  close(): Promise<void>
}

/**
 * An MRZ reader with one tesseract worker, started on first use.
 *
 * @example const ocr = createMrzOcr(); const reading = await ocr.read({ contentType: 'image/png', bytes })
 */
export function createMrzOcr(options: { langPath?: string } = {}): MrzOcr {
  let worker: Promise<Worker> | null = null

  function start(): Promise<Worker> {
    worker ??= (async () => {
      const w = await createWorker('eng', 1, {
        langPath: options.langPath ?? bundledLanguagePath(),
        gzip: true,
        cacheMethod: 'none',
      })
      await w.setParameters({
        tessedit_char_whitelist: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<',
        tessedit_pageseg_mode: PSM.SINGLE_BLOCK,
      })
      return w
    })()
    return worker
  }

  async function recognise(image: ImageInput, band: boolean): Promise<OcrLine[]> {
    const w = await start()
    const size = band ? imageSize(image.bytes) : null
    const rectangle = size
      ? {
          left: 0,
          top: Math.floor(size.height * 0.55),
          width: size.width,
          height: size.height - Math.floor(size.height * 0.55),
        }
      : undefined
    const result = await w.recognize(
      Buffer.from(image.bytes),
      rectangle ? { rectangle, rotateAuto: true } : { rotateAuto: true },
      {
        text: true,
        blocks: true,
      },
    )
    const lines: OcrLine[] = []
    for (const block of result.data.blocks ?? []) {
      for (const paragraph of block.paragraphs) {
        for (const line of paragraph.lines) {
          const symbols = line.words.flatMap((word) => word.symbols)
          const text = symbols.map((s) => s.text).join('')
          if (/^[A-Z0-9<]+$/.test(text))
            lines.push({ text, confidences: symbols.map((s) => s.confidence / 100) })
        }
      }
    }
    return lines
  }

  return {
    async read(image) {
      let found = findMrz(await recognise(image, true))
      if (!found) found = findMrz(await recognise(image, false))
      if (!found) return null
      const { format } = found
      const [nameLine, nameStart, nameEnd] = FIELDS[format].names!
      const positional = correctByPosition(
        found.lines.map((l) => l.text),
        format,
      )
      positional[nameLine] = cleanNames(positional[nameLine]!, nameStart, nameEnd)
      const corrected = repairDocumentNumber(
        positional,
        format,
        found.lines.map((l) => l.confidences),
      )
      const fields: Record<string, number> = {}
      for (const [name, [line, start, end]] of Object.entries(FIELDS[format])) {
        fields[name] = Math.min(...found.lines[line]!.confidences.slice(start, end))
      }
      return { text: corrected.join('\n'), confidence: Math.min(...Object.values(fields)), fields }
    },
    async close() {
      if (worker) await (await worker).terminate()
      worker = null
    },
  }
}
