import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { createRiskService } from './service.ts'

let t: TestApp
let analyst: { user: { id: string }; session: TestSession }
let auditor: TestSession

beforeAll(async () => {
  t = await createTestApp()
  analyst = await t.createStaff('risk_analyst')
  auditor = (await t.createStaff('auditor')).session
})
afterAll(async () => {
  await t.close()
})

const T0 = Date.UTC(2026, 5, 1)
const takeover = [
  { id: 'h1', at: T0, account: 'carol', type: 'signin', device: 'phone', ip: '10.0.0.1', country: 'DE' },
  {
    id: 'h2',
    at: T0 + 60_000,
    account: 'carol',
    type: 'withdrawal_requested',
    asset: 'USDT',
    amount: '100000000',
    valueUsd: 100,
    to: '0xhome',
    device: 'phone',
  },
  {
    id: 'x1',
    at: T0 + 86_400_000,
    account: 'carol',
    type: 'device_new',
    device: 'evil',
    ip: '172.16.0.9',
    country: 'BR',
  },
  { id: 'x2', at: T0 + 86_460_000, account: 'carol', type: 'password_changed', device: 'evil' },
  {
    id: 'x3',
    at: T0 + 86_520_000,
    account: 'carol',
    type: 'whitelist_changed',
    change: 'added',
    address: '0xdrop',
    device: 'evil',
  },
  {
    id: 'x4',
    at: T0 + 86_580_000,
    account: 'carol',
    type: 'withdrawal_requested',
    asset: 'USDT',
    amount: '9000000000',
    valueUsd: 9000,
    to: '0xdrop',
    device: 'evil',
  },
]

