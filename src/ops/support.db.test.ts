import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { totpCodeAt } from '../accounts/totp.ts'
import { p2pEscrow } from '../custody/index.ts'

let t: TestApp
let agent: { user: { id: string }; email: string; session: TestSession }

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  const json: unknown = response.headers['content-type']?.toString().startsWith('application/json')
    ? response.json()
    : {}
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: json as Record<string, any>, raw: response }
}

/** The latest staff answer mailed to `to` (security alerts are mailed in the background meanwhile). */
async function lastMail(to: string) {
  const row = await t.db
    .selectFrom('mail_outbox')
    .select(['subject', 'text_body'])
    .where('to_address', '=', to)
    .where('subject', 'like', '[Ticket #%] Re: %')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  return row
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex').toString(
  'base64',
)
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]).toString('base64')

beforeAll(async () => {
  t = await createTestApp()
  agent = await t.createStaff('support')
})
afterAll(async () => {
  await t.close()
})

describe('support desk', () => {
  it('lets a customer open a ticket with a screenshot, and refuses files by their content, not their name', async () => {
    const { session } = await t.createCustomer('ticket-opener')
    const opened = await call(session, 'POST', '/api/support/tickets', {
      category: 'funds',
      subject: 'Deposit not credited',
      body: 'My USDT deposit from yesterday is not in my balance.',
      sourcePage: '/p2p',
      attachments: [{ fileName: 'screenshot.png', contentBase64: PNG }],
    })
    expect(opened.status).toBe(201)
    const renamed = await call(session, 'POST', '/api/support/tickets', {
      category: 'other',
      subject: 'Look at this',
      body: 'see file',
      attachments: [{ fileName: 'photo.png', contentBase64: ELF }],
    })
    expect([renamed.status, renamed.body.code]).toEqual([415, 'ATTACHMENT_TYPE_NOT_ALLOWED'])
    const huge = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5 * 1024 * 1024)]).toString('base64')
    const tooLarge = await call(session, 'POST', '/api/support/tickets', {
      category: 'other',
      subject: 'Big file',
      body: 'see file',
      attachments: [{ fileName: 'big.pdf', contentBase64: huge }],
    })
    expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'ATTACHMENT_TOO_LARGE'])

    const ticket = await call(session, 'GET', `/api/support/tickets/${opened.body.id}`)
    expect(ticket.body.ticket).toMatchObject({ status: 'open', priority: 'high', category: 'funds' })
    const [file] = ticket.body.messages[0].attachments
    expect(file).toMatchObject({ fileName: 'screenshot.png', contentType: 'image/png' })
    const download = await call(
      session,
      'GET',
      `/api/support/tickets/${opened.body.id}/attachments/${file.id}`,
    )
    expect(download.raw.headers['content-type']).toBe('image/png')
    expect(download.raw.headers['x-content-type-options']).toBe('nosniff')
    expect(download.raw.rawPayload.toString('base64')).toBe(PNG)
  })

  it('hides internal notes from the customer, mails staff answers with the anti-phishing code, and takes replies by email', async () => {
    const { user, email, session } = await t.createCustomer('ticket-mail')
    expect((await call(session, 'POST', '/api/accounts/anti-phishing', { code: 'Owl7731' })).status).toBe(200)
    const { body } = await call(session, 'POST', '/api/support/tickets', {
      category: 'account',
      subject: 'Change my email',
      body: 'How do I change my email?',
    })
    await call(agent.session, 'POST', `/api/staff/support/tickets/${body.id}/replies`, {
      body: 'Customer verified by phone.',
      internal: true,
    })
    const answered = await call(agent.session, 'POST', `/api/staff/support/tickets/${body.id}/replies`, {
      body: 'Open Security, then Email.',
    })
    expect(answered.status).toBe(200)

    const seen = await call(session, 'GET', `/api/support/tickets/${body.id}`)
    expect(seen.body.ticket.status).toBe('waiting_customer')
    expect(seen.body.messages.map((m: { body: string }) => m.body)).toEqual([
      'How do I change my email?',
      'Open Security, then Email.',
    ])
    const staffView = await call(agent.session, 'GET', `/api/staff/support/tickets/${body.id}`)
    expect(staffView.body.messages.map((m: { kind: string }) => m.kind)).toEqual([
      'customer',
      'internal',
      'staff',
    ])
    expect(staffView.body.customer).toMatchObject({ id: user.id, email })
    expect(staffView.body.alerts.map((a: { kind: string }) => a.kind)).toContain('anti_phishing_changed')

    const mail = await lastMail(email)
    expect(mail.subject).toMatch(/^\[Ticket #\d+\] Re: Change my email$/)
    expect(mail.text_body).toContain('Your Bulwark anti-phishing code: Owl7731')
    expect(mail.text_body).not.toContain('verified by phone')
    const token = /Reply token: (\S+)/.exec(mail.text_body)![1]

    const stranger = await call(null, 'POST', '/api/support/email-replies', {
      from: 'someone@else.example',
      text: `Thanks!\n\nReply token: ${token}`,
    })
    expect([stranger.status, stranger.body.code]).toEqual([404, 'SUPPORT_REPLY_TOKEN_INVALID'])
    const tokenless = await call(null, 'POST', '/api/support/email-replies', { from: email, text: 'Thanks!' })
    expect([tokenless.status, tokenless.body.code]).toEqual([400, 'SUPPORT_REPLY_TOKEN_MISSING'])
    const reply = await call(null, 'POST', '/api/support/email-replies', {
      from: email,
      text: `Found it, thanks!\n\nOn Monday Bulwark wrote:\n> Open Security, then Email.\n> Reply token: ${token}`,
    })
    expect(reply.status).toBe(200)
    const after = await call(session, 'GET', `/api/support/tickets/${body.id}`)
    expect(after.body.ticket.status).toBe('open')
    expect(after.body.messages.at(-1)).toMatchObject({ body: 'Found it, thanks!', via: 'email' })
  })

  it("answers 404 for another customer's ticket", async () => {
    const owner = await t.createCustomer('ticket-owner')
    const other = await t.createCustomer('ticket-other')
    const { body } = await call(owner.session, 'POST', '/api/support/tickets', {
      category: 'other',
      subject: 'Private matter',
      body: 'text',
    })
    expect((await call(other.session, 'GET', `/api/support/tickets/${body.id}`)).status).toBe(404)
    expect(
      (await call(other.session, 'POST', `/api/support/tickets/${body.id}/replies`, { body: 'me too' }))
        .status,
    ).toBe(404)
  })

  it('runs SLA clocks by priority: a breach warning at the last quarter, a breach after the target, and weekly attainment', async () => {
    const { session } = await t.createCustomer('ticket-sla')
    const late = (
      await call(session, 'POST', '/api/support/tickets', {
        category: 'other',
        subject: 'Slow one',
        body: 'low priority question',
      })
    ).body.id
    const quick = (
      await call(session, 'POST', '/api/support/tickets', {
        category: 'security',
        subject: 'Fast one',
        body: 'high priority question',
      })
    ).body.id
    const clockOf = async (id: string) => {
      const response = await call(agent.session, 'GET', `/api/staff/support/tickets/${id}`)
      expect(response.status, JSON.stringify(response.body)).toBe(200)
      return response.body.ticket.sla
    }
    // Defaults: high = 4 h first response, low = 24 h. Sessions end after 30 idle minutes.
    t.clock.advance(3.5 * 3_600_000)
    agent.session = await t.signIn(agent.email)
    expect((await clockOf(quick)).firstResponse).toBe('at_risk')
    await call(agent.session, 'POST', `/api/staff/support/tickets/${quick}/replies`, {
      body: 'Looking into it.',
      resolve: true,
    })
    expect(await clockOf(quick)).toEqual({ firstResponse: 'met', resolution: 'met' })
    t.clock.advance(21 * 3_600_000)
    agent.session = await t.signIn(agent.email)
    expect((await clockOf(late)).firstResponse).toBe('breached')
    const breached = await call(agent.session, 'GET', '/api/staff/support/tickets?view=breached')
    expect(breached.body.tickets.map((x: { id: string }) => x.id)).toContain(late)
    expect(breached.body.tickets.map((x: { id: string }) => x.id)).not.toContain(quick)
    const weeks = (await call(agent.session, 'GET', '/api/staff/support/sla?weeks=2')).body.weeks
    const total = weeks.reduce(
      (
        s: { met: number; decided: number },
        w: { firstResponseMet: number; firstResponseDecided: number },
      ) => ({ met: s.met + w.firstResponseMet, decided: s.decided + w.firstResponseDecided }),
      { met: 0, decided: 0 },
    )
    expect(total.met).toBeGreaterThanOrEqual(1)
    expect(total.decided - total.met).toBeGreaterThanOrEqual(1)
  })

  it('assigns only to support staff, and answers with a macro', async () => {
    const { session } = await t.createCustomer('ticket-macro')
    const id = (
      await call(session, 'POST', '/api/support/tickets', {
        category: 'account',
        subject: 'Reset 2FA',
        body: 'lost my phone',
      })
    ).body.id
    const analyst = await t.createStaff('risk_analyst')
    const wrong = await call(agent.session, 'POST', `/api/staff/support/tickets/${id}/assign`, {
      assigneeId: analyst.user.id,
    })
    expect(wrong.body.code).toBe('SUPPORT_ASSIGNEE_INVALID')
    expect(
      (
        await call(agent.session, 'POST', `/api/staff/support/tickets/${id}/assign`, {
          assigneeId: agent.user.id,
        })
      ).status,
    ).toBe(200)
    // A new priority recomputes the targets from the ticket's opening: urgent answers within 1 h.
    const before = (await call(agent.session, 'GET', `/api/staff/support/tickets/${id}`)).body.ticket
    await call(agent.session, 'POST', `/api/staff/support/tickets/${id}/state`, { priority: 'urgent' })
    const after = (await call(agent.session, 'GET', `/api/staff/support/tickets/${id}`)).body.ticket
    expect(after.priority).toBe('urgent')
    expect(Date.parse(after.firstResponseDueAt) - Date.parse(before.firstResponseDueAt)).toBe(-7 * 3_600_000)
    expect(
      (await call(agent.session, 'GET', '/api/staff/support/tickets?view=mine')).body.tickets.map(
        (x: { id: string }) => x.id,
      ),
    ).toContain(id)
    const macro = await call(agent.session, 'POST', '/api/staff/support/macros', {
      title: 'Lost 2FA device',
      body: 'Use one of your recovery codes to sign in.',
    })
    expect(macro.status).toBe(201)
    await call(agent.session, 'POST', `/api/staff/support/tickets/${id}/replies`, { macroId: macro.body.id })
    const seen = await call(session, 'GET', `/api/support/tickets/${id}`)
    expect(seen.body.messages.at(-1).body).toBe('Use one of your recovery codes to sign in.')
    const log = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `ticket:${id}`)
      .orderBy('seq')
      .execute()
    expect(log.map((l) => l.action)).toEqual([
      'support.ticket_opened',
      'support.ticket_assigned',
      'support.ticket_updated',
      'support.staff_replied',
    ])
  })

  it('opens a frozen-account ticket when a customer presses "This wasn\'t me", and resolves it on unfreeze', async () => {
    const { user, session } = await t.createCustomer('ticket-frozen')
    await call(session, 'POST', '/api/accounts/anti-phishing', { code: 'Frz2201' })
    const alert = (await call(session, 'GET', '/api/accounts/alerts')).body.alerts[0]
    expect((await call(session, 'POST', `/api/accounts/alerts/${alert.id}/wasnt-me`)).status).toBe(200)
    const ticketOf = async () => {
      for (let i = 0; i < 50; i++) {
        const list = (await call(agent.session, 'GET', '/api/staff/support/tickets?view=open')).body.tickets
        const found = list.find(
          (x: { customerEmail: string; type: string }) =>
            x.type === 'frozen_account' && x.customerEmail.startsWith('ticket-frozen'),
        )
        if (found) return found
        await new Promise((r) => setTimeout(r, 20))
      }
      return null
    }
    const ticket = await ticketOf()
    expect(ticket).toMatchObject({ priority: 'urgent', status: 'open' })
    const mine = await call(session, 'GET', '/api/support/tickets')
    expect(mine.body.tickets.map((x: { type: string }) => x.type)).toContain('frozen_account')
    // A frozen account may still talk to support.
    expect(
      (await call(session, 'POST', `/api/support/tickets/${ticket.id}/replies`, { body: 'It was not me!' }))
        .status,
    ).toBe(200)
    await call(agent.session, 'POST', `/api/staff/accounts/${user.id}/unfreeze`, {
      note: 'verified by video call',
    })
    let status = ''
    for (let i = 0; i < 50 && status !== 'resolved'; i++) {
      status = (await call(agent.session, 'GET', `/api/staff/support/tickets/${ticket.id}`)).body.ticket
        .status
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(status).toBe('resolved')
  })

  it('opens a dispute ticket linked to the P2P order when a party appeals, and resolves it with the dispute', async () => {
    const officer = await t.createStaff('compliance_officer')
    const person = async (name: string, country: string) => {
      const c = await t.createCustomer(name)
      await call(c.session, 'POST', '/api/p2p/identity', { country })
      await call(officer.session, 'POST', `/api/p2p/staff/identities/${c.user.id}`, { decision: 'verify' })
      return c
    }
    const seller = await person('dispute-seller', 'DE')
    const buyer = await person('dispute-buyer', 'AT')
    const setup = await call(seller.session, 'POST', '/api/accounts/totp/setup', {})
    await call(seller.session, 'POST', '/api/accounts/totp/confirm', {
      code: totpCodeAt(setup.body.secret, t.clock.now()),
    })
    t.rememberTotp(seller.email, setup.body.secret)
    await t.db.transaction().execute((tx) =>
      p2pEscrow({ db: t.db, clock: t.clock }).deposit(tx, {
        owner: seller.user.id,
        asset: 'USDT',
        amount: 2_000_000_000n,
        ref: 'test',
        at: t.clock.now(),
      }),
    )
    t.clock.advance(24 * 3_600_000 + 60_000)
    const sellerSession = await t.signIn(seller.email)
    const buyerSession = await t.signIn(buyer.email)
    agent.session = await t.signIn(agent.email)
    const ad = await call(sellerSession, 'POST', '/api/p2p/ads', {
      side: 'sell',
      asset: 'USDT',
      fiat: 'EUR',
      priceType: 'fixed',
      fixedPrice: '0.95',
      minOrder: '10',
      maxOrder: '500',
      availableAmount: '300',
      paymentMethods: ['SEPA'],
      terms: 'Pay from your own account.',
      allowedCountries: [],
    })
    expect(ad.status).toBe(201)
    const order = (await call(buyerSession, 'POST', `/api/p2p/ads/${ad.body.ad.id}/orders`, { amount: '25' }))
      .body.order.id
    await call(buyerSession, 'POST', `/api/p2p/orders/${order}/paid`, {})
    t.clock.advance(15 * 60_000)
    expect(
      (await call(buyerSession, 'POST', `/api/p2p/orders/${order}/appeal`, { reason: 'seller silent' }))
        .status,
    ).toBe(200)
    let ticketId: string | undefined
    for (let i = 0; i < 50 && !ticketId; i++) {
      const list = (await call(agent.session, 'GET', '/api/staff/support/tickets?view=open')).body.tickets
      ticketId = list.find(
        (x: { type: string; customerEmail: string }) =>
          x.type === 'p2p_dispute' && x.customerEmail === buyer.email,
      )?.id
      await new Promise((r) => setTimeout(r, 20))
    }
    const detail = await call(agent.session, 'GET', `/api/staff/support/tickets/${ticketId}`)
    expect(detail.body.ticket.p2pOrderId).toBe(order)
    expect(detail.body.orders.find((o: { id: string }) => o.id === order)).toMatchObject({ disputed: true })
    const resolved = await call(agent.session, 'POST', `/api/p2p/staff/disputes/${order}`, {
      outcome: 'refund',
      note: 'no payment arrived',
    })
    expect(resolved.status).toBe(200)
    let status = ''
    for (let i = 0; i < 50 && status !== 'resolved'; i++) {
      status = (await call(agent.session, 'GET', `/api/staff/support/tickets/${ticketId}`)).body.ticket.status
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(status).toBe('resolved')
  })
})
