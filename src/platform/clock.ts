/**
 * @module Time as a dependency. Everything that reasons about time (session expiry, 24 h locks,
 * TOTP windows) takes a Clock, so tests move time instead of sleeping.
 */

export type Clock = { now(): Date }

export const systemClock: Clock = { now: () => new Date() }

/** A clock tests can move: `clock.advance(24 * 3600_000)`. */
export function createManualClock(start: Date = new Date('2026-01-01T00:00:00Z')) {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms
    },
    set(at: Date) {
      current = at.getTime()
    },
  }
}
export type ManualClock = ReturnType<typeof createManualClock>
