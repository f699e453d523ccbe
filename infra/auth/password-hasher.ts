import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { DomainError } from '../../domain/errors.ts';
import type { PasswordTask } from './password-worker.ts';

/**
 * Password hashing (bcrypt) off the event loop: a pool of worker threads, each running one
 * hash at a time, with a bounded queue in front. A hash costs ~100 ms of CPU; run on the event
 * loop, a dozen bad sign-ins a second starved every other request. Here hashing can use at
 * most `threads` cores, at a lower scheduling priority than the event loop, and a request that
 * finds the queue full is refused at once (503 with Retry-After) instead of waiting.
 *
 * bcryptjs is kept: it reads and writes the hashes already stored, needs no native build, and
 * inside a worker its speed (about 1.5× a native binding) costs latency, not availability.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Jobs accepted and not finished (running or queued), and those waiting for a thread. */
  stats(): { inFlight: number; queued: number; threads: number; maxQueue: number };
  close(): Promise<void>;
}

export interface PasswordHasherOptions {
  /** bcrypt cost of new hashes. */
  cost: number;
  /** Worker threads; default: all cores but one (at least one). */
  threads?: number;
  /** Jobs that may wait for a thread; one more is refused. */
  maxQueue: number;
}

export const defaultHashThreads = (): number => Math.max(1, availableParallelism() - 1);

/** Workers run the TypeScript source through tsx, as the main thread does. */
const workerFile = (): string => {
  const ts = import.meta.url.endsWith('.ts');
  return new URL(`./password-worker.${ts ? 'ts' : 'js'}`, import.meta.url).href;
};

const busy = () =>
  new DomainError(
    'unavailable',
    'sign_in_busy',
    'Too many sign-ins are being checked right now; retry in a moment.',
    { retryAfterSeconds: 1 },
  );

export const openPasswordHasher = (options: PasswordHasherOptions): PasswordHasher => {
  const threads = options.threads ?? defaultHashThreads();
  const pool = new Piscina<PasswordTask, string | boolean>({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    // One more than we let in, so our own count is what refuses.
    maxQueue: options.maxQueue + 1,
    concurrentTasksPerWorker: 1,
    // Below the event loop's priority: requests that need no hash go first on a busy machine.
    niceIncrement: 10,
    ...(import.meta.url.endsWith('.ts') ? { execArgv: ['--import', 'tsx'] } : {}),
  });
  let inFlight = 0;
  const run = async (task: PasswordTask): Promise<string | boolean> => {
    // Counted here rather than by catching Piscina's queue error: the refusal must be cheap.
    if (inFlight >= threads + options.maxQueue) throw busy();
    inFlight += 1;
    try {
      return await pool.run(task);
    } finally {
      inFlight -= 1;
    }
  };
  return {
    hash: async (password) => String(await run({ op: 'hash', password, cost: options.cost })),
    verify: async (password, hash) => (await run({ op: 'verify', password, hash })) === true,
    stats: () => ({
      inFlight,
      queued: pool.queueSize,
      threads,
      maxQueue: options.maxQueue,
    }),
    close: () => pool.destroy(),
  };
};
