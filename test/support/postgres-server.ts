/**
 * A private PostgreSQL for tests that stop and restart the server: its own cluster (initdb)
 * in a temp dir, on a free port, run with pg_ctl as the `postgres` OS user (PostgreSQL
 * refuses to run as root). The machine's shared PostgreSQL is never touched. `stop()` and
 * `start()` keep the port and the data, so clients can be shown to recover.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './nats-server.ts';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its cluster. */
  dispose(): Promise<void>;
}

export type PrivatePostgresResult =
  { available: true; server: PrivatePostgres } | { available: false; reason: string };

const binDir = (): string | null => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
};

/** Runs a PostgreSQL binary as the postgres user (directly when this process is that user). */
const asPostgres = async (binary: string, args: string[]) => {
  if (userInfo().username === 'postgres') return run(binary, args, { timeout: 60_000 });
  return run('runuser', ['-u', 'postgres', '--', binary, ...args], { timeout: 60_000 });
};

/** Creates and starts a cluster, or says why it cannot here (no binaries, no postgres user). */
export const startPrivatePostgres = async (): Promise<PrivatePostgresResult> => {
  const bin = binDir();
  if (bin === null) return { available: false, reason: 'no /usr/lib/postgresql/*/bin/initdb' };
  let uid: number;
  let gid: number;
  try {
    const { stdout: u } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    [uid, gid] = [Number(u.trim()), Number(g.trim())];
  } catch {
    return { available: false, reason: 'there is no `postgres` OS user to run the server as' };
  }
  if (userInfo().username !== 'postgres' && process.getuid?.() !== 0) {
    return { available: false, reason: 'running PostgreSQL as `postgres` needs root or that user' };
  }

  const dir = mkdtempSync(join(tmpdir(), 'cambio-pg-'));
  chmodSync(dir, 0o700);
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;

  const start = async () => {
    if (running) return;
    await asPostgres(pgCtl, [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await asPostgres(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  // Never leave a server behind, even when the test run ends abruptly.
  const stopOnExit = () => {
    if (!running) return;
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    try {
      if (userInfo().username === 'postgres') execFileSync(pgCtl, args);
      else execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args]);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', stopOnExit);

  try {
    await asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
    ]);
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { available: false, reason: `could not start a private PostgreSQL: ${String(error)}` };
  }
  return {
    available: true,
    server: {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      start,
      stop,
      async dispose() {
        process.off('exit', stopOnExit);
        await stop().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
};
