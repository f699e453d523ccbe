import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { PersonalDataKeys, SubjectKey } from '../../ports/personal-data-keys.ts';

// Any constant shared by every Cambio process, distinct from the event store's migration lock.
const CREATE_LOCK = 0x63616d6b6579; // "camkey"

/**
 * Personal-data keys in a `personal_data_keys` table of a PostgreSQL database (the one the
 * PostgreSQL event store uses), shared by every process that writes or reads events. One row
 * per subject, created with INSERT ... ON CONFLICT DO NOTHING, so concurrent writers agree on
 * one key. A destroyed row lingers as a dead tuple until VACUUM reclaims it, and in the WAL
 * and its archives: erasure is as final as the database's backups and WAL retention allow.
 */
export class PostgresPersonalDataKeys implements PersonalDataKeys {
  readonly #pool: pg.Pool;
  #created: Promise<void> | undefined;

  constructor(options: { url: string; poolSize?: number; logger?: Logger }) {
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'cambio-personal-data-keys',
    });
    // A connection the server dropped must not crash the process: the pool opens a new one.
    this.#pool.on('error', (error) =>
      options.logger?.warn({ reason: error.message }, 'key store connection lost'),
    );
  }

  /** The table, created once per process; processes starting together take turns. */
  #ready(): Promise<void> {
    this.#created ??= (async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
        await client.query(
          `CREATE TABLE IF NOT EXISTS personal_data_keys (
             subject text PRIMARY KEY,
             key_id text NOT NULL UNIQUE,
             key bytea NOT NULL,
             created_at timestamptz NOT NULL DEFAULT now())`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    await this.#ready();
    const found = await this.#select(subject);
    if (found !== undefined) return found;
    // Of two racing creators, one row lands; both then read that one.
    await this.#pool.query(
      'INSERT INTO personal_data_keys (subject, key_id, key) VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING',
      [subject, randomUUID(), randomBytes(32)],
    );
    const created = await this.#select(subject);
    if (created === undefined) throw new Error(`no key for ${subject} after creating one`);
    return created;
  }

  async #select(subject: string): Promise<SubjectKey | undefined> {
    const { rows } = await this.#pool.query<{ key_id: string; key: Buffer }>(
      'SELECT key_id, key FROM personal_data_keys WHERE subject = $1',
      [subject],
    );
    const row = rows[0];
    return row === undefined ? undefined : { keyId: row.key_id, key: row.key };
  }

  async find(keyId: string): Promise<Buffer | null> {
    await this.#ready();
    const { rows } = await this.#pool.query<{ key: Buffer }>(
      'SELECT key FROM personal_data_keys WHERE key_id = $1',
      [keyId],
    );
    return rows[0]?.key ?? null;
  }

  async destroy(subject: string): Promise<string[]> {
    await this.#ready();
    const { rows } = await this.#pool.query<{ key_id: string }>(
      'DELETE FROM personal_data_keys WHERE subject = $1 RETURNING key_id',
      [subject],
    );
    return rows.map((row) => row.key_id);
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
