import {
  connect,
  NatsError,
  headers as natsHeaders,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { QueueMessage } from '../../ports/bus.ts';
import type { JsonValue } from '../../ports/event-store.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import type { ParkedMailEntry, ParkedMail as ParkedMailPort } from '../../ports/parked-mail.ts';
import { PARKED_HEADERS } from '../bus/nats-bus.ts';

/**
 * Parked mail on the NATS bus: the queue's parked stream, written by the bus when a request's
 * last delivery failed and by the notifier when a request was refused for good. Operators
 * list it and replay from it (`cambio mail parked`, `cambio mail replay`).
 */

/** The names the NATS bus gives a queue with its default prefixes (infra/bus/nats-bus.ts). */
export const natsQueueNames = (queue: string) => ({
  stream: `CAMBIO_${queue}`,
  subject: `cambio-queue.${queue}`,
  parkedStream: `CAMBIO_${queue}_parked`,
  parkedSubject: `cambio-queue.${queue}.parked`,
});

export interface ParkedMail {
  /** Sequence in the parked stream: unique, unlike the message id after a replay parks again. */
  seq: number;
  /** The queue message id (the causing event's id, with a suffix once replayed). */
  id: string;
  /** The mail's own id and recipient, when the request could be read. */
  mailId: string | null;
  to: string | null;
  deliveries: number;
  error: string;
  parkedAt: Date;
}

const MAX_ERROR_TEXT = 1_000;
/** Replayed messages need a fresh id: the queue drops an id it saw within its duplicate window. */
const REPLAY_SUFFIX = '~replay-';
/** JetStream API error: stream not found. */
const STREAM_NOT_FOUND = 10059;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const errorText = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error))
    .replace(/[\r\n]+/g, ' ')
    .slice(0, MAX_ERROR_TEXT);

/** Copies a request to the parked stream, with the headers the bus itself writes. */
export async function parkInStream(
  js: JetStreamClient,
  queue: string,
  message: QueueMessage,
  error: unknown,
  timeoutMs: number,
): Promise<void> {
  const h = natsHeaders();
  h.set(PARKED_HEADERS.id, message.id);
  h.set(PARKED_HEADERS.deliveries, String(message.deliveryCount));
  h.set(PARKED_HEADERS.error, errorText(error));
  // Parking the same message twice (its ack was lost) is dropped by the stream's id window.
  await js.publish(
    natsQueueNames(queue).parkedSubject,
    encoder.encode(JSON.stringify(message.data)),
    {
      msgID: message.id,
      headers: h,
      timeout: timeoutMs,
    },
  );
}

const field = (data: JsonValue | null, name: string): string | null => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const value = data[name];
  return typeof value === 'string' ? value : null;
};

const parse = (msg: JsMsg): ParkedMail => {
  let data: JsonValue | null = null;
  try {
    data = JSON.parse(decoder.decode(msg.data)) as JsonValue;
  } catch {
    // Bytes that were not JSON are parked as they came; they still list and replay.
  }
  const id = msg.headers?.get(PARKED_HEADERS.id) || msg.headers?.get('Nats-Msg-Id') || '';
  return {
    seq: msg.seq,
    id,
    mailId: field(data, 'eventId'),
    to: field(data, 'to'),
    deliveries: Number(msg.headers?.get(PARKED_HEADERS.deliveries) || 0),
    error: msg.headers?.get(PARKED_HEADERS.error) ?? '',
    parkedAt: new Date(Number(msg.info.timestampNanos / 1_000_000)),
  };
};

const isStreamNotFound = (error: unknown): boolean =>
  error instanceof NatsError && error.api_error?.err_code === STREAM_NOT_FOUND;

interface ParkedEntry {
  mail: ParkedMail;
  data: Uint8Array;
}

const readParked = async (nc: NatsConnection, queue: string, timeoutMs: number) => {
  const names = natsQueueNames(queue);
  const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
  let messages: number;
  try {
    messages = (await jsm.streams.info(names.parkedStream)).state.messages;
  } catch (error) {
    if (isStreamNotFound(error)) return [];
    throw error;
  }
  if (messages === 0) return [];
  const js = nc.jetstream({ timeout: timeoutMs });
  // An ordered consumer reads the stream once, in order, and leaves nothing behind.
  const consumer = await js.consumers.get(names.parkedStream);
  const entries: ParkedEntry[] = [];
  const batch = await consumer.fetch({ max_messages: messages, expires: timeoutMs });
  for await (const msg of batch) {
    entries.push({ mail: parse(msg), data: msg.data });
    if (msg.info.pending === 0) break;
  }
  return entries;
};

/** Every parked request of `queue`, oldest first. */
export async function listParked(
  nc: NatsConnection,
  queue: string,
  timeoutMs = 5_000,
): Promise<ParkedMail[]> {
  return (await readParked(nc, queue, timeoutMs)).map((entry) => entry.mail);
}

/** Whether a parked request is the one an operator named: by message id or mail id. */
export const parkedMatches = (mail: ParkedMail, id: string): boolean =>
  mail.id === id || mail.mailId === id || mail.id.split(REPLAY_SUFFIX)[0] === id;

/**
 * Puts the selected parked requests back on the queue, then removes them from the parked
 * stream. Each replay carries an id derived from the parked sequence, so replaying the same
 * parked entry twice (a crash between the two steps) is dropped by the queue's id window, and
 * the notifier's delivery log skips a mail that was sent meanwhile anyway.
 */
export async function replayParked(
  nc: NatsConnection,
  queue: string,
  select: (mail: ParkedMail) => boolean,
  timeoutMs = 5_000,
): Promise<ParkedMail[]> {
  const names = natsQueueNames(queue);
  const js = nc.jetstream({ timeout: timeoutMs });
  const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
  const replayed: ParkedMail[] = [];
  for (const entry of await readParked(nc, queue, timeoutMs)) {
    if (!select(entry.mail)) continue;
    const base = entry.mail.id.split(REPLAY_SUFFIX)[0] || `seq-${entry.mail.seq}`;
    await js.publish(names.subject, entry.data, {
      msgID: `${base}${REPLAY_SUFFIX}${entry.mail.seq}`,
      timeout: timeoutMs,
    });
    await jsm.streams.deleteMessage(names.parkedStream, entry.mail.seq, false);
    replayed.push(entry.mail);
  }
  return replayed;
}

const entryView = (mail: ParkedMail): ParkedMailEntry => ({
  id: mail.id,
  mailId: mail.mailId,
  to: mail.to,
  deliveries: mail.deliveries,
  error: mail.error,
  parkedAt: mail.parkedAt.toISOString(),
});

/** Parked mail of the distributed deployment, read and replayed over its own connection. */
export const connectNatsParkedMail = async (options: {
  servers: string[];
  name: string;
  queue?: string;
  timeoutMs?: number;
}): Promise<ParkedMailPort> => {
  const queue = options.queue ?? MAIL_QUEUE;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const nc = await connect({ servers: options.servers, name: options.name });
  return {
    list: async () => (await listParked(nc, queue, timeoutMs)).map(entryView),
    replay: async (id) =>
      (await replayParked(nc, queue, (mail) => parkedMatches(mail, id), timeoutMs)).map(entryView),
    close: () => nc.close(),
  };
};
