import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childOutput } from '../../lib/bundles.ts';

/** What {@link runBundle} gives back: the runner's last stdout line, parsed, and the process's stderr. */
export interface BundleRun {
  /** `{ result, node, importMs, startedAt, importedAt, answeredAt }` from `invoke-bundle.ts`. */
  readonly answer: Record<string, unknown>;
  readonly stderr: string;
}

/**
 * Invokes the handler of the bundle `file` once in a fresh Node process (`invoke-bundle.ts`), with
 * exactly `env` as its environment and `event` as its event, as a Lambda cold start would.
 *
 * @throws Error naming `name` and quoting the end of the output when the process exits non-zero.
 */
export function runBundle(name: string, file: string, env: NodeJS.ProcessEnv, event: unknown): Promise<BundleRun> {
  const runner = join(import.meta.dirname, 'invoke-bundle.ts');
  const child = spawn(process.execPath, [runner, file], {
    env: { ...env, BUNDLE_EVENT: JSON.stringify(event) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}:\n${childOutput(stderr + stdout)}`));
      resolve({ answer: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'), stderr });
    });
  });
}
