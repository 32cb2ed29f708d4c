/**
 * scripts/ensure-system-packages.sh (npm's pretest and .ci/run) against a fake system: a PATH of
 * stubs, so the test decides what is installed, whether we are root and whether apt-get exists.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const script = path.join(import.meta.dirname, '../../scripts/ensure-system-packages.sh')
let dir: string

function fakeSystem({ uid, have, apt }: { uid: number; have: string[]; apt: boolean }) {
  dir = mkdtempSync(path.join(tmpdir(), 'bulwark-syspkg-'))
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`)
    chmodSync(path.join(dir, name), 0o755)
  }
  stub('id', `echo ${uid}`)
  for (const program of have.filter((p) => p !== 'postgresql')) stub(program, 'exit 0')
  if (have.includes('postgresql')) {
    mkdirSync(path.join(dir, 'pg', '16', 'bin'), { recursive: true })
    stub(path.join('pg', '16', 'bin', 'initdb'), 'exit 0')
  }
  if (apt) stub('apt-get', `echo "$*" >> "${dir}/apt.log"`)
  const result = spawnSync('/bin/sh', [script], {
    encoding: 'utf8',
    env: {
      PATH: dir,
      CHROMIUM_PATH: path.join(dir, have.includes('chromium') ? 'chromium' : 'no-chromium'),
      POSTGRES_LIB: path.join(dir, 'pg'),
    },
  })
  const aptLog = (() => {
    try {
      return readFileSync(path.join(dir, 'apt.log'), 'utf8')
    } catch {
      return ''
    }
  })()
  return { ...result, aptLog }
}

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('ensure-system-packages.sh', () => {
  it('says nothing and succeeds when every program is there', () => {
    const run = fakeSystem({
      uid: 1000,
      have: ['chromium', 'nats-server', 'dnstwist', 'postgresql'],
      apt: true,
    })
    expect(run.status).toBe(0)
    expect(run.stdout + run.stderr).toBe('')
    expect(run.aptLog).toBe('')
  })

  it('stops at once with the one command to run when it cannot install', () => {
    const run = fakeSystem({ uid: 1000, have: ['nats-server'], apt: true })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain(
      'sudo apt-get update && sudo apt-get install -y chromium dnstwist postgresql',
    )
    expect(run.aptLog).toBe('')
  })

  it('installs the missing ones with apt-get as root, after one quiet update', () => {
    const run = fakeSystem({ uid: 0, have: ['chromium', 'nats-server', 'postgresql'], apt: true })
    expect(run.status).toBe(0)
    expect(run.aptLog).toBe('update -qq\ninstall -y -qq dnstwist\n')
  })

  it('asks for the command as root too when there is no apt-get', () => {
    const run = fakeSystem({ uid: 0, have: ['chromium', 'dnstwist', 'postgresql'], apt: false })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('sudo apt-get install -y nats-server')
  })
})
