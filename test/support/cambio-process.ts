/**
 * The real server as a child process (`node bin/cambio.js start`), so end-to-end tests drive
 * it over HTTP exactly as a client would and can stop it the hard ways: SIGTERM, SIGKILL.
 * Each instance owns a temp data directory; `restart()` starts a new process on the same one.
 * Every process started here is SIGKILLed when the test run exits, so none outlives mocha.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../infra/config/settings.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CAMBIO_BIN = join(REPO_ROOT, 'bin', 'cambio.js');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/** One pino JSON line of the server's stdout. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CambioOptions {
  /** Extra environment variables (on top of the test defaults). */
  env?: Record<string, string>;
  /** Extra command-line flags after `start`. */
  args?: string[];
  /** Reuse a data directory instead of making a fresh temp one (not removed on cleanup). */
  dataDir?: string;
}

/** Test defaults: fast rate ticks, so a buy finds fresh prices a moment after start. */
const DEFAULT_ENV: Record<string, string> = {
  RATES_TICK_MS: '200',
  // Suites register many users from one address; the limits themselves are tested elsewhere.
  AUTH_RATE_LIMIT_PER_MINUTE: '0',
  COMMAND_RATE_LIMIT_PER_MINUTE: '0',
  READ_RATE_LIMIT_PER_MINUTE: '0',
  ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0',
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The parent's environment without any Cambio setting, so a developer's shell (PORT=...,
 * CAMBIO_DATA_DIR=...) cannot change what a test starts.
 */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of SETTINGS) delete env[setting.env];
  return { ...env, ...extra };
};

const parseLine = (line: string): LogLine | null => {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'msg' in value) return value as LogLine;
  } catch {
    // Not a log line (e.g. a stack trace on stderr): kept in `output()` only.
  }
  return null;
};

export class CambioProcess {
  private child: ChildProcess | null = null;
  private exit: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private currentPort = 0;
  private text = '';
  private readonly lines: LogLine[] = [];
  private readonly lineWaiters: { matches: (l: LogLine) => boolean; resolve: () => void }[] = [];
  private readonly ownsDataDir: boolean;

  private constructor(
    readonly dataDir: string,
    private readonly options: CambioOptions,
  ) {
    this.ownsDataDir = options.dataDir === undefined;
  }

  /** Starts a server on a fresh temp data directory and waits until it listens. */
  static async start(options: CambioOptions = {}): Promise<CambioProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cambio-e2e-'));
    const cambio = new CambioProcess(dataDir, options);
    try {
      await cambio.spawn();
    } catch (error) {
      await cambio.cleanup();
      throw error;
    }
    return cambio;
  }

  get port(): number {
    return this.currentPort;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.currentPort}`;
  }

  get outboxDir(): string {
    return join(this.dataDir, 'outbox');
  }

  /** The child's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything the server printed (stdout and stderr) across restarts, for diagnostics. */
  output(): string {
    return this.text;
  }

  /** Parsed JSON log lines across restarts. */
  logs(): readonly LogLine[] {
    return this.lines;
  }

  /** Resolves when a log line (past or future) satisfies `matches`. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<void> {
    if (this.lines.some(matches)) return Promise.resolve();
    return new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching log line in ${timeoutMs} ms; output:\n${this.tail()}`));
      }, timeoutMs);
      this.lineWaiters.push({
        matches,
        resolve: () => {
          clearTimeout(timer);
          resolvePromise();
        },
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child?.kill(signal);
  }

  /** Resolves when the current process has exited (at once when none runs). */
  waitForExit(): Promise<Exit> {
    return this.exit;
  }

  /** SIGTERM (SIGKILL if it hangs) and wait for the exit. */
  async stop(): Promise<Exit> {
    if (this.child === null) return this.exit;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the current process if it still runs, then starts a new one on the same data dir. */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** Stops the process and removes the temp data directory; safe to call twice. */
  async cleanup(): Promise<void> {
    if (this.child !== null) {
      this.kill('SIGKILL');
      await this.exit;
    }
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }

  private async spawn(): Promise<void> {
    const args = [
      CAMBIO_BIN,
      'start',
      '--port',
      '0',
      '--data-dir',
      this.dataDir,
      '--log-level',
      'info',
      ...(this.options.args ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: cleanEnv({ ...DEFAULT_ENV, ...this.options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    this.exit = new Promise<Exit>((resolvePromise) => {
      child.once('close', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = null;
        resolvePromise({ code, signal });
      });
    });

    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.text += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const raw of parts) {
        const line = parseLine(raw);
        if (line === null) continue;
        this.lines.push(line);
        for (const waiter of this.lineWaiters.filter((w) => w.matches(line))) {
          this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.text += chunk;
    });

    const from = this.lines.length;
    const listening = new Promise<number>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`cambio did not listen within ${START_TIMEOUT_MS} ms:\n${this.tail()}`));
      }, START_TIMEOUT_MS);
      const check = () => {
        const line = this.lines
          .slice(from)
          .find((l) => l.msg.startsWith('cambio listening on') && typeof l.port === 'number');
        if (line === undefined) return;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolvePromise(line.port as number);
      };
      child.stdout?.on('data', check);
      void this.exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`cambio exited (${code ?? signal}) before listening:\n${this.tail()}`));
      });
    });
    this.currentPort = await listening;
  }
}

/** Runs the CLI to completion (for commands that exit), capturing both streams. */
export const runCambio = (
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Exit & { stdout: string; stderr: string }> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CAMBIO_BIN, ...args], {
      cwd: REPO_ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
