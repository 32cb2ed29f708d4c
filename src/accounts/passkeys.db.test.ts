import { p256 } from '@noble/curves/nist.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { base64urlnopad } from '@scure/base'
import { isoCBOR } from '@simplewebauthn/server/helpers'
import type { Response as Reply } from 'light-my-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { withdrawalLock } from './index.ts'

let t: TestApp
const ORIGIN = 'http://localhost:8080'
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN })
})
afterAll(async () => {
  await t.close()
})

const b64u = (bytes: Uint8Array) => base64urlnopad.encode(bytes)
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const u32 = (n: number) => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])

/** A software WebAuthn authenticator (ES256, "none" attestation), as a browser's platform one would answer. */
function softwareAuthenticator(rpId = 'localhost', origin = ORIGIN) {
  const secretKey = p256.utils.randomSecretKey()
  const point = p256.Point.fromBytes(p256.getPublicKey(secretKey, false))
  const credentialId = crypto.getRandomValues(new Uint8Array(16))
  let counter = 0
  const rpIdHash = sha256(utf8ToBytes(rpId))
  const clientData = (type: string, challenge: string) =>
    utf8ToBytes(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  return {
    id: b64u(credentialId),
    register(options: { challenge: string }) {
      const x = point.toAffine().x
      const y = point.toAffine().y
      const toBytes = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
      const cose = isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, toBytes(x)],
          [-3, toBytes(y)],
        ]),
      )
      const authData = concat(
        rpIdHash,
        new Uint8Array([0x45]),
        u32(counter),
        new Uint8Array(16),
        new Uint8Array([0, credentialId.length]),
        credentialId,
        cose,
      )
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]) as never,
      )
      return {
        id: b64u(credentialId),
        rawId: b64u(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64u(clientData('webauthn.create', options.challenge)),
          attestationObject: b64u(attestationObject),
          transports: ['internal'],
        },
      }
    },
    assert(options: { challenge: string }) {
      counter++
      const authData = concat(rpIdHash, new Uint8Array([0x05]), u32(counter))
      const cd = clientData('webauthn.get', options.challenge)
      const signature = p256.sign(concat(authData, sha256(cd)), secretKey, { format: 'der' })
      return {
        id: b64u(credentialId),
        rawId: b64u(credentialId),
        type: 'public-key',
        clientExtensionResults: {},
        response: { clientDataJSON: b64u(cd), authenticatorData: b64u(authData), signature: b64u(signature) },
      }
    },
  }
}

type Session = Awaited<ReturnType<TestApp['createCustomer']>>['session']
const post = (session: Session, url: string, payload: unknown = {}): Promise<Reply> =>
  t.app.inject({ method: 'POST', url, headers: session.headers, payload: payload as object })

async function withPasskey() {
  const customer = await t.createCustomer('pk')
  const authenticator = softwareAuthenticator()
  const options = (await post(customer.session, '/api/accounts/passkeys/registration-options')).json()
  const registered = await post(customer.session, '/api/accounts/passkeys', {
    name: 'Laptop',
    response: authenticator.register(options),
  })
  expect(registered.statusCode).toBe(201)
  return { ...customer, authenticator }
}

