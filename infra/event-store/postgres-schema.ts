/**
 * The PostgreSQL event store's schema, created and migrated when a store opens.
 *
 * Migrations are numbered steps applied in order, each once, recorded in
 * `event_store_schema`. The whole check-and-apply runs in one transaction under a
 * transaction-scoped advisory lock, so processes starting together take turns: the first
 * applies what is missing, the others then find nothing to do. A database migrated by newer
 * code (a version this code does not know) is refused rather than written to.
 */
import type { PoolClient } from 'pg';

/** Bits of a position below the transaction id: see postgres-event-store.ts. */
export const POSITION_ORDINAL_BITS = 20;

const MIGRATIONS: readonly string[] = [
  // 1: the log. `position` is (transaction id << 20) + ordinal within the transaction.
  `CREATE TABLE events (
     position bigint PRIMARY KEY CHECK (position > 0),
     id text NOT NULL UNIQUE,
     stream_id text NOT NULL,
     revision bigint NOT NULL CHECK (revision >= 0),
     type text NOT NULL,
     data jsonb NOT NULL,
     metadata jsonb NOT NULL,
     UNIQUE (stream_id, revision)
   )`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

// Any constant shared by every Cambio process; it only has to differ from other advisory
// lock users of the same database.
const MIGRATION_LOCK = 0x63616d62696f; // "cambio"

/** Brings the schema to SCHEMA_VERSION; safe to run from several processes at once. */
export const migrate = async (client: PoolClient): Promise<void> => {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS event_store_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM event_store_schema',
    );
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `the event store database has schema version ${current}; this code knows up to ${SCHEMA_VERSION}`,
      );
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version += 1) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query('INSERT INTO event_store_schema (version) VALUES ($1)', [version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
};
