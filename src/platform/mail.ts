/**
 * @module Outgoing email. With SMTP_URL set, mail goes through nodemailer to the operator's SMTP
 * server; without it (the demo default) each message is written to the `mail_outbox` table, which
 * staff can read on the Outbox page, and anyone too on a demo install: a database the demo seed
 * created (see settings.ts; never decided by the environment alone). Every message starts with the
 * recipient's anti-phishing code, looked up through `antiPhishingCodeFor`, so no code path can send
 * an email without it.
 */
import nodemailer from 'nodemailer'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { Db } from './db/index.ts'

export type MailMessage = {
  to: string
  subject: string
  text: string
  /** Extra `X-…` headers for the mail server's logs (e.g. X-Bulwark-Drill); SMTP only, the outbox has no headers. */
  headers?: Record<string, string>
}
export type SentMail = MailMessage & { transport: 'smtp' | 'outbox' }

export type Mailer = {
  /** Sends one message; resolves once the SMTP server accepted it (or the outbox row is written). */
  send(message: MailMessage): Promise<SentMail>
  /** 'smtp' when SMTP_URL is configured, else 'outbox'. */
  readonly transport: 'smtp' | 'outbox'
}

export type CreateMailerParameters = {
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>
  db: Db
  clock: Clock
  /** The recipient's anti-phishing code, or null when they have none (or no account). */
  antiPhishingCodeFor: (email: string) => Promise<string | null>
}

/** The first lines of every email: the anti-phishing code, or an invitation to set one. */
export function antiPhishingHeader(code: string | null): string {
  return code
    ? `Your Bulwark anti-phishing code: ${code}\nAn email without this code, or with another one, is not from us.`
    : 'Anti-phishing code: not set. Set one in Security center so you can tell our emails from fakes.'
}

/** Only `X-…` names, and values on one line, so no caller can inject another header. */
function extraHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => /^X-[A-Za-z0-9-]{1,60}$/.test(name))
      .map(([name, value]) => [name, value.replace(/[\r\n]+/g, ' ').slice(0, 200)]),
  )
}

/**
 * @example const mailer = createMailer({ config, db, clock, antiPhishingCodeFor })
 *          await mailer.send({ to: 'ana@example.com', subject: 'Confirm your email', text: '…' })
 */
export function createMailer({ config, db, clock, antiPhishingCodeFor }: CreateMailerParameters): Mailer {
  const transport = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : null
  return {
    transport: transport ? 'smtp' : 'outbox',
    async send(message) {
      const code = await antiPhishingCodeFor(message.to)
      const text = `${antiPhishingHeader(code)}\n\n${message.text}\n\n— Bulwark security\n`
      const subject = message.subject.replace(/[\r\n]+/g, ' ').slice(0, 200)
      if (transport) {
        await transport.sendMail({
          from: config.MAIL_FROM,
          to: message.to,
          subject,
          text,
          ...(message.headers ? { headers: extraHeaders(message.headers) } : {}),
        })
        return { to: message.to, subject, text, transport: 'smtp' }
      }
      await db
        .insertInto('mail_outbox')
        .values({ to_address: message.to, subject, text_body: text, sent_at: clock.now() })
        .execute()
      return { to: message.to, subject, text, transport: 'outbox' }
    },
  }
}
