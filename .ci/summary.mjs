// Prints the runners' own counts as one line, "N passed, N failed", the last line of the output, and
// fails when no test ran or any failed. Arguments: the vitest JSON report, then any summaries of the
// form {"passed": N, "failed": N} (npm run fuzz writes test-results/fuzz/summary.json).
import { readFileSync } from 'node:fs';

const [vitestFile = 'test-results/vitest.json', ...summaries] = process.argv.slice(2);
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

const report = read(vitestFile);
if (report) {
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
for (const file of summaries) {
  const summary = read(file);
  if (summary) {
    passed += summary.passed ?? 0;
    failed += summary.failed ?? 0;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(passed > 0 && failed === 0 ? 0 : 1);
