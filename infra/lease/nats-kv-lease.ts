import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { StorageType, connect, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Lease } from '../../ports/lease.ts';

export interface NatsKvLeaseOptions {
  servers: string | string[];
  logger: Logger;
  /** What is leased: one key per singleton worker. */
  name: string;
  /** A holder that stops renewing loses the lease this long after its last renewal. */
  ttlMs: number;
  /** The KV bucket of every lease; its TTL is the leases' TTL, fixed when it is created. */
  bucket?: string;
  /** Who holds it, for the logs and `nats kv get`. Default: host, pid and a random suffix. */
  holder?: string;
  /** Connection name shown by the NATS server's monitoring. */
  connectionName?: string;
}

/** JetStream's "wrong last sequence": someone else wrote the key since we last did. */
const WRONG_LAST_SEQUENCE = 10071;

const apiErrorCode = (error: unknown): number | undefined =>
  (error as { api_error?: { err_code?: number } } | null)?.api_error?.err_code;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lease in a NATS JetStream KV bucket whose entries expire after the TTL (the bucket's
 * max age). Acquiring is `create` (succeeds only while the key is absent, expired or deleted);
 * renewing is `update` against the revision we wrote (fails if anyone else wrote since), every
 * third of the TTL. The holder's own deadline runs from when it *sent* its last confirmed
 * renewal, which is no later than when the server stored it, so the holder gives the lease up
 * before the entry can expire and a standby's `create` can succeed: two holders never overlap
 * (short of a process paused longer than the TTL, which the position-guarded, idempotent
 * projections tolerate). Standbys retry `create` every tenth of the TTL.
 */
export async function connectNatsKvLease(options: NatsKvLeaseOptions): Promise<Lease> {
  const bucketName = options.bucket ?? 'CAMBIO_leases';
  const holder = options.holder ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const logger = options.logger.child({ component: 'lease', lease: options.name, holder });
  const { ttlMs } = options;
  const renewEveryMs = Math.max(10, Math.floor(ttlMs / 3));
  const retryEveryMs = Math.max(50, Math.floor(ttlMs / 10));
  const nc: NatsConnection = await connect({
    servers: options.servers,
    name: options.connectionName ?? `cambio-lease-${options.name}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: Math.min(1000, renewEveryMs),
    timeout: Math.min(5000, ttlMs),
  });
  const js = nc.jetstream({ timeout: Math.min(5000, renewEveryMs) });
  let kv: KV;
  try {
    kv = await js.views.kv(bucketName, { history: 1, ttl: ttlMs, storage: StorageType.File });
    const { ttl } = await kv.status();
    if (ttl !== ttlMs) {
      throw new Error(
        `the lease bucket ${bucketName} expires entries after ${ttl} ms, not the configured ${ttlMs} ms: ` +
          `give every replica the same TTL, or delete the bucket (nats kv rm ${bucketName}) while no projector runs`,
      );
    }
  } catch (error) {
    await nc.close();
    throw error;
  }

  const value = new TextEncoder().encode(JSON.stringify({ holder }));
  const lostListeners: ((reason: string) => void)[] = [];
  let revision = 0;
  let held = false;
  let closed = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;

  const stopTimers = () => {
    clearTimeout(renewTimer);
    clearTimeout(deadlineTimer);
  };

  const lose = (reason: string) => {
    if (!held) return;
    held = false;
    stopTimers();
    logger.error({ reason }, 'lease lost');
    for (const listener of lostListeners) listener(reason);
  };

  /** The lease is ours until `sentAt + ttl`; an unconfirmed renewal does not extend it. */
  const holdUntil = (sentAt: number) => {
    clearTimeout(deadlineTimer);
    deadlineTimer = setTimeout(
      () => lose(`not renewed within ${ttlMs} ms`),
      sentAt + ttlMs - Date.now(),
    );
  };

  const renew = async () => {
    const sentAt = Date.now();
    try {
      const next = await kv.update(options.name, value, revision);
      if (!held) return;
      revision = next;
      holdUntil(sentAt);
    } catch (error) {
      if (apiErrorCode(error) === WRONG_LAST_SEQUENCE) lose('another holder wrote the lease');
      else logger.warn({ err: error }, 'lease renewal failed; retrying before it expires');
    }
  };

  /** One renewal at a time: the next is scheduled when the last has answered. */
  const scheduleRenewal = () => {
    renewTimer = setTimeout(() => {
      void renew().then(() => {
        if (held) scheduleRenewal();
      });
    }, renewEveryMs);
  };

  return {
    async acquire() {
      let waitingLogged = false;
      let unreachableLogged = false;
      while (!closed) {
        const sentAt = Date.now();
        try {
          revision = await kv.create(options.name, value);
          if (closed) break;
          held = true;
          holdUntil(sentAt);
          scheduleRenewal();
          logger.info({ ttlMs }, 'lease acquired');
          return;
        } catch (error) {
          if (apiErrorCode(error) !== WRONG_LAST_SEQUENCE) {
            // Once per outage, not once per retry.
            if (!unreachableLogged)
              logger.warn({ err: error }, 'lease: NATS did not answer; retrying');
            unreachableLogged = true;
          } else if (!waitingLogged) {
            waitingLogged = true;
            logger.info({ ttlMs }, 'lease held by a peer; standing by');
          }
        }
        await sleep(retryEveryMs);
      }
      throw new Error(`lease ${options.name} closed before it was acquired`);
    },
    held: () => held,
    onLost(listener) {
      lostListeners.push(listener);
    },
    async release() {
      closed = true;
      stopTimers();
      if (held) {
        held = false;
        try {
          // Only our own entry: if a peer wrote since, the sequence check refuses the delete.
          await kv.delete(options.name, { previousSeq: revision });
          logger.info('lease released');
        } catch (error) {
          logger.warn({ err: error }, 'lease not released; it expires after its TTL');
        }
      }
      await nc.close();
    },
  };
}
