/**
 * @module Small shared UI pieces: error banner, async button state, formatted time.
 */
import type { ReactNode } from 'react'
import { ApiError } from './api.ts'

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null
  const message =
    error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)
  const code = error instanceof ApiError ? error.code : undefined
  return (
    <p className="error" role="alert">
      {message}
      {code ? <code className="code"> {code}</code> : null}
    </p>
  )
}

export function Page({ title, children, intro }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      {intro ? <p className="intro">{intro}</p> : null}
      {children}
    </section>
  )
}

export const formatTime = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
