/**
 * @module A real SMTP server in-process (smtp-server) that keeps what it receives, so tests assert
 * on the mail Bulwark actually sent through nodemailer.
 */
import { SMTPServer } from 'smtp-server'

export type ReceivedMail = { to: string[]; subject: string; text: string; raw: string }

function decodeQuotedPrintable(body: string): string {
  return body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

function parse(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const body = raw.slice(split + 4)
  const subject = /^Subject: (.*)$/im.exec(head)?.[1] ?? ''
  const qp = /^Content-Transfer-Encoding: quoted-printable/im.test(head)
  const b64 = /^Content-Transfer-Encoding: base64/im.test(head)
  const text = qp ? decodeQuotedPrintable(body) : b64 ? Buffer.from(body, 'base64').toString('utf8') : body
  return { to, subject, text: Buffer.from(text, 'latin1').toString('utf8'), raw }
}

export async function startSmtpServer() {
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push(
          parse(
            Buffer.concat(chunks).toString('latin1'),
            session.envelope.rcptTo.map((r) => r.address),
          ),
        )
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Mail sent to `to`, oldest first. */
    to(to: string) {
      return received.filter((m) => m.to.includes(to))
    },
    /**
     * The latest mail to `to` whose subject matches, waiting up to 5 s for it: some mail is sent
     * after the API has answered (so that answers do not reveal whether an account exists).
     */
    async last(to: string, subject: RegExp): Promise<ReceivedMail> {
      const deadline = Date.now() + 5000
      for (;;) {
        const found = received.filter((m) => m.to.includes(to) && subject.test(m.subject)).at(-1)
        if (found) return found
        if (Date.now() > deadline) {
          throw new Error(
            `no mail to ${to} matching ${subject}; got: ${received.map((m) => `${m.to} ${m.subject}`).join(' | ')}`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpServer>>
