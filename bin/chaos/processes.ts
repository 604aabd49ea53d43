import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EmbeddedMongo, startEmbeddedMongo } from '../embedded-db/embedded-db.ts';

/**
 * The processes the crash suite kills: the embedded database (FerretDB on SQLite, whose data lives in
 * a folder that outlives the process, so it restarts on the same data and port), the local API
 * (`bin/local-api.ts`, restarted on the same port) and the operator script (`bin/move-org.ts`). Every
 * kill is SIGKILL: nothing runs after it, as when a container or a machine dies.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The embedded database on a fixed port and data folder, killable and restartable. */
export class Database {
  readonly #dataDir: string;
  readonly #port: number;
  #db: EmbeddedMongo | undefined;

  constructor(dataDir: string, port: number) {
    this.#dataDir = dataDir;
    this.#port = port;
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.#port}/`;
  }

  async start(): Promise<void> {
    await mkdir(this.#dataDir, { recursive: true });
    this.#db = await startEmbeddedMongo({ dataDir: this.#dataDir, port: this.#port, backend: 'sqlite' });
  }

  /** SIGKILL; the data stays. */
  async kill(): Promise<void> {
    await this.#db?.kill();
  }

  async stop(): Promise<void> {
    await this.#db?.stop();
  }
}

/** One local API process on a fixed port. */
export class ApiProcess {
  readonly name: string;
  readonly #port: number;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  #output = '';

  constructor(name: string, port: number, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.#port = port;
    this.#env = env;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Starts it and resolves once it listens. */
  async start(): Promise<void> {
    this.#output = '';
    const child = spawn(process.execPath, [join(root, 'bin', 'local-api.ts')], {
      cwd: root,
      env: { ...this.#env, PORT: String(this.#port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-20_000);
    };
    child.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        keep(chunk);
        if (this.#output.includes('Local API listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}:\n${this.#output}`)));
    });
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** SIGKILL, resolved once it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.alive) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The last of what it printed (for a failure report). */
  output(): string {
    return this.#output;
  }
}

/** A run of an operator script: its process, and its exit code and output once it ends (`code` null: killed). */
export interface ScriptRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; out: string }>;
}

/** Runs `node bin/move-org.ts <args>` (`npm run org:move -- <args>`) with `env`. */
export function moveOrg(args: readonly string[], env: NodeJS.ProcessEnv): ScriptRun {
  const child = spawn(process.execPath, [join(root, 'bin', 'move-org.ts'), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const done = new Promise<{ code: number | null; out: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, out }));
  });
  return { child, done };
}

/** SIGKILL to a script's process, if it is still running; true when it was. */
export async function killScript(run: ScriptRun): Promise<boolean> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return false;
  run.child.kill('SIGKILL');
  await run.done;
  return true;
}
