/**
 * @module Security education: the eight tips and six common scams, each with its own page.
 */
import { useEffect, useState } from 'react'
import { get } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, Page } from '../platform/ui.tsx'

type Lesson = {
  slug: string
  kind: 'tip' | 'scam'
  title: string
  summary: string
  howItWorks: string
  warningSigns: string[]
  whatBulwarkDoes: string
  whatToDo: string[]
}

export function LearnPage() {
  const [lessons, setLessons] = useState<Lesson[]>([])
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    get<{ lessons: Lesson[] }>('/api/accounts/education').then((r) => setLessons(r.lessons), setError)
  }, [])
  const section = (kind: Lesson['kind']) => (
    <ul className="cards">
      {lessons
        .filter((l) => l.kind === kind)
        .map((l) => (
          <li key={l.slug} className="card">
            <h3>
              <Link to={`/security/learn/${l.slug}`}>{l.title}</Link>
            </h3>
            <p>{l.summary}</p>
          </li>
        ))}
    </ul>
  )
  return (
    <Page
      title="Stay safe"
      intro="Eight habits that stop most account takeovers, and six scams to recognise."
    >
      <ErrorNote error={error} />
      <h2>Eight security tips</h2>
      {section('tip')}
      <h2>Six common scams</h2>
      {section('scam')}
    </Page>
  )
}

export function LessonPage({ slug }: { slug: string }) {
  const [lesson, setLesson] = useState<Lesson | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    get<Lesson>(`/api/accounts/education/${encodeURIComponent(slug)}`).then(setLesson, setError)
  }, [slug])
  if (!lesson) return <Page title="Stay safe">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  return (
    <Page title={lesson.title} intro={lesson.summary}>
      <p>
        <Link to="/security/learn">← All tips and scams</Link>
      </p>
      <h2>How it works</h2>
      <p>{lesson.howItWorks}</p>
      <h2>Warning signs</h2>
      <ul>
        {lesson.warningSigns.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      <h2>What Bulwark does</h2>
      <p>{lesson.whatBulwarkDoes}</p>
      <h2>What to do</h2>
      <ul>
        {lesson.whatToDo.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
    </Page>
  )
}
