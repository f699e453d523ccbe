import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import type { JsonValue } from '../../ports/event-store.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import type { ParkedMail, ParkedMailEntry } from '../../ports/parked-mail.ts';
import { PARKED_MAIL_TABLE } from './sqlite-delivery-log.ts';

interface Row {
  message_id: string;
  data: string;
  deliveries: number;
  error: string;
  parked_at: string;
}

/** Replayed requests need a fresh id: the queue drops an id it has seen recently. */
const REPLAY_SUFFIX = '~replay-';

const field = (data: JsonValue | null, name: string): string | null => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const value = data[name];
  return typeof value === 'string' ? value : null;
};

const parseData = (text: string): JsonValue | null => {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
};

const entryOf = (row: Row): ParkedMailEntry => {
  const data = parseData(row.data);
  return {
    id: row.message_id,
    mailId: field(data, 'eventId'),
    to: field(data, 'to'),
    deliveries: row.deliveries,
    error: row.error,
    parkedAt: row.parked_at,
  };
};

/**
 * Parked mail of the embedded deployment: the rows the notifier's delivery log keeps in
 * deliveries.sqlite. A replay puts the request back on the in-process queue and removes the
 * row only once the queue settled it (sent, or parked again under its replay id), so a crash
 * in between leaves the request parked, never lost. Until then it is not listed.
 */
export const openSqliteParkedMail = (options: {
  file: string;
  bus: Bus;
  logger: Logger;
}): ParkedMail => {
  mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(PARKED_MAIL_TABLE);
  const all = db.prepare<[], Row>('SELECT * FROM parked_mail ORDER BY parked_at, message_id');
  const remove = db.prepare<[string]>('DELETE FROM parked_mail WHERE message_id = ?');
  const replaying = new Set<string>();
  const pending = new Set<Promise<void>>();
  let closed = false;

  const listed = () => all.all().filter((row) => !replaying.has(row.message_id));

  return {
    list: async () => listed().map(entryOf),
    replay: async (id) => {
      if (closed) throw new Error('parked mail is closed');
      const base = (messageId: string) => messageId.split(REPLAY_SUFFIX)[0];
      const chosen = listed().filter((row) => {
        const entry = entryOf(row);
        return entry.id === id || entry.mailId === id || base(entry.id) === id;
      });
      for (const row of chosen) {
        replaying.add(row.message_id);
        const data = parseData(row.data) ?? row.data;
        const replayId = `${base(row.message_id)}${REPLAY_SUFFIX}${Date.now()}`;
        // Not awaited by the caller: the embedded queue settles only when the mail is handled.
        const settled = options.bus
          .enqueue(MAIL_QUEUE, replayId, data)
          .then(
            () => {
              if (!closed) remove.run(row.message_id);
            },
            (error: unknown) =>
              options.logger.error({ err: error, id: row.message_id }, 'parked mail replay failed'),
          )
          .finally(() => {
            replaying.delete(row.message_id);
            pending.delete(settled);
          });
        pending.add(settled);
        options.logger.info({ id: row.message_id, replayId }, 'parked mail request replayed');
      }
      return chosen.map(entryOf);
    },
    close: async () => {
      await Promise.allSettled([...pending]);
      closed = true;
      db.close();
    },
  };
};
