/**
 * @module The customer's identity verification: a photo of the document (upload, or the camera on
 * a phone), the lines at the bottom of the document, a selfie; progress while it uploads; then the
 * result, "under review", or what to fix in plain words. When the exchange compares faces, a head-turn
 * liveness check follows the selfie (HeadTurnCheck.tsx). The MRZ is checked in the browser as it
 * is typed (the same parser as the server), so a mistyped line is caught before uploading.
 */
import { type FormEvent, useEffect, useState } from 'react'
import { parseMrz } from '../../../src/identity/mrz.ts'
import { get, post } from '../platform/api.ts'
import { ErrorNote, Page } from '../platform/ui.tsx'
import { HeadTurnCheck } from './HeadTurnCheck.tsx'

type Verification = {
  id: string
  status: 'approved' | 'rejected' | 'review'
  country: string | null
  createdAt: string
  decidedAt: string | null
  problems: string[]
}

type Photo = { contentType: 'image/jpeg'; data: string; preview: string }

/** A fieldset is as wide as its widest content by default; on a phone it must shrink instead. */
const fieldsetStyle = { minWidth: 0 }
const previewStyle = { maxWidth: '100%', maxHeight: 240 }

/** Longest side of an uploaded photo: enough for the MRZ and the face, small enough for a phone upload. */
const MAX_SIDE = 1800

/** Reads a chosen photo and re-encodes it as a JPEG no larger than MAX_SIDE (phones take 12 MP). */
async function readPhoto(file: File): Promise<Photo> {
  if (!file.type.startsWith('image/')) throw new Error('Choose a photo (JPEG, PNG or WebP).')
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error('This photo could not be opened. Take it again or choose another one.')
  })
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(bitmap.width * scale)
  canvas.height = Math.round(bitmap.height * scale)
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  const preview = canvas.toDataURL('image/jpeg', 0.9)
  return { contentType: 'image/jpeg', data: preview.slice(preview.indexOf(',') + 1), preview }
}

/** A hint about the typed MRZ, in words, or null when it reads correctly (or is left to the photo). */
function mrzHint(text: string): string | null {
  if (!text.trim()) return null
  const result = parseMrz(text)
  if (!result.ok) {
    return 'A passport has 2 lines of 44 characters, an identity card 3 lines of 30 (or 2 of 36). Type every < sign.'
  }
  if (result.reasons.length > 0) {
    return 'These lines do not add up (their check digits fail): compare each character with your document, e.g. 0 and O, 1 and I, 5 and S.'
  }
  return null
}

