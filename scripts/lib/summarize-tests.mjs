// Reads vitest's JSON report and prints the closing line "N passed, N failed, N skipped".
// Exits 1 when a test failed, when no test ran, or when LOGSPHERE_REQUIRE_E2E=1 and a test was
// skipped (a required real-component test that could not run).
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
const skipped = [];
for (const file of report.testResults) {
  for (const test of file.assertionResults) {
    if (test.status === 'passed') passed++;
    else if (test.status === 'failed') failed++;
    else skipped.push(`${file.name.replace(process.cwd() + '/', '')}: ${test.fullName}`);
  }
  // A file that failed to load has no assertions but counts as a failure.
  if (file.status === 'failed' && file.assertionResults.length === 0) failed++;
}
const required = process.env.LOGSPHERE_REQUIRE_E2E === '1';
if (skipped.length > 0) {
  console.log(`${required ? 'Required tests were skipped' : 'Skipped'}:\n  ${skipped.join('\n  ')}`);
}
console.log(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || (required && skipped.length > 0) ? 1 : 0);
