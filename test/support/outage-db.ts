import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureBinary } from '../../bin/embedded-db/embedded-db.ts';

/**
 * A database a test can break: its own FerretDB process on a free loopback port, which the test
 * pauses (SIGSTOP: the port stays open and nothing answers), kills (SIGKILL: connections reset,
 * then the port refuses) and starts again on the same port and data folder.
 */

/** A loopback port nothing listens on (the OS gave it out and took it back). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answersPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500, socketTimeoutMS: 500 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

export class BreakableDatabase {
  readonly uri: string;
  readonly #binary: string;
  readonly #dataDir: string;
  readonly #port: number;
  #child: ChildProcess | undefined;

  private constructor(binary: string, dataDir: string, port: number) {
    this.#binary = binary;
    this.#dataDir = dataDir;
    this.#port = port;
    this.uri = `mongodb://127.0.0.1:${port}/`;
  }

  /** Starts a new database and resolves once it answers `ping`. */
  static async start(): Promise<BreakableDatabase> {
    const db = new BreakableDatabase(await ensureBinary(), await mkdtemp(join(tmpdir(), 'orgs-outage-')), await freePort());
    await db.restart();
    return db;
  }

  /** Starts the process again (same port, same data) and waits until it answers. */
  async restart(): Promise<void> {
    if (this.#running()) throw new Error('the database is running');
    const child = spawn(
      this.#binary,
      [`--listen-addr=127.0.0.1:${this.#port}`, `--sqlite-dir=${this.#dataDir}`, '--log-level=error'],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    this.#child = child;
    const deadline = Date.now() + 20_000;
    while (!(await answersPing(this.uri))) {
      if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('FerretDB did not answer within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGSTOP: connections stay open and the port accepts, but nothing is answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT: the paused process carries on. */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** SIGKILL, and waits until the process is gone (its port then refuses connections). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.#running()) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the process and removes its data. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.#dataDir, { recursive: true, force: true });
  }

  #running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }
}
