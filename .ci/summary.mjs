// Prints the runners' own counts as one line, "N passed, N failed", the last line of the output, and
// fails when no test ran or any failed. Arguments: vitest JSON reports (test-results/vitest.json when
// none is given) and summaries of the form {"passed": N, "failed": N} (npm run fuzz writes
// test-results/fuzz/summary.json), in any order; a file with vitest's `numTotalTests` is a report.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) files.push('test-results/vitest.json');
let passed = 0;
let failed = 0;
let skipped = 0;

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`No report at ${file}: ${error.message}`);
    failed += 1;
    return undefined;
  }
}

for (const file of files) {
  const report = read(file);
  if (!report) continue;
  if ('numTotalTests' in report) {
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  } else {
    passed += report.passed ?? 0;
    failed += report.failed ?? 0;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(passed > 0 && failed === 0 ? 0 : 1);
