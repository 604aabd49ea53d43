import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';

/**
 * The embedded MongoDB-compatible database for tests and local runs: FerretDB (SQLite backend),
 * built once from the pinned Go module beside this file and reused, started on a free loopback port
 * with a throw-away data folder.
 */

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(await readFile(join(here, file)));
  return hash.digest('hex').slice(0, 12);
}

/** Where the built binary is kept: FERRETDB_BIN, else a cache keyed by the Go sources. */
export async function binaryPath(): Promise<string> {
  if (process.env.FERRETDB_BIN) return process.env.FERRETDB_BIN;
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'orgs-service', `ferretdb-${await sourceHash()}`);
}

/** Builds the binary unless it is there already; returns its path. Needs Go only the first time. */
export async function ensureBinary(): Promise<string> {
  const target = await binaryPath();
  if (existsSync(target)) return target;
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  process.stderr.write(`Building FerretDB into ${target} (once; later runs reuse it)...\n`);
  try {
    await run('go', ['build', '-trimpath', '-o', partial, '.'], { cwd: here, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`Building FerretDB failed (is Go 1.24+ installed?):\n${stderr}`);
  }
  await rename(partial, target);
  return target;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilReady(uri: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}:\n${output()}`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`FerretDB did not answer within 20 s:\n${output()}`);
}

export interface EmbeddedMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

/**
 * Starts a private FerretDB and resolves once it answers `ping`.
 *
 * @example
 * const db = await startEmbeddedMongo();
 * process.env.MONGODB_URI = db.uri;
 * // ...
 * await db.stop();
 */
export async function startEmbeddedMongo(options: { port?: number } = {}): Promise<EmbeddedMongo> {
  const binary = await ensureBinary();
  const dataDir = await mkdtemp(join(tmpdir(), 'orgs-ferretdb-'));
  const port = options.port ?? (await freePort());
  const child = spawn(binary, [`--listen-addr=127.0.0.1:${port}`, `--sqlite-dir=${dataDir}`, '--log-level=error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uri = `mongodb://127.0.0.1:${port}/`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(uri, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, stop };
}
