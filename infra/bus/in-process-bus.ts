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
import { createRecentIds, type RecentIds } from './recent-ids.ts';
import {
  assertSubject,
  assertSubjectPattern,
  isWildcardPattern,
  subjectMatches,
} from './subject.ts';

/**
 * The embedded bus: topics and queues inside one process. Queues live in memory, so a crash
 * loses what was not yet handled; the embedded deployment accepts that because every queue
 * producer is a checkpointed subscriber that re-enqueues on restart (ids make that safe).
 */

export interface InProcessBusOptions {
  logger: Logger;
  /** How many recent message ids each queue remembers to drop duplicates. */
  dedupCapacity?: number;
  /**
   * Resolve `enqueue` only once a consumer handled (or parked) the message. Memory is not
   * durable, so for a checkpointed producer "accepted" must mean "done": otherwise a crash
   * after its checkpoint moved would lose the message. The embedded deployment sets this.
   */
  acceptWhenHandled?: boolean;
}

const DEFAULT_DEDUP_CAPACITY = 10_000;

interface Subscription {
  pattern: string;
  handler: TopicHandler;
  active: boolean;
}

interface StoredMessage {
  id: string;
  data: JsonValue;
  deliveries: number;
  /** With acceptWhenHandled: settles the producer's enqueue. */
  settle?: (error?: Error) => void;
}

interface Consumer {
  handler: (message: QueueMessage) => Promise<void>;
  options: ConsumeOptions;
  busy: boolean;
  inFlight: Promise<void> | null;
}

interface QueueState {
  name: string;
  seen: RecentIds;
  ready: StoredMessage[];
  consumers: Consumer[];
  nextConsumer: number;
  redeliveryTimers: Set<NodeJS.Timeout>;
}

