import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PersonalDataKeys, SubjectKey } from '../../ports/personal-data-keys.ts';

/**
 * Personal-data keys in their own SQLite file (the embedded deployment): never in the event
 * store's file, whose backups would otherwise keep every key. Deleted rows are overwritten
 * (secure_delete), so a destroyed key does not linger in free pages of the file.
 */
export class SqlitePersonalDataKeys implements PersonalDataKeys {
  readonly #db: Database.Database;

  constructor(options: { file: string }) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new Database(options.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('secure_delete = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS personal_data_keys (
         subject TEXT PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, key BLOB NOT NULL,
         created_at TEXT NOT NULL) STRICT`,
    );
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    const found = this.#select(subject);
    if (found !== undefined) return found;
    // INSERT OR IGNORE then SELECT: of two racing creators, both read the one that landed.
    this.#db
      .prepare(
        'INSERT OR IGNORE INTO personal_data_keys (subject, key_id, key, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(subject, randomUUID(), randomBytes(32), new Date().toISOString());
    const created = this.#select(subject);
    if (created === undefined) throw new Error(`no key for ${subject} after creating one`);
    return created;
  }

  #select(subject: string): SubjectKey | undefined {
    const row = this.#db
      .prepare('SELECT key_id, key FROM personal_data_keys WHERE subject = ?')
      .get(subject) as { key_id: string; key: Buffer } | undefined;
    return row === undefined ? undefined : { keyId: row.key_id, key: row.key };
  }

  async find(keyId: string): Promise<Buffer | null> {
    const row = this.#db
      .prepare('SELECT key FROM personal_data_keys WHERE key_id = ?')
      .get(keyId) as { key: Buffer } | undefined;
    return row?.key ?? null;
  }

  async destroy(subject: string): Promise<string[]> {
    const rows = this.#db
      .prepare('DELETE FROM personal_data_keys WHERE subject = ? RETURNING key_id')
      .all(subject) as { key_id: string }[];
    // Out of the WAL too, so the key's bytes are not left in the write-ahead log.
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return rows.map((row) => row.key_id);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
