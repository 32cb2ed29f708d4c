/**
 * A browser for the account-protection attack replays: keeps its cookies (session, CSRF, device),
 * sends the CSRF header like the web app, and comes from a chosen user agent and IP address.
 */
import type { Response as Reply } from 'light-my-request'
import { signRequest } from '../../src/accounts/api-signature.ts'
import type { TestApp } from '../support/app.ts'

export const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0'
export const FIREFOX_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'

export function agent(t: TestApp, { userAgent = CHROME_LINUX, ip = '198.51.100.7' } = {}) {
  const jar = new Map<string, string>()
  async function request(method: string, url: string, payload?: unknown): Promise<Reply> {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await t.app.inject({
      method: method as 'GET',
      url,
      remoteAddress: ip,
      headers: {
        'user-agent': userAgent,
        ...(cookie ? { cookie } : {}),
        ...(jar.get('bulwark_csrf') ? { 'x-csrf-token': jar.get('bulwark_csrf')! } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    for (const c of response.cookies as Array<{ name: string; value: string }>) jar.set(c.name, c.value)
    return response
  }
  return {
    jar,
    get: (url: string) => request('GET', url),
    post: (url: string, body: unknown = {}) => request('POST', url, body),
    delete: (url: string) => request('DELETE', url),
  }
}
export type Agent = ReturnType<typeof agent>

/** A signed API-key request (GET /api/v1/account) from `ip`. */
export function apiKeyRequest(
  t: TestApp,
  key: { accessKey: string; secret: string },
  passphrase: string,
  ip = '198.51.100.7',
) {
  const timestamp = t.clock.now().toISOString()
  return t.app.inject({
    url: '/api/v1/account',
    remoteAddress: ip,
    headers: {
      'bw-access-key': key.accessKey,
      'bw-access-passphrase': passphrase,
      'bw-access-timestamp': timestamp,
      'bw-access-sign': signRequest(key.secret, {
        timestamp,
        method: 'GET',
        path: '/api/v1/account',
        body: '',
      }),
    },
  })
}
