import { createHash } from 'node:crypto';
import { StorageType, connect, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { rebindingBucket } from '../bus/kv-bucket.ts';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { parkInStream } from './nats-parked-mail.ts';

export interface NatsDeliveryLogOptions {
  servers: string | string[];
  logger: Logger;
  /** Connection name shown by the NATS server's monitoring. */
  name?: string;
  /** The KV bucket holding one key per sent mail. */
  bucket?: string;
  /** The queue whose parked stream receives refused requests. */
  queue?: string;
  /** Sent ids are forgotten after this: redeliveries and replays come long before. */
  ttlMs?: number;
  requestTimeoutMs?: number;
  reconnectWaitMs?: number;
  closeTimeoutMs?: number;
}

const DEFAULTS = {
  bucket: 'CAMBIO_mail_sent',
  queue: MAIL_QUEUE,
  ttlMs: 7 * 24 * 3600_000,
  requestTimeoutMs: 5_000,
  reconnectWaitMs: 1_000,
  closeTimeoutMs: 5_000,
} as const;

/** KV keys are subject tokens: anything else (or a leading/trailing dot) is hashed. */
const KV_KEY = /^[-/_=a-zA-Z0-9]([-/_=.a-zA-Z0-9]*[-/_=a-zA-Z0-9])?$/;
const keyFor = (mailId: string): string =>
  KV_KEY.test(mailId) ? mailId : `sha256-${createHash('sha256').update(mailId).digest('hex')}`;

const encoder = new TextEncoder();

/**
 * The distributed delivery log: a JetStream KV bucket (file storage, one value per key) that
 * every notifier shares, so a redelivery to another notifier after a crash is skipped too.
 * It holds its own connection: the bus port does not lend its connection out.
 */
export async function connectNatsDeliveryLog(
  options: NatsDeliveryLogOptions,
): Promise<DeliveryLog> {
  const settings = { ...DEFAULTS, ...options };
  const logger = options.logger.child({ component: 'delivery-log' });
  const nc: NatsConnection = await connect({
    servers: settings.servers,
    name: settings.name ?? 'cambio-delivery-log',
    maxReconnectAttempts: -1,
    reconnectTimeWait: settings.reconnectWaitMs,
    timeout: settings.requestTimeoutMs,
  });
  const js = nc.jetstream({ timeout: settings.requestTimeoutMs });

  const bucket = rebindingBucket(js, settings.bucket, {
    history: 1,
    ttl: settings.ttlMs,
    storage: StorageType.File,
    timeout: settings.requestTimeoutMs,
  });
  /** A failed call may mean the server lost the bucket (an empty store): bind afresh next time. */
  const rebindOnFailure = <T>(use: (kv: KV) => Promise<T>): Promise<T> => bucket.use(use);

  try {
    await bucket.bind();
  } catch (error) {
    await nc.close();
    throw error;
  }
  logger.info({ bucket: settings.bucket, server: nc.getServer() }, 'delivery log ready');

  let closing: Promise<void> | null = null;
  return {
    wasSent: (mailId) =>
      rebindOnFailure(async (kv) => {
        const entry = await kv.get(keyFor(mailId));
        return entry !== null && entry.operation === 'PUT';
      }),
    recordSent: (mailId) =>
      rebindOnFailure(async (kv) => {
        await kv.put(keyFor(mailId), encoder.encode(new Date().toISOString()));
      }),
    park: (message, error) =>
      parkInStream(js, settings.queue, message, error, settings.requestTimeoutMs),
    close() {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            nc.drain(),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error('drain timed out')),
                settings.closeTimeoutMs,
              );
            }),
          ]);
        } catch (error) {
          logger.warn({ err: error }, 'delivery log connection did not drain; closing');
          await nc.close();
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
}
