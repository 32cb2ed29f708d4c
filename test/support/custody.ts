/**
 * @module Staff steps of the custody flow as an approver does them in the browser: read the
 * withdrawal's payload hash from the queue (what the approver saw), then approve that hash.
 */
import { expect } from 'vitest'
import type { TestApp, TestSession } from './app.ts'

/** Approves withdrawal `id` as `approver`; returns the withdrawal as the approve route answers it. */
export async function approveWithdrawal(t: TestApp, approver: TestSession, id: string) {
  const queue = await t.app.inject({
    method: 'GET',
    url: '/api/staff/custody/withdrawals',
    headers: approver.headers,
  })
  expect(queue.statusCode, queue.body).toBe(200)
  const item = queue.json().withdrawals.find((w: { id: string }) => w.id === id)
  expect(item, `withdrawal ${id} is in the approval queue`).toBeDefined()
  const approved = await t.app.inject({
    method: 'POST',
    url: `/api/staff/custody/withdrawals/${id}/approve`,
    headers: approver.headers,
    payload: { payloadHash: item.payloadHash },
  })
  expect(approved.statusCode, approved.body).toBe(200)
  return approved.json().withdrawal
}
