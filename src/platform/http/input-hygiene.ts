/**
 * @module Input hygiene for every route: no string in a request's body, query or path parameters
 * (values or keys) may carry a control character. NUL bytes reached PostgreSQL as 500s and C0/C1
 * controls and line separators let a caller forge log lines and mail headers. Tab, LF and CR are
 * allowed only in body fields a route declares multi-line (`config: { multilineFields: ['terms'] }`);
 * anything else is a 400 `INVALID_INPUT` naming the field. The check runs in each route's
 * preValidation right after authentication, before Zod validation, so it covers routes without a
 * schema too. `text()` is the same rule as a Zod schema, for contracts and non-HTTP inputs.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { z } from 'zod'
import { errors } from '../errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Body fields where tab, LF and CR are allowed (free text typed into a textarea): dotted paths
     * from the body's root, `*` for any key or array index (`notes.*.body`), a final `**` for
     * everything below a field (`typedData.**`).
     */
    multilineFields?: readonly string[]
  }
}

/** C0 controls, DEL, C1 controls and the Unicode line/paragraph separators. */
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/
/** The same without tab, LF and CR. */
const MULTI_LINE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/

/**
 * The first forbidden character of `value` as `U+XXXX`, or null when the string is clean.
 * @example controlCharacterIn('a\u0000b') // 'U+0000'
 */
export function controlCharacterIn(value: string, { multiline = false } = {}): string | null {
  const match = (multiline ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).exec(value)
  if (!match) return null
  return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}

export type TextOptions = { max: number; min?: number; multiline?: boolean }

/**
 * A Zod string with a length limit and no control characters (tab, LF, CR allowed when multiline).
 * @example const body = z.object({ displayName: text({ max: 80 }), note: text({ max: 4000, multiline: true }) })
 */
export function text({ max, min = 0, multiline = false }: TextOptions) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((value) => controlCharacterIn(value, { multiline }) === null, {
      message: multiline
        ? 'must not contain control characters (tab and line breaks are allowed)'
        : 'must not contain control characters or line breaks',
    })
}

type Where = 'body' | 'querystring' | 'params'

/** Depth beyond which a structure is not walked (the JSON parser and Zod limit real inputs well below). */
const MAX_DEPTH = 64

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return true
  // Fastify's query and params objects inherit from an empty null-prototype object.
  return Object.getPrototypeOf(proto) === null
}

/** Matches a field path against dotted patterns: `*` is one key or index, a final `**` any rest. */
function compile(patterns: readonly string[]): (path: readonly string[]) => boolean {
  const split = patterns.map((p) => p.split('.'))
  return (path) =>
    split.some((pattern) => {
      const rest = pattern[pattern.length - 1] === '**'
      const fixed = rest ? pattern.slice(0, -1) : pattern
      if (rest ? path.length <= fixed.length : path.length !== fixed.length) return false
      return fixed.every((s, i) => s === '*' || s === path[i])
    })
}

/**
 * The path and character of the first control character in `value` (keys included), or null.
 * Streams, buffers and other non-plain objects (raw uploads) are left to their route.
 */
export function findControlCharacter(
  value: unknown,
  isMultiline: (path: readonly string[]) => boolean = () => false,
): { path: string[]; character: string } | null {
  const walk = (v: unknown, path: string[], depth: number): { path: string[]; character: string } | null => {
    if (typeof v === 'string') {
      const character = controlCharacterIn(v, { multiline: path.length === 0 || isMultiline(path) })
      return character ? { path, character } : null
    }
    if (depth >= MAX_DEPTH || !isPlainContainer(v)) return null
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], [...path, String(i)], depth + 1)
        if (found) return found
      }
      return null
    }
    for (const [key, child] of Object.entries(v)) {
      const inKey = controlCharacterIn(key)
      if (inKey) return { path: [...path, key], character: inKey }
      const found = walk(child, [...path, key], depth + 1)
      if (found) return found
    }
    return null
  }
  return walk(value, [], 0)
}

/** A printable name for a field path: control characters in keys are shown as their code points. */
function fieldName(where: Where, path: readonly string[]): string {
  const shown = path.map((s) =>
    s.replace(
      /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
  )
  return [where === 'querystring' ? 'query' : where, ...shown].join('.').slice(0, 200)
}

function checkRequest(request: FastifyRequest, isMultiline: (path: readonly string[]) => boolean): void {
  const parts: [Where, unknown, (path: readonly string[]) => boolean][] = [
    ['params', request.params, () => false],
    ['querystring', request.query, () => false],
    // A raw text body (the root itself a string) is multi-line by nature.
    ['body', request.body, isMultiline],
  ]
  for (const [where, value, multiline] of parts) {
    const found = findControlCharacter(value, multiline)
    if (!found) continue
    const field = fieldName(where, found.path)
    throw errors.invalidInput(
      `The field ${field} contains a control character (${found.character}). Remove it and try again.`,
      { field, context: where, character: found.character },
    )
  }
}

/**
 * Adds the check to every route registered after this call, as a preValidation step right after the
 * authentication guards (so an anonymous caller still gets 401 first). Install after installAuth.
 */
export function installInputHygiene(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { multilineFields?: readonly string[] }
    const isMultiline = compile(config.multilineFields ?? [])
    const hygiene = async (request: FastifyRequest) => checkRequest(request, isMultiline)
    const steps = route.preValidation === undefined ? [] : [route.preValidation].flat()
    // Right after the authentication guards (functions carrying an `audience`, see auth.ts), before
    // any other step of the route that might read the input.
    let at = 0
    while (at < steps.length && typeof steps[at] === 'function' && 'audience' in (steps[at] as object)) at++
    route.preValidation = [...steps.slice(0, at), hygiene, ...steps.slice(at)] as NonNullable<
      RouteOptions['preValidation']
    >
  })
}
