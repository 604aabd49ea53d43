import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** The local API as users run it (`npm start`), as a child process on a free port. */
export interface RunningApi {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startLocalApi(env: Record<string, string> = {}): Promise<RunningApi> {
  const child = spawn(process.execPath, ['bin/local-api.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', REVOCATION_CACHE_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Local API listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`local API exited with ${code}:\n${output}`)));
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
