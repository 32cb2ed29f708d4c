import { describe, expect, it } from 'vitest'
import { totpCodeAt } from '../accounts/totp.ts'
import { DEMO_STAFF_TOTP_SECRET } from '../demo/seed.ts'
import { runCli } from './main.ts'

describe('bulwark demo totp', () => {
  it('prints the current authenticator code of the demo staff accounts', async () => {
    let out = ''
    const code = await runCli(['demo', 'totp', '--json'], {
      stdout: (t) => {
        out += t
      },
      stderr: () => {},
      env: {},
    })
    expect(code).toBe(0)
    const printed = JSON.parse(out) as { code: string; secret: string; at: string }
    expect(printed.secret).toBe(DEMO_STAFF_TOTP_SECRET)
    expect(printed.code).toBe(totpCodeAt(DEMO_STAFF_TOTP_SECRET, new Date(printed.at)))
  })
})
