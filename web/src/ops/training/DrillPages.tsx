/**
 * @module Where a phishing drill's links land (public, no sign-in, as a real lure would be): the
 * lure opens a page that says it was a drill and teaches what gave the email away; "report
 * phishing" opens a thank-you page. The token is in the URL fragment (never sent to the server in
 * the request line); the page posts it once to record the click or the report.
 */
import { useEffect, useState } from 'react'
import { useHashToken } from '../../accounts/common.tsx'
import { ApiError, post } from '../../platform/api.ts'
import { Page } from '../../platform/ui.tsx'

type Recorded = 'pending' | 'recorded' | 'invalid' | 'failed'

/** Posts the fragment's token to `url` once; what happened, for the page to say. */
function useRecord(url: string): Recorded {
  const token = useHashToken()
  const [state, setState] = useState<Recorded>(token ? 'pending' : 'invalid')
  useEffect(() => {
    if (!token) return
    post(url, { token })
      .then(() => setState('recorded'))
      .catch((error: unknown) =>
        setState(error instanceof ApiError && error.status === 404 ? 'invalid' : 'failed'),
      )
  }, [url, token])
  return state
}

function RecordNote({ state, what }: { state: Recorded; what: string }) {
  if (state === 'recorded') return <p role="status">Your {what} is recorded for the drill results.</p>
  if (state === 'invalid')
    return (
      <p role="status">
        This drill link is incomplete or unknown, so nothing was recorded. Open the link from the email again,
        whole.
      </p>
    )
  if (state === 'failed')
    return <p role="alert">Your {what} could not be recorded just now. Reload this page to try again.</p>
  return <p role="status">Recording your {what}…</p>
}

/** The lure's landing page: a short lesson, not a telling-off. */
export function DrillClickedPage() {
  const state = useRecord('/api/training/drills/click')
  return (
    <Page
      title="This was a phishing drill"
      intro="Nothing bad happened: the email was a Bulwark security exercise. A real attacker's link would now be asking for your password or a signature."
    >
      <RecordNote state={state} what="click" />
      <h2>What should have given it away</h2>
      <ul>
        <li>
          <strong>Urgency.</strong> “Before the end of the day”, “your mailbox is full”: pressure to act
          before you think is the oldest trick.
        </li>
        <li>
          <strong>A link to open a document or sign in.</strong> Bulwark never asks staff to sign in from an
          email link. Type the address you know, or use your bookmark.
        </li>
        <li>
          <strong>The link's real address.</strong> Hover over (or long-press) a link before opening it and
          read the domain from the right: <code>bulwark.example.evil.net</code> is not Bulwark.
        </li>
        <li>
          <strong>The anti-phishing code.</strong> It proves an email came through Bulwark's mail path, not
          that its request is legitimate: insiders and compromised accounts can send mail too.
        </li>
      </ul>
      <h2>Next time</h2>
      <p>
        Do not open the link. Use the <strong>report phishing</strong> link (or forward the email to the
        security team) and delete it. Reporting a real phish early protects everyone who received it.
      </p>
      <p>
        <a href="/staff/training">Go to your security training</a>
      </p>
    </Page>
  )
}

/** The "report phishing" landing page. */
export function DrillReportedPage() {
  const state = useRecord('/api/training/drills/report')
  return (
    <Page
      title="Thank you for reporting it"
      intro="Well spotted: this was a Bulwark phishing drill, and reporting it was exactly right."
    >
      <RecordNote state={state} what="report" />
      <p>
        When a real suspicious email arrives, do the same: report it before opening any link or attachment,
        then delete it. The security team can then warn everyone else who received it.
      </p>
      <p>
        <a href="/staff/training">Go to your security training</a>
      </p>
    </Page>
  )
}
