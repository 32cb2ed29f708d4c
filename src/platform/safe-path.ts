/**
 * @module File paths built from names a user chose (a round id, a file name). Each name must be one
 * plain path component (no `/`, `\`, NUL, not `.` or `..`), and the resolved path must stay inside
 * its folder: a proof-of-reserves round named `..` once wrote its files outside the rounds folder.
 */
import path from 'node:path'
import { AppError } from './errors.ts'

/**
 * `root` joined with `names`, resolved, and checked to stay inside `root`.
 * @example resolveInside('/data/por/rounds', '2026-11', 'input') // '/data/por/rounds/2026-11/input'
 * @throws AppError PATH_OUTSIDE_FOLDER (400) for a name that is not a plain component or leaves `root`
 */
export function resolveInside(root: string, ...names: string[]): string {
  const base = path.resolve(root)
  for (const name of names) {
    if (name === '' || name === '.' || name === '..' || /[/\\\u0000]/.test(name)) throw outside(name)
  }
  const target = path.resolve(base, ...names)
  if (target !== base && !target.startsWith(base + path.sep)) throw outside(names.join('/'))
  return target
}

function outside(name: string): AppError {
  return new AppError(
    'PATH_OUTSIDE_FOLDER',
    400,
    `The name ${JSON.stringify(name.slice(0, 80))} is not a plain file name: use letters, digits, ".", "_" and "-".`,
  )
}
