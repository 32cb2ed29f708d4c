/**
 * @module A small Markdown renderer for documents the repository ships (SECURITY.md): headings,
 * paragraphs, bullet lists, tables, **bold**, `code` and [links](url). It builds React elements,
 * never HTML strings, so nothing in the document can inject markup.
 */
import type { ReactNode } from 'react'

function inline(text: string, key: string): ReactNode[] {
  const parts: ReactNode[] = []
  const pattern = /\*\*([^*]+)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g
  let last = 0
  let n = 0
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    const k = `${key}-${n++}`
    if (m[1] !== undefined) parts.push(<strong key={k}>{m[1]}</strong>)
    else if (m[2] !== undefined) parts.push(<code key={k}>{m[2]}</code>)
    else if (m[3] !== undefined && m[4] !== undefined)
      parts.push(
        /^(https?:\/\/|\/)/.test(m[4]) ? (
          <a key={k} href={m[4]}>
            {m[3]}
          </a>
        ) : (
          m[3]
        ),
      )
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  return parts
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())

/** The document as elements; `#` becomes `<h1>` only when `topLevel` (pages have their own title). */
export function Markdown({ source, skipTitle = false }: { source: string; skipTitle?: boolean }) {
  const lines = source.split(/\r?\n/)
  const out: ReactNode[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    const key = `b${i}`
    if (line.trim() === '') {
      i++
    } else if (/^#{1,4} /.test(line)) {
      const level = line.indexOf(' ')
      const text = line.slice(level + 1)
      i++
      if (level === 1 && skipTitle) continue
      const Tag = `h${Math.min(level + 1, 4)}` as 'h2'
      out.push(<Tag key={key}>{inline(text, key)}</Tag>)
    } else if (line.startsWith('|')) {
      const rows: string[][] = []
      while (i < lines.length && lines[i]!.startsWith('|')) {
        if (!/^\|[\s:|-]+\|$/.test(lines[i]!.trim())) rows.push(cells(lines[i]!))
        i++
      }
      const [head, ...body] = rows
      out.push(
        <div className="table-scroll" key={key}>
          <table>
            <thead>
              <tr>
                {head?.map((c, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a static document: its order never changes
                  <th key={j}>{inline(c, `${key}h${j}`)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((r, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a static document: its order never changes
                <tr key={j}>
                  {r.map((c, k) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: a static document: its order never changes
                    <td key={k}>{inline(c, `${key}r${j}c${k}`)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>,
      )
    } else if (/^- /.test(line)) {
      const items: string[] = []
      while (i < lines.length && (/^- /.test(lines[i]!) || /^ {2}\S/.test(lines[i]!))) {
        if (/^- /.test(lines[i]!)) items.push(lines[i]!.slice(2))
        else items[items.length - 1] += ` ${lines[i]!.trim()}`
        i++
      }
      out.push(
        <ul key={key}>
          {items.map((item, j) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a static document: its order never changes
            <li key={j}>{inline(item, `${key}-${j}`)}</li>
          ))}
        </ul>,
      )
    } else {
      const para: string[] = []
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,4} |\||- )/.test(lines[i]!))
        para.push(lines[i++]!)
      out.push(<p key={key}>{inline(para.join(' '), key)}</p>)
    }
  }
  return <>{out}</>
}
