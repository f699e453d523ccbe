import {
  AckPolicy,
  ConsumerEvents,
  DebugEvents,
  DeliverPolicy,
  Events,
  NatsError,
  RetentionPolicy,
  StorageType,
  connect,
  headers as natsHeaders,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import type { Logger } from 'pino';
import type {
  Bus,
  BusHealth,
  ConsumeOptions,
  QueueConsumer,
  QueueMessage,
  TopicHandler,
} from '../../ports/bus.ts';
import type { JsonValue } from '../../ports/event-store.ts';
import { reportParked } from './parked-report.ts';
import { assertConsumeOptions, assertQueueName } from './queue-validation.ts';
import { assertSubject, assertSubjectPattern } from './subject.ts';
import { context } from '@opentelemetry/api';
import { contextFromFields, traceFields } from '../../ports/trace-context.ts';

/** The active trace as message headers, for `js.publish` options; nothing without a trace. */
const traceHeaders = (): { headers?: ReturnType<typeof natsHeaders> } => {
  const fields = Object.entries(traceFields());
  if (fields.length === 0) return {};
  const headers = natsHeaders();
  for (const [name, value] of fields) headers.set(name, value);
  return { headers };
};

/**
 * The distributed bus. Topics are plain core NATS subjects (at most once, every subscriber
 * in every process). Each queue is a JetStream stream with one durable pull consumer that
 * every worker shares, so workers compete for messages; the stream de-duplicates by message
 * id within `duplicateWindowMs`, and a message whose last delivery fails is copied to the
 * queue's parked stream (`<queue>.parked`) for an operator, then terminated.
 */

export interface NatsBusOptions {
  servers: string | string[];
  logger: Logger;
  /** Connection name shown by the NATS server's monitoring. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Prefix of topic subjects on the wire. */
  subjectPrefix?: string;
  /** Prefix of queue subjects; kept apart from topics so a topic wildcard never sees work. */
  queueSubjectPrefix?: string;
  /** Prefix of JetStream stream names (which may not contain dots). */
  streamPrefix?: string;
  /** `workqueue` deletes a message once acked; `limits` keeps it for audit until `maxAgeMs`. */
  retention?: 'workqueue' | 'limits';
  /** Queue messages older than this are dropped by the server; 0 keeps them. */
  maxAgeMs?: number;
  /** Enqueuing an id again within this window is dropped by the server. */
  duplicateWindowMs?: number;
  /** A delivery not acked within this time is redelivered; handlers are kept alive meanwhile. */
  ackWaitMs?: number;
  reconnectWaitMs?: number;
  /** Bound on each JetStream request (enqueue, stream set-up), so callers never hang. */
  requestTimeoutMs?: number;
  /** Bound on draining at close while the server is unreachable. */
  closeTimeoutMs?: number;
  /** Queues whose streams are created at connect; others are created on first use. */
  queues?: string[];
}

const DEFAULTS = {
  subjectPrefix: 'cambio.',
  queueSubjectPrefix: 'cambio-queue.',
  streamPrefix: 'CAMBIO_',
  retention: 'workqueue',
  maxAgeMs: 0,
  duplicateWindowMs: 120_000,
  ackWaitMs: 30_000,
  reconnectWaitMs: 1_000,
  requestTimeoutMs: 5_000,
  closeTimeoutMs: 5_000,
} as const;

const DURABLE_NAME = 'workers';
/** JetStream API error: a stream exists under that name with another configuration. */
const STREAM_NAME_IN_USE = 10058;
/**
 * Deliveries the server allows beyond the handler's `maxDeliveries`: they only happen when
 * parking itself failed (NATS went away mid-park), and are spent retrying the park.
 */
const PARKING_RETRIES = 2;
const MAX_ERROR_HEADER = 1_000;

export const PARKED_HEADERS = {
  id: 'Cambio-Message-Id',
  deliveries: 'Cambio-Deliveries',
  error: 'Cambio-Error',
} as const;

interface QueueNames {
  stream: string;
  subject: string;
  parkedStream: string;
  parkedSubject: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (data: JsonValue): Uint8Array => encoder.encode(JSON.stringify(data));
const decode = (bytes: Uint8Array): JsonValue => JSON.parse(decoder.decode(bytes)) as JsonValue;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/[\r\n]+/g, ' ').slice(0, MAX_ERROR_HEADER);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const isApiError = (error: unknown, errCode: number): boolean =>
  error instanceof NatsError && error.api_error?.err_code === errCode;

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig>): Promise<void> {
  const name = config.name ?? '';
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!isApiError(error, STREAM_NAME_IN_USE)) throw error;
    // Only limits can change in place; a retention or storage change needs an operator.
    await jsm.streams.update(name, {
      subjects: config.subjects ?? [],
      max_age: config.max_age ?? 0,
      duplicate_window: config.duplicate_window ?? 0,
    });
  }
}

