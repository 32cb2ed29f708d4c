/**
 * ASVS 3.4.3: the CSP says `base-uri 'none'` (no page uses <base>). ASVS 4.1.1: every text body
 * names its charset: the audit export (CSV and JSON lines) and plain-text support attachments
 * were sent without one, leaving the browser to guess.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('content types and CSP', () => {
  it("sends a CSP with base-uri 'none' and object-src 'none', on the API docs too", async () => {
    const response = await t.app.inject({ url: '/api/auth/me' })
    const csp = String(response.headers['content-security-policy'])
    expect(csp).toContain("base-uri 'none'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain("base-uri 'self'")
    const docs = await t.app.inject({ url: '/docs/' })
    expect(docs.statusCode).toBe(200)
    expect(String(docs.headers['content-security-policy'])).toContain("base-uri 'none'")
  })

  it('sends the audit export as UTF-8 CSV and UTF-8 JSON lines', { timeout: 60_000 }, async () => {
    const auditor = await t.createStaff('auditor')
    const csv = await t.app.inject({ url: '/api/audit/export?format=csv', headers: auditor.session.headers })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8')
    const jsonl = await t.app.inject({
      url: '/api/audit/export?format=jsonl',
      headers: auditor.session.headers,
    })
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
  })

  it('sends a plain-text support attachment as text/plain; charset=utf-8', async () => {
    const { session } = await t.createCustomer('charset')
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/support/tickets',
      headers: session.headers,
      payload: {
        category: 'other',
        subject: 'Log attached',
        body: 'see the file',
        attachments: [{ fileName: 'log.txt', contentBase64: Buffer.from('Größe: 5 €\n').toString('base64') }],
      },
    })
    expect(opened.statusCode).toBe(201)
    const ticket = (
      await t.app.inject({ url: `/api/support/tickets/${opened.json().id}`, headers: session.headers })
    ).json()
    const [file] = ticket.messages[0].attachments
    const download = await t.app.inject({
      url: `/api/support/tickets/${opened.json().id}/attachments/${file.id}`,
      headers: session.headers,
    })
    expect(download.statusCode).toBe(200)
    expect(download.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(download.body).toBe('Größe: 5 €\n')
  })
})
