import { defineConfig } from 'vitest/config'

// Two projects: pure units run isolated in parallel; "server" suites share one database engine per
// worker (see test/support/db.ts), so they run without per-file isolation to reuse it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'eval/**/*.test.ts'],
          exclude: ['src/**/*.db.test.ts', 'node_modules/**'],
          pool: 'forks',
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'server',
          include: ['src/**/*.db.test.ts', 'test/http/**/*.test.ts', 'test/attacks/**/*.test.ts'],
          pool: 'forks',
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
