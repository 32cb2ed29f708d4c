/**
 * @module Support SLA clocks: per priority, hours to the first response and to resolution
 * (SUPPORT_SLA_HOURS). A clock is `met`, `breached`, `at_risk` (less than a quarter of its time
 * left: the breach warning) or `running`; weekly attainment counts the tickets opened that week
 * whose clock has stopped or run out.
 */
import type { TicketPriority } from '../tables.ts'

export type SlaTargets = Record<TicketPriority, { firstResponseHours: number; resolutionHours: number }>
export type ClockState = 'running' | 'at_risk' | 'met' | 'breached'

/**
 * Parses SUPPORT_SLA_HOURS (`urgent=1/8,high=4/24,…`); a priority not named keeps its default.
 * @example parseSlaTargets('urgent=1/8').urgent // { firstResponseHours: 1, resolutionHours: 8 }
 */
export function parseSlaTargets(text: string): SlaTargets {
  const targets: SlaTargets = {
    urgent: { firstResponseHours: 1, resolutionHours: 8 },
    high: { firstResponseHours: 4, resolutionHours: 24 },
    normal: { firstResponseHours: 8, resolutionHours: 72 },
    low: { firstResponseHours: 24, resolutionHours: 168 },
  }
  for (const pair of text.split(',').filter(Boolean)) {
    const [priority, hours] = pair.split('=') as [TicketPriority, string]
    const [first, resolve] = hours.split('/').map(Number) as [number, number]
    targets[priority] = { firstResponseHours: first, resolutionHours: resolve }
  }
  return targets
}

/** The state of one clock that started at `start`, is due at `due`, and stopped at `done` (or not). */
export function clockState(start: Date, due: Date, done: Date | null, now: Date): ClockState {
  if (done) return done <= due ? 'met' : 'breached'
  if (now > due) return 'breached'
  const left = due.getTime() - now.getTime()
  return left < (due.getTime() - start.getTime()) / 4 ? 'at_risk' : 'running'
}

export type WeekAttainment = {
  /** Monday of the week (UTC), YYYY-MM-DD. */
  week: string
  tickets: number
  firstResponseMet: number
  firstResponseDecided: number
  resolutionMet: number
  resolutionDecided: number
}

/** Monday 00:00 UTC of the week holding `at`. */
export function weekStart(at: Date): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
  const offset = (day.getUTCDay() + 6) % 7
  return new Date(day.getTime() - offset * 86_400_000)
}

type SlaTicket = {
  created_at: Date
  first_response_due_at: Date
  first_response_at: Date | null
  resolution_due_at: Date
  resolved_at: Date | null
}

/** Attainment per week for the `weeks` weeks up to `now`, oldest first; running clocks are left out. */
export function weeklyAttainment(tickets: SlaTicket[], now: Date, weeks: number): WeekAttainment[] {
  const last = weekStart(now).getTime()
  const rows: WeekAttainment[] = []
  for (let i = weeks - 1; i >= 0; i--) {
    const start = last - i * 7 * 86_400_000
    const inWeek = tickets.filter(
      (t) => t.created_at.getTime() >= start && t.created_at.getTime() < start + 7 * 86_400_000,
    )
    const row: WeekAttainment = {
      week: new Date(start).toISOString().slice(0, 10),
      tickets: inWeek.length,
      firstResponseMet: 0,
      firstResponseDecided: 0,
      resolutionMet: 0,
      resolutionDecided: 0,
    }
    for (const t of inWeek) {
      const first = clockState(t.created_at, t.first_response_due_at, t.first_response_at, now)
      if (first === 'met' || first === 'breached') row.firstResponseDecided++
      if (first === 'met') row.firstResponseMet++
      const resolution = clockState(t.created_at, t.resolution_due_at, t.resolved_at, now)
      if (resolution === 'met' || resolution === 'breached') row.resolutionDecided++
      if (resolution === 'met') row.resolutionMet++
    }
    rows.push(row)
  }
  return rows
}
