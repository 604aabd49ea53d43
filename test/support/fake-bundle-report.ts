#!/usr/bin/env node
/**
 * Stands in for bin/bundle-report.ts in the bench's smoke test: answers `--json <file>` with the
 * report's shape and fixed figures, so the test checks how the bench reads it without bundling.
 */
import { writeFile } from 'node:fs/promises';

const at = process.argv.indexOf('--json');
const file = at >= 0 ? process.argv[at + 1] : undefined;
if (!file) {
  console.error('usage: fake-bundle-report.ts --json <file>');
  process.exit(2);
}
await writeFile(
  file,
  JSON.stringify({
    baselineMs: 40,
    runs: 3,
    functions: [
      { function: 'org-get', bytes: 512_000, importMsMedian: 95 },
      { function: 'authorizer', bytes: 128_000, importMsMedian: 60 },
    ],
  }),
);
