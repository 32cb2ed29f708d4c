import { describe, expect, it } from 'vitest'
import { clockState, parseSlaTargets, weeklyAttainment, weekStart } from './sla.ts'

const at = (iso: string) => new Date(iso)

describe('support SLA clocks', () => {
  it('reads SUPPORT_SLA_HOURS, keeping the defaults of priorities it does not name', () => {
    const targets = parseSlaTargets('urgent=2/6,low=48/240')
    expect(targets.urgent).toEqual({ firstResponseHours: 2, resolutionHours: 6 })
    expect(targets.low).toEqual({ firstResponseHours: 48, resolutionHours: 240 })
    expect(targets.normal).toEqual({ firstResponseHours: 8, resolutionHours: 72 })
  })

  it('warns in the last quarter of a clock, and calls it met or breached once it stops or runs out', () => {
    const start = at('2026-12-07T00:00:00Z')
    const due = at('2026-12-07T04:00:00Z')
    expect(clockState(start, due, null, at('2026-12-07T02:59:00Z'))).toBe('running')
    expect(clockState(start, due, null, at('2026-12-07T03:01:00Z'))).toBe('at_risk')
    expect(clockState(start, due, null, at('2026-12-07T04:01:00Z'))).toBe('breached')
    expect(clockState(start, due, at('2026-12-07T03:59:00Z'), at('2026-12-09T00:00:00Z'))).toBe('met')
    expect(clockState(start, due, at('2026-12-07T04:30:00Z'), at('2026-12-09T00:00:00Z'))).toBe('breached')
  })

  it('counts attainment by the Monday of the week a ticket was opened, leaving running clocks out', () => {
    expect(weekStart(at('2026-12-06T23:00:00Z')).toISOString().slice(0, 10)).toBe('2026-11-30')
    const ticket = (opened: string, answered: string | null) => ({
      created_at: at(opened),
      first_response_due_at: new Date(at(opened).getTime() + 4 * 3_600_000),
      first_response_at: answered ? at(answered) : null,
      resolution_due_at: new Date(at(opened).getTime() + 24 * 3_600_000),
      resolved_at: null,
    })
    const weeks = weeklyAttainment(
      [
        ticket('2026-11-30T08:00:00Z', '2026-11-30T09:00:00Z'),
        ticket('2026-12-01T08:00:00Z', '2026-12-01T20:00:00Z'),
        ticket('2026-12-07T09:00:00Z', null),
      ],
      at('2026-12-07T10:00:00Z'),
      2,
    )
    expect(weeks).toEqual([
      {
        week: '2026-11-30',
        tickets: 2,
        firstResponseMet: 1,
        firstResponseDecided: 2,
        resolutionMet: 0,
        resolutionDecided: 2,
      },
      {
        week: '2026-12-07',
        tickets: 1,
        firstResponseMet: 0,
        firstResponseDecided: 0,
        resolutionMet: 0,
        resolutionDecided: 0,
      },
    ])
  })
})