export function createInProcessBus(options: InProcessBusOptions): Bus {
  const logger = options.logger.child({ component: 'in-process-bus' });
  const dedupCapacity = options.dedupCapacity ?? DEFAULT_DEDUP_CAPACITY;
  // Exact subjects are looked up directly: one subscription per websocket client must not
  // make every publish scan every subscription.
  const exact = new Map<string, Set<Subscription>>();
  const wildcards = new Set<Subscription>();
  const queues = new Map<string, QueueState>();
  let closed = false;
  let closing: Promise<void> | null = null;

  const unsettled = new Set<StoredMessage>();
  const queueState = (name: string): QueueState => {
    let state = queues.get(name);
    if (!state) {
      state = {
        name,
        seen: createRecentIds(dedupCapacity),
        ready: [],
        consumers: [],
        nextConsumer: 0,
        redeliveryTimers: new Set(),
      };
      queues.set(name, state);
    }
    return state;
  };

  const deliverTopic = (subscription: Subscription, data: JsonValue, subject: string) => {
    if (!subscription.active) return;
    try {
      subscription.handler(data, subject);
    } catch (error) {
      logger.error({ err: error, subject }, 'topic handler failed');
    }
  };

  const idleConsumer = (state: QueueState): Consumer | undefined => {
    const count = state.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (state.nextConsumer + i) % count;
      const consumer = state.consumers[index];
      if (consumer && !consumer.busy) {
        state.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  };

  const scheduleRedelivery = (state: QueueState, stored: StoredMessage, delayMs: number) => {
    if (closed) return;
    const timer = setTimeout(
      () => {
        state.redeliveryTimers.delete(timer);
        if (closed) return;
        state.ready.push(stored);
        pump(state);
      },
      Math.max(0, delayMs),
    );
    state.redeliveryTimers.add(timer);
  };

  const deliver = (state: QueueState, consumer: Consumer, stored: StoredMessage) => {
    stored.deliveries += 1;
    // Each delivery gets its own copy, as it would from a wire: a handler that mutates its
    // message and then fails must not change what the next delivery sees.
    const message: QueueMessage = {
      id: stored.id,
      data: structuredClone(stored.data),
      deliveryCount: stored.deliveries,
    };
    consumer.busy = true;
    consumer.inFlight = (async () => {
      try {
        await consumer.handler(message);
        stored.settle?.();
      } catch (error) {
        const { options } = consumer;
        if (message.deliveryCount >= options.maxDeliveries) {
          await reportParked(logger, state.name, options, message, error);
          stored.settle?.();
        } else {
          logger.debug(
            { err: error, queue: state.name, id: message.id, deliveries: message.deliveryCount },
            'queue handler failed; redelivering later',
          );
          scheduleRedelivery(state, stored, options.backoffMs(message.deliveryCount));
        }
      } finally {
        consumer.busy = false;
        consumer.inFlight = null;
        pump(state);
      }
    })();
  };

  function pump(state: QueueState): void {
    while (!closed && state.ready.length > 0) {
      const consumer = idleConsumer(state);
      if (!consumer) return;
      const stored = state.ready.shift();
      if (stored) deliver(state, consumer, stored);
    }
  }

  const stopConsumer = async (state: QueueState, consumer: Consumer) => {
    const index = state.consumers.indexOf(consumer);
    if (index >= 0) state.consumers.splice(index, 1);
    await consumer.inFlight;
  };

  return {
    publish(subject, data) {
      assertSubject(subject);
      if (closed) {
        logger.debug({ subject }, 'publish after close dropped');
        return;
      }
      const copy = structuredClone(data);
      const targets = [...(exact.get(subject) ?? [])];
      for (const subscription of wildcards) {
        if (subjectMatches(subscription.pattern, subject)) targets.push(subscription);
      }
      // Handlers run after publish returns, as they would from a network bus: a publisher
      // never runs subscriber code on its own stack.
      for (const subscription of targets) {
        queueMicrotask(() => deliverTopic(subscription, copy, subject));
      }
    },

    subscribe(pattern, handler) {
      assertSubjectPattern(pattern);
      if (closed) throw new Error('bus is closed');
      const subscription: Subscription = { pattern, handler, active: true };
      if (isWildcardPattern(pattern)) {
        wildcards.add(subscription);
      } else {
        const set = exact.get(pattern) ?? new Set();
        set.add(subscription);
        exact.set(pattern, set);
      }
      return () => {
        subscription.active = false;
        wildcards.delete(subscription);
        const set = exact.get(pattern);
        set?.delete(subscription);
        if (set?.size === 0) exact.delete(pattern);
      };
    },

    async enqueue(queue, id, data) {
      assertQueueName(queue);
      if (closed) throw new Error('bus is closed');
      const state = queueState(queue);
      if (!state.seen.add(id)) return;
      const stored: StoredMessage = { id, data: structuredClone(data), deliveries: 0 };
      const handled = options.acceptWhenHandled
        ? new Promise<void>((resolve, reject) => {
            stored.settle = (error) => {
              unsettled.delete(stored);
              if (error) reject(error);
              else resolve();
            };
            unsettled.add(stored);
          })
        : undefined;
      state.ready.push(stored);
      pump(state);
      await handled;
    },

    async consume(queue, handler, consumeOptions): Promise<QueueConsumer> {
      assertQueueName(queue);
      assertConsumeOptions(consumeOptions);
      if (closed) throw new Error('bus is closed');
      const state = queueState(queue);
      const consumer: Consumer = { handler, options: consumeOptions, busy: false, inFlight: null };
      state.consumers.push(consumer);
      pump(state);
      return { stop: () => stopConsumer(state, consumer) };
    },

    health(): BusHealth {
      return closed ? { up: false, detail: 'closed' } : { up: true, detail: 'in-process' };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        // Producers waiting on messages that will now never be handled must not move on.
        for (const stored of [...unsettled])
          stored.settle?.(new Error('bus closed before the message was handled'));
        // Topic deliveries are queued as microtasks; one macrotask turn lets them all run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (const subscription of wildcards) subscription.active = false;
        for (const set of exact.values()) for (const s of set) s.active = false;
        wildcards.clear();
        exact.clear();
        for (const state of queues.values()) {
          for (const timer of state.redeliveryTimers) clearTimeout(timer);
          state.redeliveryTimers.clear();
          await Promise.all([...state.consumers].map((consumer) => stopConsumer(state, consumer)));
        }
      })();
      return closing;
    },
  };
}
