import { describe, expect, it } from 'vitest'
import { drawSteps, LIVENESS, livenessReasons, type StepResult, timingTell } from './assess.ts'

const done = (step: StepResult['step']): StepResult => ({
  step,
  passed: true,
  frames: 5,
  faces: 5,
  crowded: 0,
  towards: step === 'centre' ? 0 : 3,
  against: 0,
  otherFace: 0,
  identicalPairs: 0,
  pairs: 4,
  timing: null,
  yawRange: 0.3,
})
const steps = ['centre', 'left', 'right'] as const
const results = steps.map(done)
const codesFor = (cameraLabel: string | null, acceptCameras: string[] = []) =>
  livenessReasons(steps, results, { cameraLabel, acceptCameras }).map((r) => r.code)

describe('the steps of a challenge', () => {
  it('start by looking at the camera, then turn left or right by one random bit each', () => {
    const drawn = drawSteps(() => new Uint8Array([0, 1, 2, 255]))
    expect(drawn).toEqual(['centre', 'left', 'right', 'left', 'right'])
    expect(drawn).toHaveLength(1 + LIVENESS.turns)
  })
})

describe('camera names', () => {
  it('flag virtual cameras, Chromium’s fake camera and a video file played as a camera', () => {
    for (const label of [
      'OBS Virtual Camera',
      'ManyCam Virtual Webcam',
      'Dummy video device (0x0000) (v4l2loopback)',
      'fake_device_0',
      '/tmp/bulwark-liveness-x/LIVE00001.y4m',
      'replay.mjpeg',
    ]) {
      expect(codesFor(label), label).toEqual(['FACE_LIVENESS_VIRTUAL_CAMERA'])
    }
  })

  it('leave built-in and USB cameras alone, and a camera whose exact name is accepted (tests only)', () => {
    for (const label of [
      'FaceTime HD Camera (Built-in)',
      'Integrated Camera (04f2:b6d9)',
      'USB2.0 HD UVC WebCam',
    ]) {
      expect(codesFor(label), label).toEqual([])
    }
    expect(codesFor(null)).toEqual([])
    expect(codesFor('fake_device_0', ['fake_device_0'])).toEqual([])
    expect(codesFor('fake_device_0', ['fake_device_1'])).toEqual(['FACE_LIVENESS_VIRTUAL_CAMERA'])
  })
})

describe('frame timestamps', () => {
  it('pass a live capture’s irregular pace and flag frames out of order, too fast or metronome-regular', () => {
    expect(timingTell([0, 372, 755, 1121, 1509])).toBeNull()
    expect(timingTell([0, 372, 300, 700])).toBe('unordered')
    expect(timingTell([0, 40, 80, 120])).toBe('fast')
    expect(timingTell([0, 400, 800, 1200, 1600])).toBe('regular')
  })
})

describe('repeated frames', () => {
  it('reject a check whose every frame was the same picture, and send a few repeats to review', () => {
    const still = results.map((r) => ({ ...r, identicalPairs: r.pairs }))
    const stillReasons = livenessReasons(steps, still, { cameraLabel: null, acceptCameras: [] })
    expect(stillReasons.map((r) => [r.code, r.severity])).toEqual([['FACE_LIVENESS_STILL', 'reject']])
    const repeats = results.map((r, i) => ({ ...r, identicalPairs: i === 0 ? 2 : 0 }))
    expect(
      livenessReasons(steps, repeats, { cameraLabel: null, acceptCameras: [] }).map((r) => r.code),
    ).toEqual(['FACE_LIVENESS_REPEATED_FRAMES'])
  })
})
