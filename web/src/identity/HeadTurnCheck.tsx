/**
 * @module The head-turn liveness check on /verify (issue #19): the server draws a random order of
 * head turns; this page shows each prompt for a few seconds, takes small JPEG frames from the
 * camera at an irregular pace, sends each step's frames in order and shows the server's answer per
 * step. The page decides nothing: the verification names the check and the server reads its own
 * results (src/identity/liveness/). Shown only when the exchange compares faces (IDENTITY_FACES).
 */
import { useEffect, useRef, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { ErrorNote } from '../platform/ui.tsx'

type Step = 'centre' | 'left' | 'right'
type Challenge = { id: string; steps: Step[]; answered: number; expiresAt: string }
type Answer = {
  index: number
  step: Step
  passed: boolean
  message: string
  result: 'passed' | 'failed' | null
}

/** How long each prompt shows; the frames of a step are taken within it. */
export const STEP_MS = 3000
/** Frames per step (the server takes 3-8) and the pause between them: ~380 ms, ±60 ms at random. */
const FRAMES_PER_STEP = 7
const FIRST_FRAME_MS = 150
const FRAME_GAP_MS = 380
const FRAME_JITTER_MS = 60
/** Longest side of a frame: enough for the face mesh, a few tens of kB per JPEG. */
const FRAME_SIDE = 480

const PROMPT: Record<Step, string> = {
  centre: 'Look straight at the camera',
  left: 'Turn your head to your left',
  right: 'Turn your head to your right',
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The video's current picture as a JPEG (base64), unmirrored, at most FRAME_SIDE on its longest side. */
async function grab(video: HTMLVideoElement, canvas: HTMLCanvasElement): Promise<string> {
  const scale = Math.min(1, FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight))
  canvas.width = Math.round(video.videoWidth * scale)
  canvas.height = Math.round(video.videoHeight * scale)
  canvas.getContext('2d')!.drawImage(video, 0, 0, canvas.width, canvas.height)
  const url = canvas.toDataURL('image/jpeg', 0.85)
  return url.slice(url.indexOf(',') + 1)
}

async function firstFrame(video: HTMLVideoElement): Promise<void> {
  if (video.readyState >= 2 && video.videoWidth > 0) return
  await new Promise<void>((resolve) => video.addEventListener('loadeddata', () => resolve(), { once: true }))
}

/**
 * The check. `onFinished` receives the id of a finished check (passed or failed: the server
 * weighs it), or null when a new one starts.
 */
export function HeadTurnCheck({ onFinished }: { onFinished: (challengeId: string | null) => void }) {
  const video = useRef<HTMLVideoElement>(null)
  const canvas = useRef<HTMLCanvasElement>(null)
  const stream = useRef<MediaStream | null>(null)
  const [state, setState] = useState<'idle' | 'running' | 'checking' | 'passed' | 'failed'>('idle')
  const [prompt, setPrompt] = useState<string | null>(null)
  const [steps, setSteps] = useState<Step[]>([])
  const [answers, setAnswers] = useState<Answer[]>([])
  const [error, setError] = useState<unknown>(null)

  const stop = () => {
    for (const track of stream.current?.getTracks() ?? []) track.stop()
    stream.current = null
  }
  // The camera is released when the page is left mid-check.
  useEffect(
    () => () => {
      for (const track of stream.current?.getTracks() ?? []) track.stop()
    },
    [],
  )

  async function start() {
    setError(null)
    setAnswers([])
    onFinished(null)
    setState('running')
    try {
      // A check started and not yet begun (a reloaded page) is resumed; otherwise a new one is drawn.
      const open = await get<{ challenge: Challenge | null }>('/api/identity/liveness')
      const challenge =
        open.challenge ??
        (await post<{ challenge: Challenge }>('/api/identity/liveness/challenges')).challenge
      setSteps(challenge.steps)
      const media = await navigator.mediaDevices
        .getUserMedia({ video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } } })
        .catch(() => {
          throw new Error(
            'The camera could not be opened. Allow this page to use your camera, or send your verification without the check (a person then reviews it).',
          )
        })
      stream.current = media
      const cameraLabel = media.getVideoTracks()[0]?.label.slice(0, 200) ?? ''
      const v = video.current!
      v.srcObject = media
      await v.play()
      await firstFrame(v)
      const t0 = performance.now()
      // Steps are sent in order while the next prompt already shows; answers arrive as they come.
      let sending: Promise<Answer | null> = Promise.resolve(null)
      for (const [index, step] of challenge.steps.entries()) {
        setPrompt(PROMPT[step])
        const stepStart = t0 + index * STEP_MS
        const frames: Array<{ data: string; at: number }> = []
        let next = stepStart + FIRST_FRAME_MS
        for (let i = 0; i < FRAMES_PER_STEP; i++) {
          await sleep(Math.max(0, next - performance.now()))
          frames.push({ data: await grab(v, canvas.current!), at: Math.round(performance.now() - t0) })
          next += FRAME_GAP_MS + Math.round((Math.random() * 2 - 1) * FRAME_JITTER_MS)
        }
        await sleep(Math.max(0, stepStart + STEP_MS - performance.now()))
        const previous = sending
        sending = previous.then(async () => {
          const { answer } = await post<{ answer: Answer }>(
            `/api/identity/liveness/challenges/${challenge.id}/steps/${index}`,
            { frames, ...(cameraLabel ? { cameraLabel } : {}) },
          )
          setAnswers((list) => [...list, answer])
          return answer
        })
      }
      setPrompt(null)
      stop()
      setState('checking')
      const last = await sending
      setState(last?.result === 'passed' ? 'passed' : 'failed')
      onFinished(challenge.id)
    } catch (e) {
      stop()
      setPrompt(null)
      setError(e)
      setState('idle')
    }
  }

  const running = state === 'running' || state === 'checking'
  return (
    <div className="head-turn-check" data-state={state}>
      <p className="hint">
        Proves a live person is in front of the camera: we ask you to look at the camera, then to turn your
        head left or right in a random order, {STEP_MS / 1000} seconds each. Frames from your camera are
        checked on this exchange's servers and kept only as long as your photos.
      </p>
      <div style={{ position: 'relative', maxWidth: 320 }}>
        <video
          ref={video}
          muted
          playsInline
          aria-label="Your camera"
          style={{ width: '100%', transform: 'scaleX(-1)', display: state === 'running' ? 'block' : 'none' }}
        />
      </div>
      <canvas ref={canvas} hidden />
      {prompt ? (
        <p className="notice" role="status" aria-live="assertive" data-prompt>
          {prompt}
        </p>
      ) : null}
      {state === 'checking' ? <p role="status">Checking the last steps…</p> : null}
      {answers.length > 0 ? (
        <ol aria-label="Head-turn check steps">
          {answers.map((a) => (
            <li key={a.index} data-passed={a.passed}>
              {PROMPT[steps[a.index] ?? a.step]}: {a.message}
            </li>
          ))}
        </ol>
      ) : null}
      {state === 'passed' ? (
        <p className="notice" role="status" data-liveness="passed">
          Head-turn check done.
        </p>
      ) : null}
      {state === 'failed' ? (
        <p className="error" role="status" data-liveness="failed">
          The head-turn check did not succeed. Do it again, or send your verification as it is: a person will
          review it.
        </p>
      ) : null}
      <ErrorNote error={error} />
      {state === 'passed' ? null : (
        <button type="button" onClick={() => void start()} disabled={running}>
          {running
            ? 'Follow the prompts…'
            : state === 'failed'
              ? 'Do the check again'
              : 'Start the head-turn check'}
        </button>
      )}
    </div>
  )
}
