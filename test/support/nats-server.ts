import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private nats-server with JetStream for one test file: its own free port and store
 * directory, so tests never touch the machine's shared NATS. `stop()` and `start()` restart
 * it on the SAME port and store dir, which lets tests prove that clients recover.
 */
export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its store. */
  dispose(): Promise<void>;
}

const READY_LINE = 'Server is ready';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** Why NATS tests cannot run here, or null when the `nats-server` binary is usable. */
export function natsServerUnavailableReason(): string | null {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `nats-server binary not runnable: ${probe.error.message}`;
  if (probe.status !== 0) return `nats-server --version exited with ${probe.status}`;
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'cambio-nats-'));
  let child: ChildProcess | null = null;
  let output = '';

  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async (): Promise<void> => {
    if (child) return;
    output = '';
    const proc = spawn(
      'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`nats-server did not become ready in ${START_TIMEOUT_MS} ms:\n${output}`));
      }, START_TIMEOUT_MS);
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (child === proc) child = null;
        reject(new Error(`nats-server exited early (${code ?? signal}):\n${output}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    child = null;
  };

  const dispose = async (): Promise<void> => {
    await stop();
    process.removeListener('exit', killOnExit);
    rmSync(storeDir, { recursive: true, force: true });
  };

  await start();
  return { url: `nats://127.0.0.1:${port}`, port, storeDir, start, stop, dispose };
}
