/**
 * @module Beside the Merkle check on the proof-of-reserves page: checks the user's zero-knowledge batch proof in
 * this browser (zk-check.ts, bb.js wasm from our own server) against the hashes the published round records,
 * and shows the result, each named check and the time taken.
 */
import { useEffect, useState } from 'react'
import type { PorProof } from '../../../src/por/verify/index.ts'
import { checkZkBatch, type ZkBrowserResult } from './zk-check.ts'

export function ZkBatchCheck({ proof }: { proof: PorProof }) {
  const [result, setResult] = useState<ZkBrowserResult | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    setResult(null)
    setProblem(null)
    checkZkBatch(proof).then(
      (r) => live && setResult(r),
      (e: unknown) => live && setProblem(e instanceof Error ? e.message : String(e)),
    )
    return () => {
      live = false
    }
  }, [proof])

  return (
    <section className="stack" aria-label="Zero-knowledge batch proof" data-testid="zk-check">
      <h3>Zero-knowledge proof of your batch</h3>
      {problem !== null ? (
        <p className="notice" aria-live="polite" data-zk="unavailable">
          {/ 404/.test(problem)
            ? 'This round has no zero-knowledge proof.'
            : `The zero-knowledge proof could not be checked: ${problem}`}
        </p>
      ) : result === null ? (
        <p aria-live="polite" data-zk="checking">
          Checking your batch's zero-knowledge proof in your browser…
        </p>
      ) : (
        <>
          <p
            className={result.ok ? 'notice ok' : 'error'}
            aria-live="polite"
            data-zk={result.ok ? 'verified' : 'failed'}
          >
            {result.ok
              ? `Batch proof verified in your browser in ${Math.round(result.ms)} ms (proof check ${Math.round(result.proofMs ?? 0)} ms): every balance in your batch is in [0, 2^64) and its totals are chained into the round's published liabilities.`
              : `Batch proof FAILED (${result.failed?.name}): ${result.failed?.detail}`}
            {result.insecure
              ? ' Warning: this round was proved with an INSECURE test setup, which proves nothing.'
              : ''}
          </p>
          <ul className="stack" aria-label="Zero-knowledge checks">
            {result.checks.map((c) => (
              <li
                key={`${c.name}/${c.detail}`}
                className={c.ok ? 'ok' : 'error'}
                data-check={c.name}
                data-ok={c.ok}
              >
                {c.ok ? '✓' : '✗'} <strong>{c.name}</strong>: {c.detail}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
