#!/usr/bin/env node
// The `bulwark` command. Bulwark's sources are TypeScript run directly by Node 24 (type stripping).
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `bulwark needs Node.js 24 or newer (this is ${process.version}). Run it through npm (npx bulwark …), which uses the pinned Node 24.\n`,
  )
  process.exit(2)
}
const { runMain } = await import('../src/cli/main.ts')
await runMain()
