// Prints each run's counts and the closing line CI reads: "total: N passed, N failed".
// A run whose report is missing (it crashed before writing one) counts as a failure.
import { existsSync, readFileSync } from 'node:fs'

let passed = 0
let failed = 0
for (const file of process.argv.slice(2)) {
  const name = file.split('/').pop()!.replace('.json', '')
  if (!existsSync(file)) {
    console.log(`${name}: no report (the run did not complete)`)
    failed++
    continue
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number
    numFailedTests: number
    numPendingTests: number
    numFailedTestSuites: number
  }
  console.log(
    `${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped, ${report.numFailedTestSuites} files failed`,
  )
  passed += report.numPassedTests
  failed += report.numFailedTests + report.numFailedTestSuites
}
console.log(`total: ${passed} passed, ${failed} failed`)
if (failed > 0 || passed === 0) process.exitCode = 1
