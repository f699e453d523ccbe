import type { JsonValue } from './event-store.ts';

/**
 * The bus port. Two kinds of traffic with different guarantees:
 * - topics: fan-out to every subscriber in every process, at most once (rate ticks,
 *   balance updates) — a missed tick is superseded by the next one;
 * - queues: durable work shared by competing consumers, at least once, de-duplicated by
 *   message id on the way in (mail requests).
 * Every adapter passes test/contract/bus.
 */

export type TopicHandler = (data: JsonValue, subject: string) => void;

export interface QueueMessage {
  /** Producer-chosen id (the causing event's id): enqueuing the same id twice delivers once. */
  id: string;
  data: JsonValue;
  /** 1 on first delivery. */
  deliveryCount: number;
}

export interface ConsumeOptions {
  /** After this many failed deliveries the message is parked (dead-lettered), not retried. */
  maxDeliveries: number;
  /** Delay before redelivering a failed message, by delivery count. */
  backoffMs: (deliveryCount: number) => number;
  /** Called when a message is parked, so an operator can see and replay it. */
  onParked?: (message: QueueMessage, error: unknown) => void | Promise<void>;
}

export interface QueueConsumer {
  /** Stops taking messages and waits for the in-flight handler to finish. */
  stop(): Promise<void>;
}

export interface BusHealth {
  up: boolean;
  detail?: string;
}

export interface Bus {
  /** Fire-and-forget; `subject` is dot-separated (e.g. `rates.USD`, `balances.<userId>`). */
  publish(subject: string, data: JsonValue): void;
  /** `subject` may end in `.>` to match everything below it. Returns an unsubscribe function. */
  subscribe(subject: string, handler: TopicHandler): () => void;
  /** Resolves once the message is durably accepted. */
  enqueue(queue: string, id: string, data: JsonValue): Promise<void>;
  /** The handler acks by resolving and asks for a redelivery by rejecting. */
  consume(
    queue: string,
    handler: (message: QueueMessage) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<QueueConsumer>;
  health(): BusHealth;
  /** Flushes what was published, then closes. */
  close(): Promise<void>;
}
