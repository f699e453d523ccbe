/**
 * Runs a store-level suite once per event store adapter: SQLite on a temp file and
 * PostgreSQL in a fresh database (skipped loudly when no PostgreSQL answers, except in CI).
 * A store is named by one string, its location — a file path or a postgres:// URL — so child
 * processes open the same store from a command-line argument.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../ports/event-store.ts';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { createTestDatabase, postgresOrSkip } from './postgres.ts';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

const isPostgres = (location: string) => /^postgres(ql)?:\/\//.test(location);

/** Opens the store at `location`: a postgres:// URL, else a SQLite file path. */
export const openStoreAt = (
  location: string,
  options: { pollIntervalMs?: number } = {},
): Promise<EventStore> =>
  isPostgres(location)
    ? PostgresEventStore.open({ url: location, ...options })
    : SqliteEventStore.open({ file: location, ...options });

export interface StoreTarget {
  kind: StoreKind;
  /** What `openStoreAt` and the children's `--store` take. */
  location: string;
  /** `cambio start` flags that put a process on this store. */
  cambioArgs: string[];
  cleanup(): Promise<void>;
}

/** A fresh, empty store of `kind`. */
export const prepareStore = async (kind: StoreKind): Promise<StoreTarget> => {
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    return {
      kind,
      location: database.url,
      cambioArgs: ['--event-store', 'postgres', '--postgres-url', database.url],
      cleanup: () => database.drop(),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'cambio-store-'));
  return {
    kind,
    location: join(dir, 'events.sqlite'),
    cambioArgs: [],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

const LABELS: Record<StoreKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/**
 * `describe(title on <store>)` for each adapter. `body` gets a function returning the
 * current test's store, fresh for every test, and the adapter's kind.
 */
export const describeEachStore = (
  title: string,
  body: (target: () => StoreTarget, kind: StoreKind) => void,
  kinds: readonly StoreKind[] = STORE_KINDS,
): void => {
  for (const kind of kinds) {
    describe(`${title} on ${LABELS[kind]}`, function () {
      let current: StoreTarget | undefined;
      if (kind === 'postgres') {
        before(async function () {
          await postgresOrSkip(this, `${title} on PostgreSQL`);
        });
      }
      beforeEach(async () => {
        current = await prepareStore(kind);
      });
      body(() => {
        if (!current) throw new Error('no store prepared');
        return current;
      }, kind);
      // Registered after the body's hooks, so it runs after them (children stopped first).
      afterEach(async () => {
        await current?.cleanup();
        current = undefined;
      });
    });
  }
};
