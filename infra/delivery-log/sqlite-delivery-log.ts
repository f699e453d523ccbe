import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DeliveryLog } from '../../ports/delivery-log.ts';

export interface SqliteDeliveryLogOptions {
  file: string;
  /** Sent ids older than this are forgotten at open: redeliveries come within minutes. */
  retentionMs?: number;
  clock?: () => Date;
}

/** Requests refused for good; listed and replayed by infra/delivery-log/sqlite-parked-mail.ts. */
export const PARKED_MAIL_TABLE = `
  CREATE TABLE IF NOT EXISTS parked_mail (
    message_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    deliveries INTEGER NOT NULL,
    error TEXT NOT NULL,
    parked_at TEXT NOT NULL
  );`;

const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
const MAX_ERROR_TEXT = 1_000;

const errorText = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(
    0,
    MAX_ERROR_TEXT,
  );

/**
 * The embedded delivery log: a SQLite file beside the event store. A restarted embedded
 * process re-enqueues mail requests its reaction had not checkpointed yet; this file keeps
 * those that were already sent from going out twice. Writes are synchronous and fsynced, so
 * a recorded id survives a crash that follows.
 */
export function openSqliteDeliveryLog(options: SqliteDeliveryLogOptions): DeliveryLog {
  const clock = options.clock ?? (() => new Date());
  mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS sent_mail (mail_id TEXT PRIMARY KEY, sent_at TEXT NOT NULL);
    ${PARKED_MAIL_TABLE}
  `);
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  db.prepare('DELETE FROM sent_mail WHERE sent_at < ?').run(
    new Date(clock().getTime() - retentionMs).toISOString(),
  );
  const findSent = db.prepare<[string], { found: number }>(
    'SELECT 1 AS found FROM sent_mail WHERE mail_id = ?',
  );
  const insertSent = db.prepare<[string, string]>(
    'INSERT OR IGNORE INTO sent_mail (mail_id, sent_at) VALUES (?, ?)',
  );
  const insertParked = db.prepare<[string, string, number, string, string]>(
    'INSERT OR REPLACE INTO parked_mail (message_id, data, deliveries, error, parked_at) VALUES (?, ?, ?, ?, ?)',
  );
  let closed = false;
  const open = () => {
    if (closed) throw new Error('delivery log is closed');
  };
  return {
    wasSent: async (mailId) => {
      open();
      return findSent.get(mailId) !== undefined;
    },
    recordSent: async (mailId) => {
      open();
      insertSent.run(mailId, clock().toISOString());
    },
    park: async (message, error) => {
      open();
      insertParked.run(
        message.id,
        JSON.stringify(message.data),
        message.deliveryCount,
        errorText(error),
        clock().toISOString(),
      );
    },
    close: async () => {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
