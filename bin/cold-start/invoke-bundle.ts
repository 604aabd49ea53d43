/**
 * Runs in a fresh Node process: imports one bundled handler (argv[2]), invokes it with the JSON event
 * in BUNDLE_EVENT, and prints the result as the last line of stdout, with when the import started
 * and ended and when the answer came (epoch ms). It imports nothing else from the project, so the
 * bundle must stand on its own, as in Lambda.
 */
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) throw new Error('usage: node invoke-bundle.ts <bundle.mjs>');
const epoch = () => performance.timeOrigin + performance.now();
const startedAt = epoch();
const { handler } = await import(pathToFileURL(file).href);
const importedAt = epoch();
const importMs = importedAt - startedAt;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bundle',
  awsRequestId: 'bundle-test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};
const result = await handler(JSON.parse(process.env.BUNDLE_EVENT ?? '{}'), context);
const answeredAt = epoch();
// Exit once the line is written: on a pipe, stdout is asynchronous, and an exit before the write
// has drained cuts a long answer (the API document) short. The MongoDB client would keep the process
// alive; Lambda freezes it instead.
process.stdout.write(
  `\n${JSON.stringify({ result, node: process.versions.node, importMs, startedAt, importedAt, answeredAt })}\n`,
  () => process.exit(0),
);
