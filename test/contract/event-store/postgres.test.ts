import { PostgresEventStore } from '../../../infra/event-store/postgres-event-store.ts';
import { createTestDatabase, postgresOrSkip, type TestDatabase } from '../../support/postgres.ts';
import { eventStoreContract } from './event-store.contract.ts';

describe('PostgreSQL event store', function () {
  let database: TestDatabase;

  before(async function () {
    await postgresOrSkip(this, 'the PostgreSQL event store contract');
    database = await createTestDatabase();
  });

  after(async () => {
    await database?.drop();
  });

  // Every test opens a new store on the run's database: its schema is migrated once and
  // found in place afterwards, and each test keeps to its own random streams.
  eventStoreContract('PostgreSQL', async () => {
    const store = await PostgresEventStore.open({ url: database.url, pollIntervalMs: 20 });
    return { store, cleanup: () => store.close() };
  });
});