export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  const settings = { ...DEFAULTS, ...options };
  const logger = options.logger.child({ component: 'nats-bus' });
  const retention =
    settings.retention === 'limits' ? RetentionPolicy.Limits : RetentionPolicy.Workqueue;

  const nc: NatsConnection = await connect({
    servers: settings.servers,
    name: settings.name,
    user: settings.user,
    pass: settings.pass,
    token: settings.token,
    maxReconnectAttempts: -1,
    reconnectTimeWait: settings.reconnectWaitMs,
    timeout: settings.requestTimeoutMs,
  });
  const js = nc.jetstream({ timeout: settings.requestTimeoutMs });

  let connected = true;
  let closed = false;
  let closing: Promise<void> | null = null;
  let downSince: Date | null = null;
  const consumers = new Set<QueueConsumer>();
  const ensured = new Map<string, Promise<QueueNames>>();

  logger.info({ server: nc.getServer() }, 'connected to NATS');
  // The status stream of a closed connection never ends, so nobody awaits this loop.
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case Events.Disconnect:
          connected = false;
          downSince = new Date();
          logger.warn({ server: status.data }, 'disconnected from NATS');
          break;
        case Events.Reconnect:
          connected = true;
          downSince = null;
          logger.info({ server: status.data }, 'reconnected to NATS');
          break;
        case Events.Error:
          logger.error({ detail: status.data }, 'NATS reported an error');
          break;
        case Events.LDM:
          logger.warn({ server: status.data }, 'NATS server entering lame duck mode');
          break;
        case DebugEvents.Reconnecting:
          logger.debug({ server: status.data }, 'reconnecting to NATS');
          break;
        default:
          break;
      }
    }
  })();
  void nc.closed().then((error) => {
    connected = false;
    if (error) logger.error({ err: error }, 'NATS connection closed with an error');
  });

  const queueNames = (queue: string): QueueNames => ({
    stream: `${settings.streamPrefix}${queue}`,
    subject: `${settings.queueSubjectPrefix}${queue}`,
    parkedStream: `${settings.streamPrefix}${queue}_parked`,
    parkedSubject: `${settings.queueSubjectPrefix}${queue}.parked`,
  });

  const createStreams = async (queue: string): Promise<QueueNames> => {
    const names = queueNames(queue);
    const jsm = await nc.jetstreamManager({ timeout: settings.requestTimeoutMs });
    await upsertStream(jsm, {
      name: names.stream,
      subjects: [names.subject],
      retention,
      storage: StorageType.File,
      max_age: nanos(settings.maxAgeMs),
      duplicate_window: nanos(settings.duplicateWindowMs),
    });
    await upsertStream(jsm, {
      name: names.parkedStream,
      subjects: [names.parkedSubject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(settings.duplicateWindowMs),
    });
    return names;
  };

  /** Creates the queue's streams once per connection; a failure is retried on next use. */
  const ensureQueue = (queue: string): Promise<QueueNames> => {
    let pending = ensured.get(queue);
    if (!pending) {
      pending = createStreams(queue);
      ensured.set(queue, pending);
      pending.catch(() => ensured.delete(queue));
    }
    return pending;
  };

  const ensureConsumer = async (names: QueueNames, maxDeliveries: number): Promise<void> => {
    const jsm = await nc.jetstreamManager({ timeout: settings.requestTimeoutMs });
    const config: Partial<ConsumerConfig> = {
      durable_name: DURABLE_NAME,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: names.subject,
      ack_wait: nanos(settings.ackWaitMs),
      max_deliver: maxDeliveries + PARKING_RETRIES,
    };
    try {
      const info = await jsm.consumers.info(names.stream, DURABLE_NAME);
      if (
        info.config.max_deliver !== config.max_deliver ||
        info.config.ack_wait !== config.ack_wait
      ) {
        await jsm.consumers.update(names.stream, DURABLE_NAME, {
          max_deliver: config.max_deliver,
          ack_wait: config.ack_wait,
        });
      }
    } catch (error) {
      if (!(error instanceof NatsError) || error.api_error?.code !== 404) throw error;
      await jsm.consumers.add(names.stream, config);
    }
  };

  const park = async (
    names: QueueNames,
    msg: JsMsg,
    message: QueueMessage,
    error: unknown,
    options: ConsumeOptions,
  ): Promise<void> => {
    const h = natsHeaders();
    h.set(PARKED_HEADERS.id, message.id);
    h.set(PARKED_HEADERS.deliveries, String(message.deliveryCount));
    h.set(PARKED_HEADERS.error, errorText(error));
    try {
      await js.publish(names.parkedSubject, msg.data, {
        msgID: message.id,
        headers: h,
        timeout: settings.requestTimeoutMs,
      });
    } catch (parkError) {
      // The message stays in the queue: the server redelivers it and the park is retried.
      logger.error({ err: parkError, queue: names.stream, id: message.id }, 'parking failed');
      msg.nak(options.backoffMs(message.deliveryCount));
      return;
    }
    await reportParked(logger, names.stream, options, message, error);
    msg.term();
  };

  const handle = async (
    names: QueueNames,
    msg: JsMsg,
    handler: (message: QueueMessage) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<void> => {
    const id = msg.headers?.get('Nats-Msg-Id') || `seq-${msg.seq}`;
    const deliveryCount = msg.info.redeliveryCount;
    let data: JsonValue;
    try {
      data = decode(msg.data);
    } catch (error) {
      // Retrying cannot fix bytes that are not JSON.
      await park(names, msg, { id, data: null, deliveryCount }, error, options);
      return;
    }
    const message: QueueMessage = { id, data, deliveryCount };
    if (deliveryCount > options.maxDeliveries) {
      await park(names, msg, message, new Error('handler deliveries exhausted'), options);
      return;
    }
    // Tell the server the handler is still working, so a slow handler is not redelivered
    // to a competing worker while it runs.
    const keepAlive = setInterval(() => msg.working(), Math.max(500, settings.ackWaitMs / 2));
    try {
      // In the producer's trace, which the message's headers carry.
      const sent = contextFromFields((name) => msg.headers?.get(name));
      await context.with(sent, () => handler(message));
      msg.ack();
    } catch (error) {
      if (deliveryCount >= options.maxDeliveries) {
        await park(names, msg, message, error, options);
      } else {
        logger.debug(
          { err: error, queue: names.stream, id, deliveries: deliveryCount },
          'queue handler failed; redelivering later',
        );
        msg.nak(options.backoffMs(deliveryCount));
      }
    } finally {
      clearInterval(keepAlive);
    }
  };

  /** Creates what a worker needs: the queue's streams and the shared durable consumer. */
  const prepareConsumer = async (queue: string, maxDeliveries: number): Promise<QueueNames> => {
    const setUp = async () => {
      const names = await ensureQueue(queue);
      await ensureConsumer(names, maxDeliveries);
      return names;
    };
    return withTimeout(setUp(), settings.requestTimeoutMs * 3, `set-up of queue ${queue}`);
  };

  /**
   * The client library retries a pull consumer forever when its stream or consumer vanished
   * (a server that came back with an empty store); stopping it lets the worker recreate both.
   */
  const watchForLostConsumer = async (queue: string, messages: ConsumerMessages) => {
    for await (const status of await messages.status()) {
      if (
        status.type === ConsumerEvents.StreamNotFound ||
        status.type === ConsumerEvents.ConsumerNotFound
      ) {
        logger.warn({ queue, event: status.type }, 'queue stream or consumer lost; recreating');
        ensured.delete(queue);
        messages.stop();
        return;
      }
    }
  };

  const startConsumer = async (
    queue: string,
    handler: (message: QueueMessage) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<QueueConsumer> => {
    let names = await prepareConsumer(queue, options.maxDeliveries);
    let stopping = false;
    let messages: ConsumerMessages | null = null;

    const run = async () => {
      let firstRound = true;
      while (!stopping) {
        try {
          if (!firstRound) names = await prepareConsumer(queue, options.maxDeliveries);
          firstRound = false;
          const consumer = await js.consumers.get(names.stream, DURABLE_NAME);
          // One message at a time per worker: competing workers share the load evenly and a
          // stopping worker holds nothing back from the others.
          const current = await consumer.consume({ max_messages: 1 });
          messages = current;
          if (stopping) current.stop();
          void watchForLostConsumer(queue, current);
          for await (const msg of current) {
            if (stopping) {
              msg.nak();
              continue;
            }
            await handle(names, msg, handler, options);
          }
        } catch (error) {
          if (stopping || closed) break;
          logger.error({ err: error, queue }, 'queue consumer failed; restarting');
        }
        if (!stopping) await delay(settings.reconnectWaitMs);
      }
    };
    const running = run();
    const consumer: QueueConsumer = {
      async stop() {
        stopping = true;
        (messages as ConsumerMessages | null)?.stop();
        await running;
        consumers.delete(consumer);
      },
    };
    consumers.add(consumer);
    return consumer;
  };

  for (const queue of settings.queues ?? []) {
    assertQueueName(queue);
    await withTimeout(ensureQueue(queue), settings.requestTimeoutMs * 3, 'queue set-up');
  }

  return {
    publish(subject, data) {
      assertSubject(subject);
      if (closed) {
        logger.debug({ subject }, 'publish after close dropped');
        return;
      }
      try {
        nc.publish(`${settings.subjectPrefix}${subject}`, encode(data));
      } catch (error) {
        // Topics are at most once: a tick lost to a dead connection is superseded by the next.
        logger.warn({ err: error, subject }, 'publish failed');
      }
    },

    subscribe(pattern, handler: TopicHandler) {
      assertSubjectPattern(pattern);
      if (closed) throw new Error('bus is closed');
      const prefixLength = settings.subjectPrefix.length;
      const subscription = nc.subscribe(`${settings.subjectPrefix}${pattern}`, {
        callback: (error, msg) => {
          if (error) {
            logger.error({ err: error, pattern }, 'subscription failed');
            return;
          }
          const subject = msg.subject.slice(prefixLength);
          try {
            handler(decode(msg.data), subject);
          } catch (handlerError) {
            logger.error({ err: handlerError, subject }, 'topic handler failed');
          }
        },
      });
      return () => {
        if (!subscription.isClosed()) subscription.unsubscribe();
      };
    },

    async enqueue(queue, id, data) {
      assertQueueName(queue);
      if (closed) throw new Error('bus is closed');
      // Fail fast while disconnected: the caller's retry beats a publish parked in a buffer.
      if (!connected) throw new Error('NATS is disconnected');
      const names = await withTimeout(ensureQueue(queue), settings.requestTimeoutMs * 3, 'enqueue');
      try {
        await js.publish(names.subject, encode(data), {
          msgID: id,
          timeout: settings.requestTimeoutMs,
          ...traceHeaders(),
        });
      } catch (error) {
        // No stream answered: it was deleted or the server lost its store; recreate next time.
        if (error instanceof NatsError && error.code === '503') ensured.delete(queue);
        throw error;
      }
    },

    async consume(queue, handler, consumeOptions) {
      assertQueueName(queue);
      assertConsumeOptions(consumeOptions);
      if (closed) throw new Error('bus is closed');
      return startConsumer(queue, handler, consumeOptions);
    },

    health(): BusHealth {
      if (closed) return { up: false, detail: 'closed' };
      if (!connected) {
        return { up: false, detail: `NATS disconnected since ${downSince?.toISOString()}` };
      }
      return { up: true, detail: `NATS ${nc.getServer()}` };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...consumers].map((consumer) => consumer.stop()));
        try {
          await withTimeout(nc.drain(), settings.closeTimeoutMs, 'NATS drain');
        } catch (error) {
          logger.warn({ err: error }, 'NATS drain did not finish; closing');
          await nc.close();
        }
      })();
      return closing;
    },
  };
}
