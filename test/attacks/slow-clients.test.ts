/**
 * Finding 17: a client that sent its headers and then stalled or trickled its body held the
 * connection for 30 s or more. The request timeout (HTTP_REQUEST_TIMEOUT_SECONDS) now closes such
 * connections, checked every second, and many of them do not keep a normal request from an answer.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

const REQUEST_TIMEOUT_MS = 2000
let t: TestApp
let port: number
beforeAll(async () => {
  t = await createTestApp({
    HTTP_REQUEST_TIMEOUT_SECONDS: '2',
    HTTP_HEADERS_TIMEOUT_SECONDS: '1',
    HTTP_KEEP_ALIVE_SECONDS: '1',
  })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as net.AddressInfo).port
})
afterAll(async () => {
  await t.close()
})

type Stalled = { socket: net.Socket; closedAfterMs: Promise<number>; received: () => string }

/** Opens a connection that sends complete headers promising a body, then `firstBytes` of it only. */
function openStalled(started: number, firstBytes = '{"email":'): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    let received = ''
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.write(
        'POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          `Content-Length: 1000\r\n\r\n${firstBytes}`,
        () => resolve({ socket, closedAfterMs, received: () => received }),
      )
    })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    const closedAfterMs = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)))
    socket.once('error', reject)
  })
}

describe('slow clients', () => {
  it('answers a normal request promptly while 200 connections stall their bodies, and closes those within the timeout', {
    timeout: 30_000,
  }, async () => {
    const started = Date.now()
    const stalled: Stalled[] = []
    try {
      for (let i = 0; i < 200; i++) stalled.push(await openStalled(started))
      const before = Date.now()
      const response = await fetch(`http://127.0.0.1:${port}/health`)
      expect(response.status).toBe(200)
      expect(Date.now() - before).toBeLessThan(1000)

      const closedAfter = await Promise.all(stalled.map((s) => s.closedAfterMs))
      // Closed by the timeout: not before it (they were served nothing), and within it plus one check.
      expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 500)
      expect(Math.max(...closedAfter)).toBeLessThan(REQUEST_TIMEOUT_MS + 2500)
      expect(stalled.every((s) => s.received().startsWith('HTTP/1.1 408'))).toBe(true)
    } finally {
      for (const s of stalled) s.socket.destroy()
    }
  })

  it('closes a connection that keeps trickling its body a byte at a time', { timeout: 30_000 }, async () => {
    const started = Date.now()
    const trickler = await openStalled(started, '')
    let sent = 0
    const timer = setInterval(() => {
      if (sent < 40 && !trickler.socket.destroyed) {
        trickler.socket.write(' ')
        sent++
      }
    }, 200)
    try {
      const closedAfter = await trickler.closedAfterMs
      expect(sent).toBeGreaterThan(5) // it was active, so an idle timeout alone would not have cut it
      expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 2500)
    } finally {
      clearInterval(timer)
      trickler.socket.destroy()
    }
  })

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_SECONDS', { timeout: 30_000 }, async () => {
    const started = Date.now()
    let received = ''
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    const closedAfter = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)))
    try {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
      const after = await closedAfter
      expect(received).toMatch(/^HTTP\/1\.1 200/)
      expect(after).toBeGreaterThanOrEqual(900)
      expect(after).toBeLessThan(3000)
    } finally {
      socket.destroy()
    }
  })
})
