import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig } from './config.ts'

describe('configuration', () => {
  it('uses documented defaults when nothing is set', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      PORT: 8080,
      DATA_DIR: './data',
      SEED_DEMO: true,
      SESSION_IDLE_MINUTES: 30,
    })
    expect(config.DATABASE_URL).toBeUndefined()
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(8080)
  })

  it('stops with a message naming the variable and the expected form', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO: 'maybe' })
    expect(attempt).toThrow(ConfigError)
    try {
      attempt()
    } catch (error) {
      const message = (error as ConfigError).message
      expect(message).toContain('PORT="eighty"')
      expect(message).toContain('DATABASE_URL="mysql://x": expected postgres://')
      expect(message).toContain('SEED_DEMO="maybe": expected true or false')
    }
  })
})

describe('configuration docs', () => {
  it('documents every environment variable in the README table', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8')
    const missing = Object.keys(configSchema.shape).filter((key) => !readme.includes(`| \`${key}\` |`))
    expect(missing).toEqual([])
  })
})
