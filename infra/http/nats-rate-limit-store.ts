import { createHash } from 'node:crypto';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { connect, StorageType, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { rebindingBucket } from '../bus/kv-bucket.ts';

/**
 * Rate-limit counters every API replica shares, in a JetStream KV bucket: a user's 600
 * commands a minute are 600 whichever replicas serve them. Each limiter window is one key
 * per client (`<prefix>.<window>.<hash of the client key>`), counted up with compare-and-set
 * so concurrent replicas never lose a hit. Counters are worth nothing after their window,
 * so the bucket lives in memory and drops keys after two windows.
 *
 * Chosen over limiting at the gateway: the gateway only sees addresses, while these limits
 * are per signed-in user, which only the API knows after checking the token.
 */

export interface NatsRateLimitOptions {
  servers: string[];
  logger: Logger;
  /** Default `cambio_rate_limits`. */
  bucket?: string;
  /** Longest window of any limiter using the bucket; keys live for two. Default 60 s. */
  windowMs?: number;
  /** Per KV request; a limiter whose store fails lets the request through. Default 500 ms. */
  requestTimeoutMs?: number;
}

export interface NatsRateLimits {
  /** A store for one limiter; `prefix` tells its counters from other limiters'. */
  store(prefix: string): Store;
  close(): Promise<void>;
}

const MAX_CAS_ATTEMPTS = 25;
const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const isWrongRevision = (error: unknown): boolean =>
  error instanceof Error && /wrong last sequence|key exists/i.test(error.message);

/** Adds `delta` to a counter (created at `delta` when absent) and returns the new count. */
const addTo = async (kv: KV, key: string, delta: number): Promise<number> => {
  for (let attempt = 1; ; attempt++) {
    const entry = await kv.get(key);
    try {
      if (entry === null || entry.operation !== 'PUT') {
        const next = Math.max(0, delta);
        // A deleted key has a tombstone as its last revision: update over it, never create.
        if (entry === null) await kv.create(key, encoder.encode(String(next)));
        else await kv.update(key, encoder.encode(String(next)), entry.revision);
        return next;
      }
      const next = Math.max(0, Number(decoder.decode(entry.value)) + delta);
      await kv.update(key, encoder.encode(String(next)), entry.revision);
      return next;
    } catch (error) {
      // Another replica counted in between: read again and retry, after a jittered pause so
      // contenders spread out instead of colliding in lockstep.
      if (!isWrongRevision(error) || attempt >= MAX_CAS_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
    }
  }
};

class NatsKvStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  /** Updates of one counter from this process go one at a time: replicas are the only contenders. */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(
    readonly prefix: string,
    /** Runs `use` on the bucket; a failure makes the next call bind the bucket again. */
    private readonly withBucket: <T>(use: (kv: KV) => Promise<T>) => Promise<T>,
  ) {}

  private add(key: string, delta: number): Promise<number> {
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(() => this.withBucket((kv) => addTo(kv, key, delta)));
    this.pending.set(key, next);
    const forget = () => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private window(now = Date.now()): { key: (client: string) => string; resetTime: Date } {
    const index = Math.floor(now / this.windowMs);
    return {
      key: (client) =>
        `${this.prefix}.${index}.${createHash('sha256').update(client).digest('base64url')}`,
      resetTime: new Date((index + 1) * this.windowMs),
    };
  }

  async get(client: string): Promise<ClientRateLimitInfo | undefined> {
    const { key, resetTime } = this.window();
    const entry = await this.withBucket((kv) => kv.get(key(client)));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { totalHits: Number(decoder.decode(entry.value)), resetTime };
  }

  async increment(client: string): Promise<ClientRateLimitInfo> {
    const { key, resetTime } = this.window();
    return { totalHits: await this.add(key(client), 1), resetTime };
  }

  async decrement(client: string): Promise<void> {
    await this.add(this.window().key(client), -1);
  }

  async resetKey(client: string): Promise<void> {
    await this.withBucket((kv) => kv.delete(this.window().key(client)));
  }
}

/** Connects (with its own connection: the bus port lends none) and binds the bucket. */
export const connectNatsRateLimits = async (
  options: NatsRateLimitOptions,
): Promise<NatsRateLimits> => {
  const timeout = options.requestTimeoutMs ?? 500;
  const name = options.bucket ?? 'cambio_rate_limits';
  const nc: NatsConnection = await connect({
    servers: options.servers,
    name: 'cambio-rate-limits',
    maxReconnectAttempts: -1,
    timeout: 5000,
  });
  const js = nc.jetstream({ timeout });
  // Rebinding: a restarted server has lost the in-memory bucket, and binding creates it anew.
  const bucket = rebindingBucket(js, name, {
    history: 1,
    ttl: 2 * (options.windowMs ?? 60_000),
    storage: StorageType.Memory,
    timeout,
  });
  try {
    await bucket.bind();
  } catch (error) {
    await nc.close();
    throw error;
  }
  options.logger.info({ bucket: name }, 'rate limits shared over NATS');
  return {
    store: (prefix) => {
      if (!PREFIX.test(prefix)) throw new Error(`rate-limit prefix ${prefix} is not a KV token`);
      return new NatsKvStore(prefix, (use) => bucket.use(use));
    },
    close: () => nc.drain(),
  };
};
