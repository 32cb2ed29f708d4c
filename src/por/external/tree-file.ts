/**
 * @module Streams an OKX v2 full-tree file from disk line by line, reporting each line's byte offset,
 * so trees of millions of lines are verified in constant memory (Node only; the browser verifies
 * trees held in memory).
 */
import { createReadStream } from 'node:fs'
import type { TreeSource } from './okx-v2.ts'

/** A tree file read from disk; positions are byte offsets. */
export function fileTreeSource(path: string): TreeSource {
  return {
    async *lines(from = 0) {
      let pos = from
      let line = 0
      let carry = Buffer.alloc(0)
      for await (const chunk of createReadStream(path, { start: from, highWaterMark: 1 << 20 })) {
        let buf = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer)
        let nl = buf.indexOf(0x0a)
        while (nl !== -1) {
          line++
          yield { text: buf.toString('utf8', 0, nl).replace(/\r$/, ''), line, pos }
          pos += nl + 1
          buf = buf.subarray(nl + 1)
          nl = buf.indexOf(0x0a)
        }
        carry = Buffer.from(buf)
      }
      if (carry.length > 0) yield { text: carry.toString('utf8').replace(/\r$/, ''), line: line + 1, pos }
    },
  }
}
