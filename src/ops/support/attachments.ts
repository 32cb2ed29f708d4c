/**
 * @module What a support attachment may be: PNG, JPEG, PDF or plain text, recognised by its first
 * bytes (never by the name or the type the browser claims), at most 5 MB. The stored content type
 * is the detected one, so a script renamed `.png` is refused rather than served back.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { AppError } from '../../platform/errors.ts'

export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
export const ATTACHMENTS_PER_MESSAGE = 2

export type AttachmentType = 'image/png' | 'image/jpeg' | 'application/pdf' | 'text/plain'
export type CheckedAttachment = {
  fileName: string
  contentType: AttachmentType
  size: number
  sha256: string
  content: Uint8Array
}

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b)

/** The type of `bytes` by its magic number, or null; text is UTF-8 without control characters. */
export function detectType(bytes: Uint8Array): AttachmentType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return 'text/plain'
  } catch {
    // not UTF-8: not text
  }
  return null
}

/**
 * Checks one uploaded file (base64 from the JSON body).
 * @throws AppError ATTACHMENT_TOO_LARGE (413), ATTACHMENT_TYPE_NOT_ALLOWED (415), INVALID_INPUT
 */
export function checkAttachment(fileName: string, contentBase64: string): CheckedAttachment {
  const cleanName = fileName.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 120)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(contentBase64) || contentBase64.length % 4 !== 0) {
    throw new AppError('INVALID_INPUT', 400, `The file ${cleanName} is not valid base64.`)
  }
  const content = new Uint8Array(Buffer.from(contentBase64, 'base64'))
  if (content.length === 0) throw new AppError('INVALID_INPUT', 400, `The file ${cleanName} is empty.`)
  if (content.length > ATTACHMENT_MAX_BYTES) {
    throw new AppError(
      'ATTACHMENT_TOO_LARGE',
      413,
      `The file ${cleanName} is larger than 5 MB: attach a smaller one.`,
    )
  }
  const contentType = detectType(content)
  if (!contentType) {
    throw new AppError(
      'ATTACHMENT_TYPE_NOT_ALLOWED',
      415,
      `The file ${cleanName} is not a PNG, JPEG, PDF or plain-text file (checked by its content, not its name).`,
    )
  }
  return {
    fileName: cleanName,
    contentType,
    size: content.length,
    sha256: bytesToHex(sha256(content)),
    content,
  }
}
