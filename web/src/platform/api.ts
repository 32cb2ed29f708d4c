/**
 * @module The browser's API client: JSON in and out, the CSRF header on every state change, and
 * errors as ApiError carrying the server's stable code.
 */

export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?bulwark_csrf=([^;]+)/)
  return match ? decodeURIComponent(match[1]!) : ''
}

export async function api<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken()
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  const data = text ? (JSON.parse(text) as Record<string, unknown>) : {}
  if (!response.ok) {
    throw new ApiError(
      response.status,
      String(data.code ?? 'ERROR'),
      String(data.message ?? response.statusText),
      data.details as Record<string, unknown> | undefined,
    )
  }
  return data as T
}

/** The query string of a filter form: trimmed values, blank ones left out. */
export function filterParams(filter: Record<string, string>): URLSearchParams {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(filter)) if (v.trim()) params.set(k, v.trim())
  return params
}

export const get = <T>(url: string) => api<T>('GET', url)
export const post = <T>(url: string, body: unknown = {}) => api<T>('POST', url, body)
export const put = <T>(url: string, body: unknown) => api<T>('PUT', url, body)
export const patch = <T>(url: string, body: unknown) => api<T>('PATCH', url, body)
export const del = <T>(url: string) => api<T>('DELETE', url)
