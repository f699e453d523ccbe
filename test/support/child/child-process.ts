/**
 * Both halves of the parent/child protocol used by multi-process tests: the parent spawns a
 * TypeScript script with tsx and reads its stdout line by line; the child says `ready` when
 * it has opened its resources and may wait for the parent's `go`, so several children start
 * their work at the same moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildHandle {
  readonly process: ChildProcess;
  /** Complete stdout lines so far; a line cut short by a kill is never included. */
  readonly lines: string[];
  /** Resolves with the first complete line (past or future) that satisfies `matches`. */
  waitForLine(matches: (line: string) => boolean): Promise<string>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves once the child has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the child wrote to stderr, for failure messages. */
  stderr(): string;
}

/** Spawns `node --import tsx <script> ...args` from the current working directory. */
export const spawnChild = (script: string, args: readonly string[] = []): ChildHandle => {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { matches: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let partial = '';
  let errors = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter(({ matches }) => matches(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    errors += chunk;
  });
  // A child killed before it read its stdin makes writes fail with EPIPE; that is expected.
  child.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    waitForLine(matches) {
      const found = lines.find(matches);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        waiters.push({ matches, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `child exited (code ${code}, signal ${signal}) before the line came; stderr:\n${errors}`,
            ),
          ),
        );
      });
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    exited,
    stderr: () => errors,
  };
};

/** Child side: announce readiness, then wait for the parent's `go`. */
export const readyThenWaitForGo = async (): Promise<void> => {
  const input = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of input) {
    if (line.trim() === 'go') break;
  }
  input.close();
  process.stdin.destroy();
};

/** Child side: write one JSON line to stdout (pipes are written synchronously on Linux). */
export const report = (tag: string, value: unknown): void => {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
};

/** Parent side: the JSON payload of the first line tagged `tag`. */
export const parseReport = <T>(line: string, tag: string): T =>
  JSON.parse(line.slice(tag.length + 1)) as T;
