import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, copyFile, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';

/**
 * The embedded MongoDB-compatible database for tests and local runs: FerretDB, built once from the
 * pinned Go module beside this file with the patches of `patches/` (each says why) and reused,
 * started on a free loopback port with a throw-away data folder. Two backends: SQLite (the default)
 * and PostgreSQL (a throw-away cluster of the machine's PostgreSQL, started and stopped with
 * FerretDB); `EMBEDDED_DB` picks one.
 */

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

const patchDir = join(here, 'patches');

/** The patches applied to FerretDB's source at build time (`patches/*.patch`, in name order). */
function patchFiles(): string[] {
  return readdirSync(patchDir)
    .filter((name) => name.endsWith('.patch'))
    .sort()
    .map((name) => join(patchDir, name));
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(await readFile(join(here, file)));
  for (const file of patchFiles()) hash.update(await readFile(file));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Copies FerretDB's module from the module cache to `workDir/ferretdb`, applies `patches/*.patch`
 * to it (unified diffs against the module root, `a/` and `b/` prefixes), and writes a copy of this
 * folder's go.mod (and go.sum) that replaces the module with the patched copy. Throws when a patch
 * does not apply.
 *
 * @returns the go.mod to build with (`go build -modfile`)
 */
async function patchedModule(workDir: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', 'github.com/FerretDB/FerretDB'], { cwd: here });
  const source = join(workDir, 'ferretdb');
  await cp((JSON.parse(stdout) as { Dir: string }).Dir, source, { recursive: true });
  await run('chmod', ['-R', 'u+w', source]);
  for (const patch of patchFiles()) {
    // --fuzz=0: a hunk whose context no longer matches exactly fails instead of landing nearby.
    await run('patch', ['--batch', '--forward', '--fuzz=0', '--no-backup-if-mismatch', '-p1', '-d', source, '-i', patch]);
  }
  const modfile = join(workDir, 'go.mod');
  await copyFile(join(here, 'go.sum'), join(workDir, 'go.sum'));
  await writeFile(
    modfile,
    `${await readFile(join(here, 'go.mod'), 'utf8')}\nreplace github.com/FerretDB/FerretDB => ${JSON.stringify(source)}\n`,
  );
  return modfile;
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
  const workDir = await mkdtemp(join(tmpdir(), 'orgs-ferretdb-build-'));
  try {
    const modfile = await patchedModule(workDir);
    await run('go', ['build', '-trimpath', `-modfile=${modfile}`, '-o', partial, '.'], {
      cwd: here,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    throw new Error(
      `Building FerretDB failed (are Go 1.24+ and patch installed?): ${(error as Error).message}\n${stdout}${stderr}`,
      { cause: error },
    );
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
  await rename(partial, target);
  return target;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
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

async function waitUntilReady(uri: string, child: ChildProcess, output: () => string, extra = () => ''): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}:\n${output()}${extra()}`);
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
  throw new Error(`FerretDB did not answer within 20 s:\n${output()}${extra()}`);
}

export type EmbeddedBackend = 'sqlite' | 'postgresql';

/** The backend `EMBEDDED_DB` names (`sqlite` when unset). */
export function embeddedBackend(): EmbeddedBackend {
  const value = process.env.EMBEDDED_DB || 'sqlite';
  if (value === 'sqlite' || value === 'postgresql') return value;
  throw new Error(`EMBEDDED_DB must be sqlite or postgresql, not ${JSON.stringify(value)}`);
}

export interface EmbeddedMongo {
  readonly uri: string;
  readonly backend: EmbeddedBackend;
  /** The PostgreSQL cluster under FerretDB (backend `postgresql`), for looking at it with psql. */
  readonly postgresqlUrl?: string;
  /** FerretDB's process id. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /**
   * Kills FerretDB with SIGKILL, as a crash would, and leaves its data where it is (a `dataDir` given
   * to {@link startEmbeddedMongo} can then be started again with the same port); resolves once it is gone.
   */
  kill(): Promise<void>;
}

/**
 * Starts a private FerretDB and resolves once it answers `ping`. With `backend: 'postgresql'` (or
 * `EMBEDDED_DB=postgresql`) it first creates and starts a throw-away PostgreSQL cluster; `stop()`
 * stops both and removes their files. With `dataDir` (SQLite backend only), the data lives in that
 * folder, which `stop()` leaves in place: a later start with the same folder finds the same data.
 *
 * @example
 * const db = await startEmbeddedMongo();
 * process.env.MONGODB_URI = db.uri;
 * // ...
 * await db.stop();
 */
export async function startEmbeddedMongo(
  options: { port?: number; backend?: EmbeddedBackend; dataDir?: string } = {},
): Promise<EmbeddedMongo> {
  const backend = options.backend ?? embeddedBackend();
  if (options.dataDir !== undefined && backend !== 'sqlite') throw new Error('dataDir is for the SQLite backend');
  const binary = await ensureBinary();
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'orgs-ferretdb-')));
  let postgres: Postgres | undefined;
  let args: string[];
  try {
    if (backend === 'postgresql') {
      postgres = await startPostgres(dataDir);
      args = ['--handler=postgresql', `--postgresql-url=${postgres.url}`];
    } else {
      args = [`--sqlite-dir=${dataDir}`];
    }
  } catch (error) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = options.port ?? (await freePort());
  const child = spawn(binary, [`--listen-addr=127.0.0.1:${port}`, ...args, '--log-level=error'], {
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
    await postgres?.stop();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };

  try {
    await waitUntilReady(
      uri,
      child,
      () => stderr,
      () => (postgres ? `\nPostgreSQL log:\n${postgres.output()}` : ''),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, backend, postgresqlUrl: postgres?.url, pid: child.pid, stop, kill };
}

interface Postgres {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The event trigger that gives each of FerretDB's btree indexes a GIN twin its pushed-down equality
 * filters can use (see the file); `EMBEDDED_PG_LOOKUP_INDEXES=0` leaves FerretDB's indexes alone.
 */
const LOOKUP_INDEXES_SQL = fileURLToPath(new URL('./lookup-indexes.sql', import.meta.url));

/** PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian), else initdb on PATH. */
function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : undefined;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const [newest] = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (newest) return join(debian, newest, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

/** PostgreSQL refuses to run as root: as root, run it as EMBEDDED_PG_USER (default `postgres`). */
async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const user = process.env.EMBEDDED_PG_USER || 'postgres';
  try {
    const uid = Number((await run('id', ['-u', user])).stdout.trim());
    const gid = Number((await run('id', ['-g', user])).stdout.trim());
    return { uid, gid };
  } catch {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no user ${JSON.stringify(user)} to run it as ` +
        '(installing Debian\'s postgresql package creates "postgres"; or set EMBEDDED_PG_USER).',
    );
  }
}

/**
 * A throw-away PostgreSQL cluster in `<dir>/pg`: initdb with trust auth, listening on 127.0.0.1
 * only (a free port) and on a Unix socket in that folder, fsync off. Resolves once it accepts
 * connections and the `ferretdb` database exists.
 */
async function startPostgres(dir: string): Promise<Postgres> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      'EMBEDDED_DB=postgresql needs PostgreSQL (initdb and postgres), found neither in PG_BIN, ' +
        '/usr/lib/postgresql/*/bin nor PATH. On Debian: apt-get install postgresql',
    );
  }
  const ids = await postgresIds();
  if (ids) await chown(dir, ids.uid, ids.gid);
  const pgData = join(dir, 'pg');
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  try {
    await run(join(bin, 'initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      ...as,
      cwd: dir,
      maxBuffer: 4 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    throw new Error(`initdb failed:\n${stdout}${stderr}`);
  }
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    shared_buffers: '128MB',
  };
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', pgData, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 20_000;
  const connect = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`PostgreSQL exited with code ${child.exitCode}:\n${output}`);
      try {
        await run(join(bin, 'createdb'), [...connect, 'ferretdb'], { cwd: dir });
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`PostgreSQL did not accept connections within 20 s:\n${(error as Error).message}\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  if (process.env.EMBEDDED_PG_LOOKUP_INDEXES !== '0') {
    try {
      await run(join(bin, 'psql'), [...connect, '-d', 'ferretdb', '-v', 'ON_ERROR_STOP=1', '-q', '-f', LOOKUP_INDEXES_SQL], {
        cwd: dir,
      });
    } catch (error) {
      await stop();
      const { stderr = '' } = error as { stderr?: string };
      throw new Error(`Could not install the look-up index twins:\n${stderr}`);
    }
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/ferretdb`, output: () => output, stop };
}
