// Reads vitest's JSON report and prints the failed tests by name and the closing line
// "N passed, N failed, N skipped". Exits 1 when a test failed, when no test ran, or when
// LOGSPHERE_REQUIRE_E2E=1 and a test was skipped (a required real-component test that could not
// run). With LOGSPHERE_TEST_SUMMARY set to a file, what it prints is also appended there, under
// the label given as the second argument: .ci/run prints that file last, so a failure of the
// first run is not scrolled away by the second.
import { appendFileSync, readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
const skipped = [];
const failures = [];
for (const file of report.testResults) {
  for (const test of file.assertionResults) {
    if (test.status === 'passed') passed++;
    else if (test.status === 'failed') {
      failed++;
      // The assertion's first line, without vitest's colours, says what went wrong.
      const why = (test.failureMessages?.[0] ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n')[0].slice(0, 400);
      failures.push(`${file.name.replace(process.cwd() + '/', '')}: ${test.fullName}\n    ${why}`);
    } else skipped.push(`${file.name.replace(process.cwd() + '/', '')}: ${test.fullName}`);
  }
  // A file that failed to load has no assertions but counts as a failure.
  if (file.status === 'failed' && file.assertionResults.length === 0) {
    failed++;
    failures.push(`${file.name.replace(process.cwd() + '/', '')}: did not load: ${file.message ?? ''}`);
  }
}
const required = process.env.LOGSPHERE_REQUIRE_E2E === '1';
const lines = [];
if (failures.length > 0) lines.push(`Failed:\n  ${failures.join('\n  ')}`);
if (skipped.length > 0) lines.push(`${required ? 'Required tests were skipped' : 'Skipped'}:\n  ${skipped.join('\n  ')}`);
lines.push(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
console.log(lines.join('\n'));
const summary = process.env.LOGSPHERE_TEST_SUMMARY;
if (summary) appendFileSync(summary, `${process.argv[3] ?? 'tests'}:\n${lines.join('\n')}\n`);
process.exit(failed > 0 || passed === 0 || (required && skipped.length > 0) ? 1 : 0);
