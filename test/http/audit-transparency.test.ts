/**
 * The audit log's transparency routes: a public signed head and key, and staff-only inclusion and
 * consistency proofs that verify with the RFC 9162 algorithms against signed heads.
 */
import { hexToBytes } from '@noble/hashes/utils.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendAudit } from '../../src/platform/audit.ts'
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/platform/audit-log/merkle.ts'
import { type SignedTreeHead, verifyTreeHead } from '../../src/platform/audit-log/tree-head.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

const KEY = '5b'.repeat(32)
let t: TestApp

beforeAll(async () => {
  t = await createTestApp({ AUDIT_SIGNING_KEY: KEY })
})
afterAll(async () => {
  await t.close()
})

async function append(n: number) {
  for (let i = 0; i < n; i++) {
    await appendAudit(t.db, { actor: 'system', action: 'test.entry', target: `thing:${i}`, details: { i } })
  }
}

describe('audit transparency routes', () => {
  it('publishes a signed head anyone can check against the published key', async () => {
    await append(3)
    const key = await t.app.inject({ url: '/api/audit/public-key' })
    expect(key.statusCode).toBe(200)
    const { publicKey } = key.json()
    const response = await t.app.inject({ url: '/api/audit/head' })
    expect(response.statusCode).toBe(200)
    const head: SignedTreeHead = response.json()
    expect(head.size).toBeGreaterThanOrEqual(3)
    expect(verifyTreeHead(head, publicKey)).toBe(true)
    expect(verifyTreeHead({ ...head, size: head.size + 1 }, publicKey)).toBe(false)
    expect(verifyTreeHead(head, '00'.repeat(32))).toBe(false)
  })

  it('keeps inclusion and consistency proofs to staff who may read the log', async () => {
    expect((await t.app.inject({ url: '/api/audit/inclusion?seq=1' })).statusCode).toBe(401)
    const support = await t.createStaff('support')
    const forbidden = await t.app.inject({
      url: '/api/audit/consistency?from=1',
      headers: support.session.headers,
    })
    expect(forbidden.statusCode).toBe(403)
  })

  it('proves that an entry is in the signed tree', async () => {
    const auditor = await t.createStaff('auditor')
    const head: SignedTreeHead = (await t.app.inject({ url: '/api/audit/head' })).json()
    const response = await t.app.inject({
      url: `/api/audit/inclusion?seq=2&size=${head.size}`,
      headers: auditor.session.headers,
    })
    expect(response.statusCode).toBe(200)
    const proof = response.json()
    expect(proof.root).toBe(head.root)
    // The verifier recomputes the leaf hash from the entry's canonical bytes itself.
    const leaf = leafHash(new TextEncoder().encode(proof.leaf))
    const path = proof.proof.map((h: string) => hexToBytes(h))
    expect(verifyInclusion(leaf, 1, head.size, path, hexToBytes(head.root))).toBe(true)
    expect(verifyInclusion(leaf, 2, head.size, path, hexToBytes(head.root))).toBe(false)

    const outside = await t.app.inject({
      url: `/api/audit/inclusion?seq=${head.size + 1000}`,
      headers: auditor.session.headers,
    })
    expect(outside.json()).toMatchObject({ code: 'AUDIT_ENTRY_OUT_OF_RANGE' })
  })

  it('proves that the log only grew between two signed heads', async () => {
    const auditor = await t.createStaff('auditor')
    const old: SignedTreeHead = (await t.app.inject({ url: '/api/audit/head' })).json()
    await append(4)
    const response = await t.app.inject({
      url: `/api/audit/consistency?from=${old.size}`,
      headers: auditor.session.headers,
    })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(verifyTreeHead(body.head, old.publicKey)).toBe(true)
    expect(body.to).toBe(body.head.size)
    expect(body.to).toBeGreaterThan(old.size)
    const proof = body.proof.map((h: string) => hexToBytes(h))
    const oldRoot = hexToBytes(old.root)
    const newRoot = hexToBytes(body.head.root)
    expect(verifyConsistency(old.size, body.to, oldRoot, newRoot, proof)).toBe(true)
    expect(verifyConsistency(old.size, body.to, newRoot, newRoot, proof)).toBe(false)

    const since = await t.app.inject({
      method: 'POST',
      url: '/api/audit/verify-since',
      headers: auditor.session.headers,
      payload: { head: old },
    })
    expect(since.json()).toMatchObject({ consistent: true, from: old.size })
    const altered = await t.app.inject({
      method: 'POST',
      url: '/api/audit/verify-since',
      headers: auditor.session.headers,
      payload: { head: { ...old, size: old.size - 1 } },
    })
    expect(altered.json()).toMatchObject({ consistent: false, problem: 'signature' })

    const beyond = await t.app.inject({
      url: `/api/audit/consistency?from=1&to=${body.to + 100}`,
      headers: auditor.session.headers,
    })
    expect(beyond.json()).toMatchObject({ code: 'AUDIT_TREE_SIZE_OUT_OF_RANGE' })
  })
})