describe('risk HTTP API', () => {
  it('ingests a batch, decides each event in order, and does not score a repeated event twice', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/risk/events',
      headers: analyst.session.headers,
      payload: { events: takeover },
    })
    expect(r.statusCode).toBe(200)
    const body = r.json()
    expect(body.results.map((d: { eventId: string }) => d.eventId)).toEqual([
      'h1',
      'h2',
      'x1',
      'x2',
      'x3',
      'x4',
    ])
    expect(['review', 'block']).toContain(body.results[5].decision)
    expect(body.results[5].reasons.map((x: { code: string }) => x.code)).toContain('rule.takeover-chain')
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/risk/events',
      headers: analyst.session.headers,
      payload: { events: [takeover[5]] },
    })
    expect(again.json().results[0]).toEqual({ duplicate: true, eventId: 'x4' })
  })

  it('refuses an event that does not match the schema', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/risk/events',
      headers: analyst.session.headers,
      payload: {
        events: [{ id: 'bad', at: T0, type: 'withdrawal_requested', asset: 'USDT', amount: '-5', to: '0x' }],
      },
    })
    expect(r.statusCode).toBe(400)
  })

  it('shows the alert in the queue, the account timeline and the counterparty graph', async () => {
    const q = await t.app.inject({
      method: 'GET',
      url: '/api/risk/alerts?status=open&account=carol',
      headers: auditor.headers,
    })
    const alerts = q.json().alerts
    expect(alerts.map((a: { eventId: string }) => a.eventId)).toContain('x4')
    const tl = await t.app.inject({
      method: 'GET',
      url: '/api/risk/accounts/carol/timeline',
      headers: auditor.headers,
    })
    const events = tl.json().events
    expect(events[0].id).toBe('x4')
    expect(['review', 'block']).toContain(events[0].alert.decision)
    expect(events.at(-1)).toMatchObject({ id: 'h1', alert: null })
    const g = await t.app.inject({
      method: 'GET',
      url: '/api/risk/accounts/carol/graph',
      headers: auditor.headers,
    })
    const ids = g.json().counterparties.map((c: { id: string }) => c.id)
    expect(ids).toEqual(expect.arrayContaining(['0xhome', '0xdrop']))
  })

  it('runs a case from alert to a fraud label, audit-logging each step', async () => {
    const q = await t.app.inject({
      method: 'GET',
      url: '/api/risk/alerts?account=carol',
      headers: analyst.session.headers,
    })
    const alertId = q.json().alerts.find((a: { eventId: string }) => a.eventId === 'x4').id
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/risk/cases',
      headers: analyst.session.headers,
      payload: { account: 'carol', alertIds: [alertId] },
    })
    expect(opened.statusCode).toBe(200)
    const caseId = opened.json().id
    expect(opened.json().assignee).toBe(analyst.user.id)
    const note = await t.app.inject({
      method: 'POST',
      url: `/api/risk/cases/${caseId}/notes`,
      headers: analyst.session.headers,
      payload: { body: 'Customer confirmed by phone they did not do this.' },
    })
    expect(note.statusCode).toBe(200)
    const resolved = await t.app.inject({
      method: 'POST',
      url: `/api/risk/cases/${caseId}/resolve`,
      headers: analyst.session.headers,
      payload: { resolution: 'fraud' },
    })
    expect(resolved.statusCode).toBe(200)
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/risk/cases/${caseId}/resolve`,
      headers: analyst.session.headers,
      payload: { resolution: 'not_fraud' },
    })
    expect(again.json().code).toBe('RISK_CASE_RESOLVED')
    const c = await t.app.inject({
      method: 'GET',
      url: `/api/risk/cases/${caseId}`,
      headers: auditor.headers,
    })
    expect(c.json()).toMatchObject({
      status: 'resolved',
      resolution: 'fraud',
      alerts: [{ id: alertId, status: 'closed' }],
    })
    expect(c.json().notes[0].body).toMatch(/did not do this/)
    const labels = await t.app.inject({ method: 'GET', url: '/api/risk/labels', headers: auditor.headers })
    expect(labels.json().labels).toEqual([expect.objectContaining({ account: 'carol', label: 'fraud' })])
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', 'like', 'risk.%')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'risk.events_ingested',
        'risk.case_opened',
        'risk.case_noted',
        'risk.case_resolved',
      ]),
    )
  })

  it('refuses a case that links another account’s alert', async () => {
    const q = await t.app.inject({
      method: 'GET',
      url: '/api/risk/alerts?account=carol',
      headers: analyst.session.headers,
    })
    const alertId = q.json().alerts[0].id
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/risk/cases',
      headers: analyst.session.headers,
      payload: { account: 'dave', alertIds: [alertId] },
    })
    expect(r.json().code).toBe('RISK_ALERT_MISMATCH')
  })

  it('says which rules and models the running engine uses', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/risk/engine', headers: auditor.headers })
    expect(r.json().rulesVersion).toMatch(/^default-/)
    expect(r.json().models.behaviour).toMatch(/^behaviour-/)
  })

  it('rebuilds engine state from stored history after a restart', async () => {
    const restarted = createRiskService({ db: t.db, clock: t.clock })
    // the six ingested events, plus the staff sign-ins the platform streams to the engine itself
    const stored = await t.db.selectFrom('risk_events').select(['account']).execute()
    expect(stored.filter((e) => e.account === 'carol')).toHaveLength(6)
    expect(await restarted.warmUp(3650)).toBe(stored.length)
    expect(restarted.engine.stats().accounts).toBe(new Set(stored.map((e) => e.account)).size)
    // the restored history knows carol's destinations and devices again
    const slot = restarted.engine.store.find('carol')!
    expect(restarted.engine.store.remember(slot, 'counterparty', '0xdrop')).toBe(false)
    expect(restarted.engine.store.remember(slot, 'device', 'evil')).toBe(false)
    expect(restarted.engine.store.remember(slot, 'device', 'never-seen')).toBe(true)
  })

  it('backtests a candidate rule on stored history without touching the running engine', async () => {
    const withdrawals = takeover.filter((e) => e.type === 'withdrawal_requested').length
    const before = (
      await t.app.inject({ method: 'GET', url: '/api/risk/engine', headers: auditor.headers })
    ).json()
    const rules = {
      version: 'candidate-1',
      rules: [
        {
          id: 'any-withdrawal',
          events: ['withdrawal_requested'],
          when: { feature: 'amount', op: '>', value: 0 },
          action: 'review',
          score: 0.6,
          reason: 'withdrawal',
        },
      ],
    }
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/risk/backtest',
      headers: auditor.headers,
      payload: { rules, days: 365 },
    })
    expect(r.statusCode).toBe(200)
    expect(r.json().rules[0]).toMatchObject({
      rule: 'any-withdrawal',
      hits: withdrawals,
      accounts: 1,
      topAccounts: [{ account: 'carol', hits: withdrawals }],
    })
    const after = (
      await t.app.inject({ method: 'GET', url: '/api/risk/engine', headers: auditor.headers })
    ).json()
    expect(after.rulesVersion).toBe(before.rulesVersion)
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/risk/backtest',
      headers: auditor.headers,
      payload: { rules: { version: 'x', rules: [{ id: 'x' }] } },
    })
    expect(bad.json().code).toBe('RISK_RULES_INVALID')
  })

  it('enables a new rule version without a restart, keeps it after one, and audit-logs it', async () => {
    const current = (
      await t.app.inject({ method: 'GET', url: '/api/risk/rules', headers: auditor.headers })
    ).json()
    expect(current.version).toMatch(/^default-/)
    const document = {
      version: 'strict-1',
      rules: [
        {
          id: 'big',
          events: ['withdrawal_requested'],
          when: { feature: 'amount', op: '>=', value: 50 },
          action: 'block',
          score: 1,
          reason: 'Over 50',
        },
      ],
    }
    const denied = await t.app.inject({
      method: 'PUT',
      url: '/api/risk/rules',
      headers: auditor.headers,
      payload: { document },
    })
    expect(denied.statusCode).toBe(403)
    const r = await t.app.inject({
      method: 'PUT',
      url: '/api/risk/rules',
      headers: analyst.session.headers,
      payload: { document },
    })
    expect(r.json()).toEqual({ version: 'strict-1' })
    const again = await t.app.inject({
      method: 'PUT',
      url: '/api/risk/rules',
      headers: analyst.session.headers,
      payload: { document },
    })
    expect(again.json().code).toBe('RISK_RULES_VERSION_UNCHANGED')
    const d = await t.app.inject({
      method: 'POST',
      url: '/api/risk/events',
      headers: analyst.session.headers,
      payload: {
        events: [
          {
            id: 's1',
            at: T0 + 3 * 86_400_000,
            account: 'erin',
            type: 'withdrawal_requested',
            asset: 'USDT',
            amount: '1',
            valueUsd: 60,
            to: '0xa',
          },
        ],
      },
    })
    expect(d.json().results[0]).toMatchObject({ decision: 'block', rulesVersion: 'strict-1' })
    const restarted = createRiskService({ db: t.db, clock: t.clock })
    expect(await restarted.loadEnabledRules()).toBe('strict-1')
    const audit = await t.db
      .selectFrom('audit_log')
      .select('target')
      .where('action', '=', 'risk.rules_enabled')
      .execute()
    expect(audit.map((a) => a.target)).toEqual(['rules:strict-1'])
  })
})
