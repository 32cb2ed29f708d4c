// Prints each run's counts and the closing line CI reads: "total: N passed, N failed".
import { readFileSync } from 'node:fs'

let passed = 0
let failed = 0
for (const file of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number }
  const name = file.split('/').pop()!.replace('.json', '')
  console.log(`${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`)
  passed += report.numPassedTests
  failed += report.numFailedTests
}
console.log(`total: ${passed} passed, ${failed} failed`)
if (failed > 0 || passed === 0) process.exitCode = 1
