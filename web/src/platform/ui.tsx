/**
 * @module Small shared UI pieces: error and success notes, the state of an async action (and the
 * form and button that run one), data loaded when a page opens, labelled fields, tables, filter
 * bars, formatted time.
 */
import {
  Children,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type TableHTMLAttributes,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react'
import { ApiError, get } from './api.ts'
import { fieldErrors } from './fields.ts'

/**
 * An error in words a person can act on. The stable code stays in the response (and in
 * `data-code` for tests and support), never in the text. Validation errors for fields the form
 * shows next to them (`fields`) become a pointer to those fields; others are listed in plain words.
 */
export function ErrorNote({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null
  const code = error instanceof ApiError ? error.code : undefined
  const byField = fieldErrors(error)
  const elsewhere = Object.entries(byField).filter(([f]) => !fields.includes(f))
  const hasFieldList = error instanceof ApiError && Array.isArray(error.details?.fields)
  let message: ReactNode =
    error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)
  if (Object.keys(byField).length > 0 && elsewhere.length === 0) message = 'Check the highlighted fields.'
  else if (hasFieldList)
    message = (
      <>Some values are not accepted: {elsewhere.map(([f, m]) => `${humanField(f)}: ${m}`).join(' ')}</>
    )
  return (
    <p className="error" role="alert" data-code={code}>
      {message}
    </p>
  )
}

/** "paymentMethods" -> "Payment methods". */
const humanField = (field: string) => {
  const words = field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** The plain-words error of one field, placed right under it and tied to it for screen readers. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null
  return (
    <span className="field-error" id={id} role="alert">
      {message}
    </span>
  )
}

/**
 * A button for an action that cannot be undone: it opens a dialog saying what will happen, and
 * only "confirm" in that dialog runs `onConfirm`. Styled as destructive.
 */
export function ConfirmButton({
  label,
  title,
  consequence,
  confirmLabel,
  onConfirm,
  disabled = false,
  className = 'danger',
}: {
  label: ReactNode
  title: string
  consequence: ReactNode
  confirmLabel: string
  onConfirm: () => unknown
  disabled?: boolean
  className?: string
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        onClick={() => ref.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={ref} className="confirm" role="alertdialog" aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        <p>{consequence}</p>
        <div className="row">
          <button type="button" className="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              ref.current?.close()
              void onConfirm()
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  )
}

/** A success message, announced as a status; nothing while there is none. */
export function OkNote({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p className="ok" role="status">
      {message}
    </p>
  )
}

/**
 * Runs an async action, keeping its error and, when the action returns a string, that string as the
 * success message; `status` shows both. `handleSubmit(fn)` is a form's submit handler that runs `fn`.
 *
 * @example
 * const action = useAction()
 * <form onSubmit={action.handleSubmit(async () => (await post('/api/x')).message)}>{action.status}</form>
 */
/** Loads `url` when the page opens; `reload()` fetches it again after a change. */
export function useLoaded<T>(url: string): { data: T | null; reload: () => Promise<void> } {
  const [data, setData] = useState<T | null>(null)
  const reload = useCallback(() => get<T>(url).then(setData), [url])
  useEffect(() => {
    void reload()
  }, [reload])
  return { data, reload }
}

export function useAction() {
  const [error, setError] = useState<unknown>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    setMessage(null)
    try {
      const m = await fn()
      if (typeof m === 'string') setMessage(m)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }, [])
  const handleSubmit = (fn: () => Promise<unknown>) => (event: FormEvent) => {
    event.preventDefault()
    void run(fn)
  }
  const status: ReactNode = (
    <>
      <ErrorNote error={error} />
      <OkNote message={message} />
    </>
  )
  return { run, handleSubmit, busy, error, status }
}

export type Action = ReturnType<typeof useAction>

/** A narrow form that runs `onSubmit` through `action`, then shows the action's status and the submit button. */
export function ActionForm({
  action,
  onSubmit,
  submit,
  children,
}: {
  action: Action
  onSubmit: () => Promise<unknown>
  submit: ReactNode
  children: ReactNode
}) {
  return (
    <form className="stack narrow" onSubmit={action.handleSubmit(onSubmit)}>
      {children}
      {action.status}
      <button type="submit" disabled={action.busy}>
        {submit}
      </button>
    </form>
  )
}

/** A button that runs `onClick` through `action`; disabled while that action runs (or `disabled`). */
export function ActionButton({
  action,
  onClick,
  className,
  disabled = false,
  children,
}: {
  action: Action
  onClick: () => Promise<unknown>
  className?: string
  disabled?: boolean
  children: ReactNode
}) {
  return (
    <button
      type="button"
      className={className}
      disabled={action.busy || disabled}
      onClick={() => void action.run(onClick)}
    >
      {children}
    </button>
  )
}

export type FieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  label: ReactNode
  value: string
  onChange: (value: string) => void
  /** The field's error in plain words (see fieldErrors), shown under it. */
  error?: string | undefined
}

/** A labelled input; `onChange` receives the new text. Other props go to the `<input>`. */
export function Field({ label, onChange, error, ...input }: FieldProps) {
  const errorId = useId()
  return (
    <label>
      {label}
      <input
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldError id={errorId} message={error} />
    </label>
  )
}

/**
 * A table with one header row; an empty column name leaves its header cell blank (a column of
 * buttons). `empty` is shown as the only row when there are no rows, so an empty list says so.
 */
export function Table({
  columns,
  empty,
  children,
  ...table
}: TableHTMLAttributes<HTMLTableElement> & { columns: string[]; empty?: ReactNode }) {
  const none = empty !== undefined && Children.count(children) === 0
  return (
    <div className="table-scroll">
      <table {...table}>
        <thead>
          <tr>{columns.map((c) => (c ? <th key={c}>{c}</th> : <th key="" />))}</tr>
        </thead>
        <tbody>
          {none ? (
            <tr>
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          ) : (
            children
          )}
        </tbody>
      </table>
    </div>
  )
}

/** A row of filter fields with a "Filter" button; `onFilter` runs on submit, `after` follows the button. */
export function FilterBar({
  onFilter,
  after,
  children,
}: {
  onFilter: () => void
  after?: ReactNode
  children: ReactNode
}) {
  return (
    <form
      className="row filters"
      onSubmit={(e) => {
        e.preventDefault()
        onFilter()
      }}
    >
      {children}
      <button type="submit">Filter</button>
      {after}
    </form>
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
