import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Schemathesis, pinned, in a Python virtual environment of its own under the user's cache (beside the
 * embedded database's binary), created on first use and reused while it holds the pinned version.
 */

export const SCHEMATHESIS_VERSION = '4.32.5';

const run = promisify(execFile);

export function venvPath(): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'orgs-service', 'fuzz-venv');
}

async function installedVersion(bin: string): Promise<string | undefined> {
  if (!existsSync(bin)) return undefined;
  try {
    const { stdout } = await run(bin, ['--version']);
    return /version (\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

async function step(what: string, file: string, args: readonly string[], hint = ''): Promise<void> {
  try {
    await run(file, [...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`${what} failed${hint}:\n${stderr || message}`);
  }
}

/** The path of the `schemathesis` executable, installing it first when needed. */
export async function ensureSchemathesis(venv = venvPath()): Promise<string> {
  const bin = join(venv, 'bin', 'schemathesis');
  if ((await installedVersion(bin)) === SCHEMATHESIS_VERSION) return bin;
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write(`Creating a Python virtual environment in ${venv} (once; later runs reuse it)...\n`);
    await rm(venv, { recursive: true, force: true });
    await mkdir(dirname(venv), { recursive: true });
    await step(
      'python3 -m venv',
      'python3',
      ['-m', 'venv', venv],
      ' (Python 3.11+ with venv is required; on Debian: apt-get install python3-venv)',
    );
  }
  process.stderr.write(`Installing schemathesis==${SCHEMATHESIS_VERSION} into ${venv}...\n`);
  await step('pip install', python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  const version = await installedVersion(bin);
  if (version !== SCHEMATHESIS_VERSION) throw new Error(`${bin} reports version ${version}, expected ${SCHEMATHESIS_VERSION}`);
  return bin;
}
