import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';

/**
 * A MongoDB-compatible server for tests. MongoDB itself is not installable on the project
 * machines, so unless MONGODB_URL points at a server, a FerretDB (scripts/install-ferretdb.sh)
 * is started on a free port with its SQLite backend in a temp dir and stopped afterwards.
 */
export interface MongoForTests {
  url: string;
  /**
   * Which server this is, for the test log:
   * "FerretDB v1.24.2 source-patched-id-index (sqlite) at 127.0.0.1:40123".
   */
  description: string;
  stop(): Promise<void>;
}

export type MongoForTestsResult =
  { available: true; server: MongoForTests } | { available: false; reason: string };

const run = promisify(execFile);
const startTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;
const installHint = 'install it with scripts/install-ferretdb.sh or set MONGODB_URL';

/** Finds or starts a server; `available: false` says why there is none (never throws for that). */
export const findOrStartMongo = async (): Promise<MongoForTestsResult> => {
  const url = process.env.MONGODB_URL;
  if (url) {
    // An explicit URL that does not answer is a broken setup, not a reason to skip.
    return { available: true, server: await describeExternal(url) };
  }
  const binary = await findFerretDb();
  if (!binary.found) return { available: false, reason: binary.reason };
  return { available: true, server: await startFerretDb(binary.path, binary.version) };
};

const describeExternal = async (url: string): Promise<MongoForTests> => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const hosts = client.options.hosts.map((host) => host.toString()).join(',');
    const server =
      typeof info.ferretdbVersion === 'string'
        ? `FerretDB ${info.ferretdbVersion}`
        : `MongoDB ${String(info.version)}`;
    return { url, description: `${server} at ${hosts} (MONGODB_URL)`, stop: async () => {} };
  } catch (error) {
    throw new Error(`MONGODB_URL is set but the server does not answer: ${String(error)}`, {
      cause: error,
    });
  } finally {
    await client.close();
  }
};

type BinaryLookup =
  { found: true; path: string; version: string } | { found: false; reason: string };

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const goBinDirs = async (): Promise<string[]> => {
  try {
    const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH'], { timeout: 10_000 });
    const [gobin = '', gopath = ''] = stdout.split('\n').map((line) => line.trim());
    return [gobin, ...gopath.split(delimiter).map((dir) => (dir ? join(dir, 'bin') : ''))].filter(
      Boolean,
    );
  } catch {
    // No Go toolchain: `go install` would have used $HOME/go/bin.
    return process.env.HOME ? [join(process.env.HOME, 'go', 'bin')] : [];
  }
};

const findFerretDb = async (): Promise<BinaryLookup> => {
  const candidates = [
    ...(process.env.FERRETDB_BIN ? [process.env.FERRETDB_BIN] : []),
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'ferretdb')),
    ...(await goBinDirs()).map((dir) => join(dir, 'ferretdb')),
  ];
  const path = candidates.find(isExecutable);
  if (!path) {
    return {
      found: false,
      reason: `no ferretdb binary on PATH or in the Go bin folder and MONGODB_URL is not set; ${installHint}`,
    };
  }
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 10_000 });
    const version = /^version:\s*(\S+)/m.exec(stdout)?.[1] ?? 'unknown';
    // scripts/install-ferretdb.sh names its patched build here, so the log says which one ran.
    const build = /^package:\s*(\S+)/m.exec(stdout)?.[1];
    return { found: true, path, version: build ? `${version} ${build}` : version };
  } catch (error) {
    // A FerretDB built without build/version/version.txt panics before doing anything.
    return {
      found: false,
      reason: `${path} does not run (${String(error).split('\n')[0]}); ${installHint}`,
    };
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitForExit = (child: ChildProcess, ms: number): Promise<boolean> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

const startFerretDb = async (binary: string, version: string): Promise<MongoForTests> => {
  const dir = mkdtempSync(join(tmpdir(), 'cambio-ferretdb-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'));
  let lastError: Error | undefined;
  // A free port can be taken between probing and binding; a second try on another port fixes that.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const started = await spawnFerretDb(binary, dir, port);
    if (started.ok) {
      const { child } = started;
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      return {
        url: `mongodb://127.0.0.1:${port}/`,
        description: `FerretDB ${version} (sqlite) at 127.0.0.1:${port}`,
        stop: async () => {
          process.off('exit', killOnExit);
          child.kill('SIGTERM');
          if (!(await waitForExit(child, stopTimeoutMs))) {
            child.kill('SIGKILL');
            await waitForExit(child, stopTimeoutMs);
          }
          removeDir();
        },
      };
    }
    lastError = started.error;
  }
  removeDir();
  throw lastError ?? new Error('FerretDB did not start');
};

type SpawnResult = { ok: true; child: ChildProcess } | { ok: false; error: Error };

const spawnFerretDb = async (binary: string, dir: string, port: number): Promise<SpawnResult> => {
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      // As the embedded SQLite read store runs: WAL with synchronous NORMAL (FerretDB leaves
      // SQLite's FULL, a sync per committed write, which a throwaway test server does not need).
      `--sqlite-url=file:${join(dir, 'data')}/?_pragma=synchronous(normal)`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${dir}`,
      // Parallel runs would otherwise all want the default 127.0.0.1:8088.
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=WARN',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DO_NOT_TRACK: '1' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const failure = (why: string): SpawnResult => {
    child.kill('SIGKILL');
    return {
      ok: false,
      error: new Error(`FerretDB ${binary} on port ${port} ${why}\n${stderr.trim()}`),
    };
  };

  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, {
    serverSelectionTimeoutMS: 1000,
    connectTimeoutMS: 1000,
  });
  const deadline = Date.now() + startTimeoutMs;
  try {
    while (Date.now() < deadline) {
      if (exited) return failure('exited at start');
      try {
        await client.db('admin').command({ ping: 1 });
        return { ok: true, child };
      } catch {
        await delay(200);
      }
    }
    return failure(`did not answer within ${startTimeoutMs / 1000} s`);
  } finally {
    await client.close();
  }
};