describe('passkeys', () => {
  it('registers a passkey, alerts and locks withdrawals for 24 h', async () => {
    const { user, session } = await withPasskey()
    const list = (await t.app.inject({ url: '/api/accounts/passkeys', headers: session.headers })).json()
    expect(list.passkeys.map((p: { name: string }) => p.name)).toEqual(['Laptop'])
    const lock = await withdrawalLock({ db: t.db }, user.id, t.clock.now())
    expect(lock.reason).toBe('passkeys_changed')
  })

  it('signs in with a passkey as the second step, and refuses a reused challenge', async () => {
    const { email, authenticator } = await withPasskey()
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      headers: { 'user-agent': 'x' },
      payload: { email, password: 'test-password-long-enough' },
    })
    expect(first.json()).toMatchObject({ status: 'second_factor_required', methods: ['passkey'] })
    const device = (first.cookies as Array<{ name: string; value: string }>).find(
      (c) => c.name === 'bulwark_device',
    )!
    const headers = { 'user-agent': 'x', cookie: `bulwark_device=${device.value}` }
    const ticket = first.json().ticket
    const options = (
      await t.app.inject({
        method: 'POST',
        url: '/api/auth/signin/passkey-options',
        headers,
        payload: { ticket },
      })
    ).json()
    const assertion = authenticator.assert(options)
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin/second-factor',
      headers,
      payload: { ticket, passkeyResponse: assertion },
    })
    expect(ok.statusCode).toBe(200)
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      headers,
      payload: { email, password: 'test-password-long-enough' },
    })
    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin/second-factor',
      headers,
      payload: { ticket: again.json().ticket, passkeyResponse: assertion },
    })
    expect(replay.json().code).toBe('PASSKEY_CHALLENGE_INVALID')
  })

  it('confirms a sensitive action with a passkey, and refuses a signature from another key', async () => {
    const { session, authenticator } = await withPasskey()
    const address = '0x52908400098527886E0F7030069857D2E4169EE7'
    const options = (await post(session, '/api/accounts/passkeys/authentication-options')).json()
    const forged = softwareAuthenticator().assert(options)
    const refused = await post(session, '/api/accounts/whitelist', {
      network: 'ethereum',
      address,
      label: 'x',
      passkeyResponse: { ...forged, id: authenticator.id, rawId: authenticator.id },
    })
    expect(refused.json().code).toBe('SECOND_FACTOR_INVALID')
    const fresh = (await post(session, '/api/accounts/passkeys/authentication-options')).json()
    const added = await post(session, '/api/accounts/whitelist', {
      network: 'ethereum',
      address,
      label: 'cold',
      passkeyResponse: authenticator.assert(fresh),
    })
    expect(added.statusCode).toBe(201)
  })
})

describe('passwordless sign-in with a passkey', () => {
  it('signs in with a user-verifying passkey and no password, once per challenge', async () => {
    const { user, authenticator } = await withPasskey()
    const headers = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0' }
    const options = (await t.app.inject({ method: 'POST', url: '/api/auth/passkey/options', headers })).json()
    expect(options.userVerification).toBe('required')
    const assertion = authenticator.assert(options)
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/auth/passkey',
      headers,
      payload: { response: assertion },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().user.id).toBe(user.id)
    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/auth/passkey',
      headers,
      payload: { response: assertion },
    })
    expect(replay.json().code).toBe('PASSKEY_CHALLENGE_INVALID')
  })

  it('re-authenticates a signed-in session with a passkey assertion', async () => {
    const { session, authenticator } = await withPasskey()
    t.clock.advance(10 * 60_000)
    const stale = await post(session, '/api/accounts/passkeys/registration-options')
    expect(stale.json().code).toBe('REAUTH_REQUIRED')
    const options = (await post(session, '/api/accounts/passkeys/authentication-options')).json()
    const reauth = await post(session, '/api/auth/reauth', { passkeyResponse: authenticator.assert(options) })
    expect(reauth.json()).toMatchObject({ method: 'passkey' })
    // Re-authentication replaces the session (ASVS 7.2.4): continue with the cookies it set.
    const cookies = reauth.cookies as Array<{ name: string; value: string }>
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const fresh = { ...session, headers: { cookie, 'x-csrf-token': reauth.json().csrfToken } }
    expect((await post(session, '/api/accounts/passkeys/registration-options')).statusCode).toBe(401)
    expect((await post(fresh, '/api/accounts/passkeys/registration-options')).statusCode).toBe(200)
  })

  it('refuses an unknown credential and a signature by another key', async () => {
    const { authenticator } = await withPasskey()
    const options = (await t.app.inject({ method: 'POST', url: '/api/auth/passkey/options' })).json()
    const stranger = softwareAuthenticator().assert(options)
    expect(
      (
        await t.app.inject({ method: 'POST', url: '/api/auth/passkey', payload: { response: stranger } })
      ).json().code,
    ).toBe('SECOND_FACTOR_INVALID')
    const fresh = (await t.app.inject({ method: 'POST', url: '/api/auth/passkey/options' })).json()
    const forged = { ...softwareAuthenticator().assert(fresh), id: authenticator.id, rawId: authenticator.id }
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/auth/passkey',
      payload: { response: forged },
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('SECOND_FACTOR_INVALID')
  })
})