export function VerifyPage() {
  const [current, setCurrent] = useState<Verification | null | undefined>(undefined)
  const [documentPhoto, setDocumentPhoto] = useState<Photo | null>(null)
  const [selfie, setSelfie] = useState<Photo | null>(null)
  const [mrz, setMrz] = useState('')
  const [visual, setVisual] = useState({
    documentNumber: '',
    surname: '',
    givenNames: '',
    birthDate: '',
    expiryDate: '',
  })
  const [step, setStep] = useState<'idle' | 'uploading'>('idle')
  const [error, setError] = useState<unknown>(null)
  const [retry, setRetry] = useState(false)
  const [livenessOn, setLivenessOn] = useState(false)
  const [livenessChallengeId, setLivenessChallengeId] = useState<string | null>(null)

  useEffect(() => {
    get<{ verification: Verification | null }>('/api/identity/verification')
      .then((r) => setCurrent(r.verification))
      .catch(setError)
    get<{ enabled: boolean }>('/api/identity/liveness')
      .then((r) => setLivenessOn(r.enabled))
      .catch(setError)
  }, [])

  async function choose(file: File | undefined, set: (p: Photo) => void) {
    setError(null)
    if (!file) return
    try {
      set(await readPhoto(file))
    } catch (e) {
      setError(e)
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    setError(null)
    if (!documentPhoto || !selfie) {
      setError(new Error('Add a photo of your document and a selfie.'))
      return
    }
    setStep('uploading')
    try {
      const typed = Object.fromEntries(Object.entries(visual).filter(([, v]) => v.trim() !== ''))
      const { verification } = await post<{ verification: Verification }>('/api/identity/verifications', {
        document: { contentType: documentPhoto.contentType, data: documentPhoto.data },
        selfie: { contentType: selfie.contentType, data: selfie.data },
        ...(mrz.trim() ? { mrz } : {}),
        visual: typed,
        ...(livenessChallengeId ? { livenessChallengeId } : {}),
      })
      setCurrent(verification)
      setRetry(false)
      setLivenessChallengeId(null)
    } catch (e) {
      setError(e)
    } finally {
      setStep('idle')
    }
  }

  const hint = mrzHint(mrz)
  const showForm = current === null || retry
  return (
    <Page
      title="Verify your identity"
      intro="Your photos stay on this exchange's own servers, encrypted, and are deleted after the review period."
    >
      {current && !retry ? <Result verification={current} onRetry={() => setRetry(true)} /> : null}
      <ErrorNote error={error} />
      {showForm ? (
        <form className="verify-form" onSubmit={(e) => void submit(e)}>
          <fieldset style={fieldsetStyle}>
            <legend>1. Your passport or identity card</legend>
            <label>
              Photo of the page with your picture (flat, in good light, the whole page visible)
              <input
                type="file"
                accept="image/*"
                capture="environment"
                onChange={(e) => void choose(e.target.files?.[0], setDocumentPhoto)}
              />
            </label>
            {documentPhoto ? (
              <img style={previewStyle} src={documentPhoto.preview} alt="Your document" />
            ) : null}
            <label>
              The lines of letters and &lt; signs at the bottom, one per line (leave empty to have them read
              from the photo)
              <textarea
                name="mrz"
                rows={3}
                spellCheck={false}
                autoCapitalize="characters"
                style={{ fontFamily: 'monospace', width: '100%' }}
                value={mrz}
                onChange={(e) => setMrz(e.target.value.toUpperCase())}
                aria-describedby="mrz-hint"
              />
            </label>
            <p id="mrz-hint" className={hint ? 'field-error' : 'hint'} role={hint ? 'alert' : undefined}>
              {hint ?? 'Passport: 2 lines of 44 characters. Identity card: 3 lines of 30.'}
            </p>
            <label>
              Document number
              <input
                value={visual.documentNumber}
                onChange={(e) => setVisual({ ...visual, documentNumber: e.target.value })}
              />
            </label>
            <label>
              Surname
              <input
                value={visual.surname}
                onChange={(e) => setVisual({ ...visual, surname: e.target.value })}
              />
            </label>
            <label>
              Given names
              <input
                value={visual.givenNames}
                onChange={(e) => setVisual({ ...visual, givenNames: e.target.value })}
              />
            </label>
            <label>
              Date of birth
              <input
                type="date"
                value={visual.birthDate}
                onChange={(e) => setVisual({ ...visual, birthDate: e.target.value })}
              />
            </label>
            <label>
              Expiry date
              <input
                type="date"
                value={visual.expiryDate}
                onChange={(e) => setVisual({ ...visual, expiryDate: e.target.value })}
              />
            </label>
          </fieldset>
          <fieldset style={fieldsetStyle}>
            <legend>2. A selfie</legend>
            <label>
              Your face, looking at the camera, nothing covering it
              <input
                type="file"
                accept="image/*"
                capture="user"
                onChange={(e) => void choose(e.target.files?.[0], setSelfie)}
              />
            </label>
            {selfie ? <img style={previewStyle} src={selfie.preview} alt="Your selfie" /> : null}
          </fieldset>
          {livenessOn ? (
            <fieldset style={fieldsetStyle}>
              <legend>3. A head-turn check</legend>
              <HeadTurnCheck onFinished={setLivenessChallengeId} />
            </fieldset>
          ) : null}
          <button type="submit" disabled={step === 'uploading'}>
            {step === 'uploading' ? 'Uploading and checking…' : 'Send for verification'}
          </button>
          {step === 'uploading' ? <progress aria-label="Uploading" /> : null}
        </form>
      ) : null}
    </Page>
  )
}

function Result({ verification, onRetry }: { verification: Verification; onRetry: () => void }) {
  if (verification.status === 'approved') {
    return (
      <p className="notice" role="status" data-status="approved">
        Your identity is verified{verification.country ? ` (${verification.country})` : ''}. Your P2P country
        comes from your document.
      </p>
    )
  }
  if (verification.status === 'review') {
    return (
      <p className="notice" role="status" data-status="review">
        Under review: a member of our compliance team checks your document and selfie. You can close this
        page; the result appears here.
      </p>
    )
  }
  return (
    <div role="status" data-status="rejected">
      <p className="error">We could not verify this document:</p>
      <ul>
        {verification.problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  )
}
